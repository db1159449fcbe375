// Command scenarios is the demo a newcomer runs first: failures a
// dependency has in production, played on loopback, each against a naive
// client (an http.Client with a timeout and a loop of three attempts) and
// against paved's recommended pipeline, side by side. It prints one table
// (success rate, goodput, requests at the dependency per call, latency
// quantiles, time to recover) and writes an SVG chart over time for each
// scenario.
//
// The dependencies' failures are injected with package chaos (chaoshttp's
// handler in front of each loopback server), seeded, so runs repeat.
//
//	go run . [-quick] [-out DIR] [-only flaky,outage,slowtail,tiers] [-seed N] [-rate N]
//
// A default run takes under a minute; -quick, under 15 s.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

func main() {
	if err := realMain(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scenarios:", err)
		os.Exit(1)
	}
}

// realMain parses args, runs the scenarios, prints the table to w and writes the charts.
func realMain(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("scenarios", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "shorter scenarios (under 15 s in all), for CI")
	out := fs.String("out", "", "directory for the SVG charts (default: a new temporary directory)")
	only := fs.String("only", "", "comma-separated scenario names to run (default: all)")
	seed := fs.Uint64("seed", 1, "seed of the injected failures")
	rate := fs.Float64("rate", 200, "calls per second each client makes (open loop)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate <= 0 || *rate > 2000 {
		return fmt.Errorf("-rate must be in (0, 2000], got %v", *rate)
	}
	cfg := config{quick: *quick, rate: *rate, seed: *seed}
	dir := *out
	if dir == "" {
		d, err := os.MkdirTemp("", "paved-scenarios-")
		if err != nil {
			return err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_, err := runAll(cfg, *only, dir, w)
	return err
}

// runAll runs the scenarios only names (all when empty), writes their
// charts into dir, prints progress and the table to w, and returns the
// results.
func runAll(cfg config, only, dir string, w io.Writer) ([]result, error) {
	var results []result
	var notes []string
	for _, sc := range scenarios(cfg) {
		if !selected(only, sc.name) {
			continue
		}
		fmt.Fprintf(w, "running %s ...\n", sc.title)
		runs := both(cfg, sc)
		results = append(results, runs...)
		if sc.note != "" {
			notes = append(notes, sc.name+": "+sc.note)
		}
		for _, r := range runs {
			if r.stopped >= 0 {
				notes = append(notes, fmt.Sprintf("%s: %s stopped sending to the dead dependency %s into the outage", sc.name, r.client, ms(r.stopped)))
			} else if sc.name == "outage" {
				notes = append(notes, fmt.Sprintf("%s: %s never stopped sending to the dead dependency", sc.name, r.client))
			}
		}
		path, err := chart(dir, sc, runs)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", sc.name, err)
		}
		fmt.Fprintf(w, "  chart: %s\n", path)
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("-only %q names no scenario", only)
	}
	fmt.Fprintln(w)
	printTable(w, results)
	for _, n := range notes {
		fmt.Fprintln(w, "  "+n)
	}
	return results, nil
}

// both runs sc for the naive client and for paved at once, each against a
// dependency of its own.
func both(cfg config, sc *scenario) []result {
	out := make([]result, 2)
	var wg sync.WaitGroup
	for i, which := range []string{"naive", "paved"} {
		wg.Go(func() { out[i] = sc.run(cfg, which) })
	}
	wg.Wait()
	return out
}

func selected(only, name string) bool {
	if only == "" {
		return true
	}
	for _, n := range strings.Split(only, ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}
