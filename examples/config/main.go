// Command config validates an organisation's policy file and prints what
// each dependency resolves to, defaults filled in:
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
	print := func(name string, d policy.Dependency) {
		fmt.Fprintf(out, "%s:\n  timeout  total %v, attempt %v\n", name, d.Timeout.Total, d.Timeout.Attempt)
		switch {
		case d.Hedge.Enabled:
			delay := fmt.Sprintf("fixed %v", d.Hedge.Delay)
			if d.Hedge.Adaptive {
				delay = fmt.Sprintf("p%g of recent latency (%v until %d samples)", d.Hedge.Quantile*100, d.Hedge.Delay, d.Hedge.MinSamples)
			}
			fmt.Fprintf(out, "  hedge    up to %d, after %s\n", d.Hedge.MaxHedges, delay)
		case d.Retry.MaxAttempts > 1:
			budget := "no budget"
			if b := d.Retry.Budget; b.Enabled {
				budget = fmt.Sprintf("budget %g/call, %g/s floor, %g saved", b.Ratio, b.MinPerSecond, b.Capacity)
			}
			fmt.Fprintf(out, "  retry    %d attempts, backoff %v..%v %s jitter, %s\n", d.Retry.MaxAttempts,
				d.Retry.Backoff.Base, d.Retry.Backoff.Max, d.Retry.Backoff.Jitter, budget)
		default:
			fmt.Fprintln(out, "  retry    off")
		}
		if b := d.Breaker; b.Enabled {
			fmt.Fprintf(out, "  breaker  opens at %g%% of %d calls in %v", b.FailureRatio*100, b.MinRequests, b.Window)
			if b.ConsecutiveFailures > 0 {
				fmt.Fprintf(out, " or %d in a row", b.ConsecutiveFailures)
			}
			fmt.Fprintf(out, ", open %v\n", b.OpenFor)
		} else {
			fmt.Fprintln(out, "  breaker  off")
		}
		if b := d.Bulkhead; b.Enabled && b.Adaptive {
			fmt.Fprintf(out, "  bulkhead adaptive (%s) %d..%d in flight\n", b.Algorithm, b.MinLimit, b.MaxLimit)
		} else if b.Enabled {
			fmt.Fprintf(out, "  bulkhead %d in flight, wait %v\n", b.MaxConcurrent, b.MaxWait)
		}
		if l := d.Limit; l.Enabled {
			fmt.Fprintf(out, "  limit    %g/s, burst %d, wait %v\n", l.Rate, l.Burst, l.MaxWait)
		}
		if t := d.Throttle; t.Enabled {
			fmt.Fprintf(out, "  throttle K %g over %v\n", t.K, t.Window)
		}
	}
	print("defaults (and any name not listed)", cfg.Defaults)
	for _, name := range cfg.Names() {
		d, _ := cfg.Dependency(name)
		print(name, d)
	}
	s := cfg.Server
	fmt.Fprintf(out, "server %s:\n", s.Name)
	if s.Deadline.Enabled {
		fmt.Fprintf(out, "  deadline %s, at most %v\n", s.Deadline.Header, s.Deadline.Max)
	}
	fmt.Fprintf(out, "  caller   header %q, metadata %q\n", s.CallerKey.Header, s.CallerKey.Metadata)
	if l := s.Limit; l.Enabled {
		fmt.Fprintf(out, "  limit    %g/s per caller, burst %d\n", l.Rate, l.Burst)
	}
	if l := s.LoadShed; l.Enabled {
		fmt.Fprintf(out, "  shed     adaptive (%s) %d..%d, queue %d\n", l.Algorithm, l.MinLimit, l.MaxLimit, l.MaxQueue)
	}
	if i := s.Idempotency; i.Enabled {
		fmt.Fprintf(out, "  idempotency %s store, kept %v\n", i.Store, i.Retention)
	}
	return nil
}
