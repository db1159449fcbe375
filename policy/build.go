package policy

import (
	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/timeout"
)

func jitterOf(s string) (retry.Jitter, bool) {
	switch s {
	case "full":
		return retry.JitterFull, true
	case "equal":
		return retry.JitterEqual, true
	case "decorrelated":
		return retry.JitterDecorrelated, true
	case "none":
		return retry.JitterNone, true
	}
	return 0, false
}

// clientParts are the policies of one dependency's pipeline, built from its
// settings. A policy that keeps state (a retry's or hedge's budget, a
// breaker's counts and state) is carried over to the next generation when
// its settings did not change, so a reload that touches only timeouts
// leaves an open breaker open.
type clientParts struct {
	dep     Dependency
	retry   *retry.Retry // nil: one attempt, or hedging
	hedge   *hedge.Hedge // nil: not hedging
	breaker *breaker.Breaker
	ms      []paved.Middleware // outermost first
	chain   paved.Middleware
}

// buildClient builds the pipeline of dependency name from d, the documented
// order outermost first (docs/design.md, "The order of a paved pipeline";
// STANDARDS.md RS-15): total timeout, retry or hedge, breaker, attempt
// timeout. prev, when not nil, is the same name's parts in the generation
// being replaced.
func buildClient(name string, d Dependency, prev *clientParts, o *options) (*clientParts, error) {
	p := &clientParts{dep: d}
	var err error
	switch {
	case d.Hedge.Enabled:
		if prev != nil && prev.hedge != nil && prev.dep.Hedge == d.Hedge {
			p.hedge = prev.hedge
		} else if p.hedge, err = hedge.New(hedgeOptions(d.Hedge, o)...); err != nil {
			return nil, err
		}
	case d.Retry.MaxAttempts > 1:
		if prev != nil && prev.retry != nil && prev.dep.Retry == d.Retry {
			p.retry = prev.retry
		} else if p.retry, err = retry.New(retryOptions(d.Retry, o)...); err != nil {
			return nil, err
		}
	}
	if d.Breaker.Enabled {
		if prev != nil && prev.breaker != nil && prev.dep.Breaker == d.Breaker {
			p.breaker = prev.breaker
		} else if p.breaker, err = breaker.New(name, breakerOptions(d.Breaker, o)...); err != nil {
			return nil, err
		}
	}
	total, err := timeout.New(d.Timeout.Total, timeout.WithClock(o.clock))
	if err != nil {
		return nil, err
	}
	attempt, err := timeout.New(d.Timeout.Attempt, timeout.WithClock(o.clock))
	if err != nil {
		return nil, err
	}
	ms := []paved.Middleware{total}
	switch {
	case p.hedge != nil:
		ms = append(ms, p.hedge)
	case p.retry != nil:
		ms = append(ms, p.retry)
	}
	if p.breaker != nil {
		ms = append(ms, p.breaker)
	}
	ms = append(ms, attempt)
	p.ms, p.chain = ms, paved.Chain(ms...)
	return p, nil
}

func retryOptions(r Retry, o *options) []retry.Option {
	j, _ := jitterOf(r.Backoff.Jitter)
	opts := []retry.Option{
		retry.WithSharedBudget(),
		retry.WithMaxAttempts(r.MaxAttempts),
		retry.WithBackoff(r.Backoff.Base, r.Backoff.Max),
		retry.WithJitter(j),
		retry.WithMinAttemptTime(r.MinAttemptTime),
		retry.WithClock(o.clock),
	}
	if r.Budget.Enabled {
		opts = append(opts, retry.WithBudget(r.Budget.Ratio, r.Budget.MinPerSecond), retry.WithBudgetCapacity(r.Budget.Capacity))
	} else {
		opts = append(opts, retry.WithoutBudget())
	}
	return opts
}

func hedgeOptions(h Hedge, o *options) []hedge.Option {
	opts := []hedge.Option{
		hedge.WithSharedState(),
		hedge.WithMaxHedges(h.MaxHedges),
		hedge.WithMaxPushback(h.MaxPushback),
		hedge.WithClock(o.clock),
	}
	if h.Adaptive {
		opts = append(opts, hedge.WithAdaptiveDelay(h.Quantile, h.MinSamples, h.Delay))
	} else {
		opts = append(opts, hedge.WithDelay(h.Delay))
	}
	if h.Budget.Enabled {
		opts = append(opts, hedge.WithBudget(h.Budget.Ratio, h.Budget.MinPerSecond), hedge.WithBudgetCapacity(h.Budget.Capacity))
	} else {
		opts = append(opts, hedge.WithoutBudget())
	}
	return opts
}

func breakerOptions(b Breaker, o *options) []breaker.Option {
	opts := []breaker.Option{
		breaker.WithFailureRatio(b.FailureRatio),
		breaker.WithMinCalls(b.MinRequests),
		breaker.WithWindow(b.Window),
		breaker.WithConsecutiveFailures(b.ConsecutiveFailures),
		breaker.WithOpenDuration(b.OpenFor),
		breaker.WithJitter(b.Jitter),
		breaker.WithHalfOpenProbes(b.HalfOpenRequests),
		breaker.WithSlowCallThreshold(b.SlowCallThreshold),
		breaker.WithCountOverload(b.CountOverload),
		breaker.WithClock(o.clock),
	}
	if o.tel != nil {
		opts = append(opts, breaker.WithTelemetry(o.tel))
	}
	return opts
}

// serverParts are the server pipeline's policies.
type serverParts struct {
	srv   Server
	chain paved.Middleware
}

// buildServer builds the server pipeline: the request deadline outermost.
func buildServer(s Server, _ *serverParts, o *options) (*serverParts, error) {
	p := &serverParts{srv: s}
	var ms []paved.Middleware
	if s.Deadline.Enabled {
		t, err := timeout.New(s.Deadline.Max, timeout.WithClock(o.clock))
		if err != nil {
			return nil, err
		}
		ms = append(ms, t)
	}
	p.chain = paved.Chain(ms...)
	return p, nil
}
