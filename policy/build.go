package policy

import (
	"slices"
	"sync"

	"google.golang.org/grpc"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/fallback"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/ratelimit"
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
	dep      Dependency
	retry    *retry.Retry       // nil: one attempt, or hedging
	hedge    *hedge.Hedge       // nil: not hedging
	breaker  paved.Middleware   // *breaker.Breaker, *breaker.Keyed or a FleetPolicy; nil: off
	throttle *loadshed.Throttle // nil: off
	bulkhead *bulkhead.Bulkhead // nil: off
	limiter  paved.Middleware   // *ratelimit.Limiter or a FleetPolicy; nil: off
	stale    *pavedhttp.Stale   // the fallback's copies; nil: no fallback
	fallback *fallback.Fallback // HTTP clients only, outermost
	chaos    chaosParts         // the pipeline's innermost; the wire's for the adapters
	ms       []paved.Middleware // outermost first, without the fallback
	chain    paved.Middleware
	httpMs   []paved.Middleware // ms with the fallback outermost, for Transport
	http     paved.Middleware

	// The chaos section's gRPC faults, for DialOptions; nil: none.
	grpcUnary  grpc.UnaryClientInterceptor
	grpcStream grpc.StreamClientInterceptor
}

// resources returns the parts that hold connections or goroutines, for the
// Set to close once nothing uses them.
func (p *clientParts) resources() []FleetPolicy {
	var rs []FleetPolicy
	for _, m := range []paved.Middleware{p.breaker, p.limiter} {
		if f, ok := m.(FleetPolicy); ok {
			rs = append(rs, f)
		}
	}
	return rs
}

