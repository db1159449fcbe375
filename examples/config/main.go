// Command config validates an organisation's policy file and prints what
// each dependency resolves to, defaults filled in (fleet stores, fallback
// and chaos state included), then the stores the fleet shares and where
// chaos is on:
//
//	go run ./examples/config                  # the example file beside this program
//	go run ./examples/config -file paved.yaml # your own
//
// An invalid file prints every problem, each with its line, path, value and
// allowed range, and exits 1: run it in CI before deploying a change.
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/paved-go/paved/policy"
	_ "github.com/paved-go/paved/policy/stores" // the redis:// stores the file names
)

//go:embed paved.yaml
var example []byte

func main() {
	file := flag.String("file", "", "the policy file to check (default: the example beside this program)")
	flag.Parse()
	if err := run(os.Stdout, *file); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(out io.Writer, file string) error {
	var cfg *policy.Config
	var err error
	if file == "" {
		cfg, err = policy.Parse(example)
	} else {
		cfg, err = policy.Load(file)
	}
	if err != nil {
		return err
	}
	printDependency(out, "defaults (and any name not listed)", cfg.Defaults)
	for _, name := range cfg.Names() {
		d, _ := cfg.Dependency(name)
		printDependency(out, name, d)
	}
	s := cfg.Server
	fmt.Fprintf(out, "server %s:\n", s.Name)
	if s.Deadline.Enabled {
		fmt.Fprintf(out, "  deadline %s, at most %v\n", s.Deadline.Header, s.Deadline.Max)
	}
	fmt.Fprintf(out, "  caller   header %q, metadata %q\n", s.CallerKey.Header, s.CallerKey.Metadata)
	if l := s.Limit; l.Enabled {
		fmt.Fprintf(out, "  limit    %g/s per caller, burst %d%s\n", l.Rate, l.Burst, fleetLimit(l))
	}
	if l := s.LoadShed; l.Enabled {
		fmt.Fprintf(out, "  shed     adaptive (%s) %d..%d, queue %d\n", l.Algorithm, l.MinLimit, l.MaxLimit, l.MaxQueue)
	}
	if i := s.Idempotency; i.Enabled {
		fmt.Fprintf(out, "  idempotency %s store, kept %v\n", redact(i.Store), i.Retention)
	}
	printChaos(out, s.Chaos)
	printSummary(out, cfg)
	return nil
}
