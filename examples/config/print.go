package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/paved-go/paved/policy"
)

// printDependency prints what one dependency's pipeline does.
func printDependency(out io.Writer, name string, d policy.Dependency) {
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
		fmt.Fprintf(out, ", open %v", b.OpenFor)
		switch {
		case b.Store != "memory":
			fmt.Fprintf(out, "; fleet-wide in %s, synced every %v", redact(b.Store), b.SyncPeriod)
		case b.PerKey != "":
			fmt.Fprintf(out, "; one per %s, up to %d, dropped after %v idle", b.PerKey, b.MaxKeys, b.IdleTimeout)
		}
		fmt.Fprintln(out)
	} else {
		fmt.Fprintln(out, "  breaker  off")
	}
	if b := d.Bulkhead; b.Enabled && b.Adaptive {
		fmt.Fprintf(out, "  bulkhead adaptive (%s) %d..%d in flight\n", b.Algorithm, b.MinLimit, b.MaxLimit)
	} else if b.Enabled {
		fmt.Fprintf(out, "  bulkhead %d in flight, wait %v\n", b.MaxConcurrent, b.MaxWait)
	}
	if l := d.Limit; l.Enabled {
		fmt.Fprintf(out, "  limit    %g/s, burst %d, wait %v%s\n", l.Rate, l.Burst, l.MaxWait, fleetLimit(l))
	}
	if t := d.Throttle; t.Enabled {
		fmt.Fprintf(out, "  throttle K %g over %v\n", t.K, t.Window)
	}
	if f := d.Fallback; f.Enabled {
		fmt.Fprintf(out, "  fallback HTTP GETs answered by their last good copy (up to %v old, %d URLs, %d bytes each) on %s\n",
			f.Stale.MaxAge, f.Stale.MaxEntries, f.Stale.MaxBody, strings.Join(f.Outcomes, ", "))
	}
	printChaos(out, d.Chaos)
}

// fleetLimit describes a rate limit's store: "" for the process's own.
func fleetLimit(l policy.RateLimit) string {
	if l.Store == "memory" {
		return ""
	}
	s := fmt.Sprintf("; fleet-wide in %s", redact(l.Store))
	if l.Key != "" {
		s += fmt.Sprintf(" (key %s)", l.Key)
	}
	if l.FailClosed {
		return s + ", refusing while it cannot decide"
	}
	return s + fmt.Sprintf(", at %g/s each of %d replicas while it cannot decide", l.Rate/float64(l.Replicas), l.Replicas)
}

// printChaos prints a chaos section's state, and its faults when it has any.
func printChaos(out io.Writer, c policy.Chaos) {
	if !c.Enabled && len(c.Faults) == 0 {
		return
	}
	state := "ON, injecting"
	if !c.Enabled {
		state = "off (enabled: false), ready to inject"
	}
	fmt.Fprintf(out, "  chaos    %s:\n", state)
	for _, f := range c.Faults {
		fmt.Fprintf(out, "           %s at %g%%\n", fault(f), f.Rate*100)
	}
}

func fault(f policy.Fault) string {
	switch {
	case f.Error != "":
		return "error " + f.Error
	case f.Latency != 0:
		return fmt.Sprintf("latency %v", f.Latency)
	case f.LatencyMedian != 0:
		return fmt.Sprintf("latency median %v, p99 %v", f.LatencyMedian, f.LatencyP99)
	case f.Hang:
		return "hang"
	case f.HTTPStatus != 0:
		s := fmt.Sprintf("HTTP %d", f.HTTPStatus)
		if f.RetryAfter > 0 {
			s += fmt.Sprintf(" with Retry-After %v", f.RetryAfter)
		}
		return s + " (HTTP only)"
	case f.GRPCCode != "":
		s := "gRPC " + f.GRPCCode
		if f.Pushback != 0 {
			s += fmt.Sprintf(" with pushback %v", f.Pushback)
		}
		return s + " (gRPC only)"
	}
	return "connection reset (HTTP and gRPC)"
}

// printSummary prints the stores the fleet shares and where chaos is on.
func printSummary(out io.Writer, cfg *policy.Config) {
	users := map[string][]string{}
	var urls, chaosOn []string
	use := func(store, who string) {
		if store == "memory" {
			return
		}
		if users[store] == nil {
			urls = append(urls, store)
		}
		users[store] = append(users[store], who)
	}
	check := func(name string, d policy.Dependency) {
		if d.Breaker.Enabled {
			use(d.Breaker.Store, name+" breaker")
		}
		if d.Limit.Enabled {
			use(d.Limit.Store, name+" rate_limit")
		}
		if d.Chaos.Enabled {
			chaosOn = append(chaosOn, name)
		}
	}
	check("defaults", cfg.Defaults)
	for _, name := range cfg.Names() {
		d, _ := cfg.Dependency(name)
		check(name, d)
	}
	if cfg.Server.Limit.Enabled {
		use(cfg.Server.Limit.Store, "server rate_limit")
	}
	if cfg.Server.Chaos.Enabled {
		chaosOn = append(chaosOn, "server")
	}
	fmt.Fprintln(out, "fleet stores (one client per URL, shared by its policies):")
	if len(urls) == 0 {
		fmt.Fprintln(out, "  none: every policy decides in its own process")
	}
	for _, u := range urls {
		fmt.Fprintf(out, "  %s: %s\n", redact(u), strings.Join(users[u], ", "))
	}
	if len(chaosOn) == 0 {
		fmt.Fprintln(out, "chaos: off everywhere")
	} else {
		fmt.Fprintf(out, "chaos: ON for %s\n", strings.Join(chaosOn, ", "))
	}
}

// redact is a store setting without its password.
func redact(store string) string {
	if u, err := url.Parse(store); err == nil {
		return u.Redacted()
	}
	return "[unparsable URL]"
}