// buildClient builds the pipeline of dependency name from d, the documented
// order outermost first (docs/design.md, "The order of a paved pipeline";
// STANDARDS.md RS-15): total timeout, retry or hedge, breaker, throttle,
// bulkhead, rate limit, attempt timeout, chaos; for HTTP clients a fallback
// outermost. prev, when not nil, is the same name's parts in the generation
// being replaced.
func buildClient(name string, d Dependency, prev *clientParts, o *options) (_ *clientParts, err error) {
	p := &clientParts{dep: d}
	if prev == nil {
		prev = &clientParts{} // nothing to keep
	}
	defer func() {
		if err != nil {
			closeNew(o, p.resources(), prev.resources())
		}
	}()
	switch {
	case d.Hedge.Enabled:
		if prev.hedge != nil && prev.dep.Hedge == d.Hedge {
			p.hedge = prev.hedge
		} else if p.hedge, err = hedge.New(hedgeOptions(d.Hedge, o)...); err != nil {
			return nil, err
		}
	case d.Retry.MaxAttempts > 1:
		if prev.retry != nil && prev.dep.Retry == d.Retry {
			p.retry = prev.retry
		} else if p.retry, err = retry.New(retryOptions(d.Retry, o)...); err != nil {
			return nil, err
		}
	}
	if d.Breaker.Enabled {
		if prev.breaker != nil && prev.dep.Breaker == d.Breaker {
			p.breaker = prev.breaker
		} else if p.breaker, err = newBreaker(name, d.Breaker, o); err != nil {
			return nil, err
		}
	}
	if d.Throttle.Enabled {
		if prev.throttle != nil && prev.dep.Throttle == d.Throttle {
			p.throttle = prev.throttle
		} else if p.throttle, err = loadshed.NewThrottle(
			loadshed.WithK(d.Throttle.K), loadshed.WithThrottleWindow(d.Throttle.Window),
			loadshed.WithMaxRejectProbability(d.Throttle.MaxRejectProbability),
			loadshed.WithMinRate(d.Throttle.MinRate), loadshed.WithThrottleClock(o.clock)); err != nil {
			return nil, err
		}
	}
	if d.Bulkhead.Enabled {
		if prev.bulkhead != nil && prev.dep.Bulkhead == d.Bulkhead {
			p.bulkhead = prev.bulkhead
		} else if p.bulkhead, err = newBulkhead(name, d.Bulkhead, o); err != nil {
			return nil, err
		}
	}
	if d.Limit.Enabled {
		if prev.limiter != nil && prev.dep.Limit == d.Limit {
			p.limiter = prev.limiter
		} else if p.limiter, err = newClientLimiter(name, d.Limit, o); err != nil {
			return nil, err
		}
	}
	if p.stale, p.fallback, err = buildFallback(d.Fallback, prev, o); err != nil {
		return nil, err
	}
	if p.chaos, err = buildChaos(name, d.Chaos, prev.dep.Chaos, prev.chaos, o); err != nil {
		return nil, err
	}
	p.grpcUnary, p.grpcStream = p.chaos.grpcClient()
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
	for _, m := range []paved.Middleware{p.breaker, p.throttle, p.bulkhead, p.limiter} {
		if m != nil && !isNilPtr(m) {
			ms = append(ms, m)
		}
	}
	ms = append(ms, attempt)
	for _, c := range p.chaos.pipeline {
		ms = append(ms, c)
	}
	p.ms, p.chain = ms, paved.Chain(ms...)
	p.httpMs, p.http = p.ms, p.chain
	if p.fallback != nil {
		p.httpMs = append([]paved.Middleware{p.fallback}, ms...)
		p.http = paved.Chain(p.httpMs...)
	}
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

// isNilPtr reports whether m is a typed nil pointer (a policy turned off).
func isNilPtr(m paved.Middleware) bool {
	switch m := m.(type) {
	case *breaker.Breaker:
		return m == nil
	case *breaker.Keyed:
		return m == nil
	case *loadshed.Throttle:
		return m == nil
	case *bulkhead.Bulkhead:
		return m == nil
	case *ratelimit.Limiter:
		return m == nil
	}
	return false
}

func newBulkhead(name string, b Bulkhead, o *options) (*bulkhead.Bulkhead, error) {
	opts := []bulkhead.Option{bulkhead.WithName(name), bulkhead.WithMaxWait(b.MaxWait), bulkhead.WithClock(o.clock)}
	if b.MaxQueue >= 0 {
		opts = append(opts, bulkhead.WithMaxQueue(b.MaxQueue))
	}
	if !b.Adaptive {
		return bulkhead.New(b.MaxConcurrent, opts...)
	}
	alg := map[string]bulkhead.Algorithm{"gradient2": bulkhead.Gradient2, "vegas": bulkhead.Vegas, "aimd": bulkhead.AIMD}[b.Algorithm]
	opts = append(opts, bulkhead.WithAlgorithm(alg), bulkhead.WithLimits(b.MinLimit, b.MaxLimit), bulkhead.WithInitialLimit(b.InitialLimit))
	return bulkhead.NewAdaptive(opts...)
}

// serverParts are the server pipeline's policies.
type serverParts struct {
	srv     Server
	limiter paved.Middleware // *ratelimit.Keyed or a FleetPolicy; nil: off
	shedder *loadshed.Shedder
	guard   *idempotency.Guard          // nil: no idempotency
	store   idempotency.Store           // the guard's, when the Set opened it
	unary   grpc.UnaryServerInterceptor // the guard's, for ServerOptions
	chaos   chaosParts
	chain   paved.Middleware

	// The chaos section's gRPC faults, for ServerOptions, built at the
	// first call (when Set.Listener has been given, if ever).
	grpcOnce   sync.Once
	grpcUnary  grpc.UnaryServerInterceptor
	grpcStream grpc.StreamServerInterceptor
}

// resources returns the parts that hold connections or goroutines.
func (p *serverParts) resources() []FleetPolicy {
	var rs []FleetPolicy
	if f, ok := p.limiter.(FleetPolicy); ok {
		rs = append(rs, f)
	}
	if c, ok := p.store.(FleetPolicy); ok {
		rs = append(rs, c)
	} else if c, ok := p.store.(closer); ok {
		rs = append(rs, closeOnly{c})
	}
	return rs
}

type closer interface{ Close() error }

// closeNew closes the resources a build that failed opened: those in built
// and not in kept (the previous generation's, which stay in force), each
// letting go of its shared fleet client.
func closeNew(o *options, built, kept []FleetPolicy) {
	for _, r := range built {
		if !slices.Contains(kept, r) {
			_ = o.fleet.close(r)
		}
	}
}

// closeOnly is a store that closes, as a resource of the Set's.
type closeOnly struct{ closer }

func (closeOnly) Wrap(next paved.Op) paved.Op { return next }

// buildServer builds the server pipeline, outermost first: the request
// deadline, the per-caller rate limit (cheap, so a caller over its quota
// never takes a slot of the shedder), load shedding, chaos. Idempotency is
// the adapters' (Handler, ServerOptions), inside admission.
func buildServer(s Server, prev *serverParts, o *options) (_ *serverParts, err error) {
	p := &serverParts{srv: s}
	if prev == nil {
		prev = &serverParts{}
	}
	defer func() {
		if err != nil {
			closeNew(o, p.resources(), prev.resources())
		}
	}()
	var ms []paved.Middleware
	if s.Deadline.Enabled {
		t, err := timeout.New(s.Deadline.Max, timeout.WithClock(o.clock))
		if err != nil {
			return nil, err
		}
		ms = append(ms, t)
	}
	if x := s.Limit; x.Enabled {
		if prev.limiter != nil && prev.srv.Limit == x {
			p.limiter = prev.limiter
		} else if p.limiter, err = newServerLimiter(x, o); err != nil {
			return nil, err
		}
		ms = append(ms, p.limiter)
	}
	if x := s.LoadShed; x.Enabled {
		if prev.shedder != nil && prev.srv.LoadShed == x {
			p.shedder = prev.shedder
		} else {
			alg := map[string]loadshed.Algorithm{"gradient2": loadshed.Gradient2, "vegas": loadshed.Vegas, "aimd": loadshed.AIMD}[x.Algorithm]
			if p.shedder, err = loadshed.New(loadshed.WithAlgorithm(alg), loadshed.WithLimits(x.MinLimit, x.MaxLimit),
				loadshed.WithInitialLimit(x.InitialLimit), loadshed.WithMaxQueue(x.MaxQueue),
				loadshed.WithCoDel(x.CoDelTarget, x.CoDelInterval), loadshed.WithRetryAfter(x.RetryAfter),
				loadshed.WithClock(o.clock)); err != nil {
				return nil, err
			}
		}
		ms = append(ms, p.shedder)
	}
	if p.chaos, err = buildChaos(s.Name, s.Chaos, prev.srv.Chaos, prev.chaos, o); err != nil {
		return nil, err
	}
	for _, c := range p.chaos.pipeline {
		ms = append(ms, serverChaos{c})
	}
	if x := s.Idempotency; x.Enabled {
		if prev.guard != nil && prev.srv.Idempotency == x {
			p.guard, p.store = prev.guard, prev.store
		} else {
			store := o.store
			switch {
			case store != nil:
			case x.Store == "memory":
				store = idempotency.NewMemoryStore(idempotency.WithMemoryClock(o.clock))
			default:
				if store, err = openStore(x.Store); err != nil {
					o.logStoreError(err)
					store = unopenedStore{err}
				} else {
					p.store = store
				}
			}
			if p.guard, err = idempotency.New(idempotency.WithStore(store), idempotency.WithLease(x.Lease),
				idempotency.WithRetention(x.Retention), idempotency.WithStoreTimeout(x.StoreTimeout),
				idempotency.WithMaxStoredBytes(x.MaxStoredBytes), idempotency.WithFailOpen(x.FailOpen),
				idempotency.WithClock(o.clock)); err != nil {
				return nil, err // the deferred closeNew closes the store it opened
			}
		}
		required := x.Required
		p.unary = pavedgrpc.UnaryServerIdempotency(p.guard, pavedgrpc.WithKeyRequiredFor(func(string) bool { return required }))
	}
	p.chain = paved.Chain(ms...)
	return p, nil
}

func (p *clientParts) chainFor(http bool) paved.Middleware {
	if http {
		return p.http
	}
	return p.chain
}
