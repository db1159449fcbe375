package policy

import "reflect"

// inherit fills every field dst leaves out (a nil pointer) with src's, field
// by field: a section both set is merged, not replaced, so a dependency
// that sets retry.max_attempts keeps the defaults' retry.backoff. dst and src
// are pointers to the same struct type; src's values are shared, never
// modified.
func inherit(dst, src any) {
	inheritValue(reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem())
}

func inheritValue(dst, src reflect.Value) {
	for i := 0; i < dst.NumField(); i++ {
		d, s := dst.Field(i), src.Field(i)
		if d.Kind() != reflect.Pointer || s.IsNil() {
			continue
		}
		switch {
		case d.IsNil():
			d.Set(s)
		case d.Elem().Kind() == reflect.Struct:
			// Both set: copy dst's section before filling it, so a section
			// shared with another dependency (a YAML alias) is not changed.
			c := reflect.New(d.Elem().Type())
			c.Elem().Set(d.Elem())
			inheritValue(c.Elem(), s.Elem())
			d.Set(c)
		}
	}
}

func or[T any](p *T, def T) T {
	if p != nil {
		return *p
	}
	return def
}

// resolve turns a file dependency (defaults already inherited) into a
// Dependency, taking every field it leaves out from def.
func resolve(f *fileDependency, def Dependency) Dependency {
	d := def
	if f == nil {
		return d
	}
	if t := f.Timeout; t != nil {
		d.Timeout.Total = or(t.Total, d.Timeout.Total)
		d.Timeout.Attempt = or(t.Attempt, d.Timeout.Attempt)
	}
	if r := f.Retry; r != nil {
		d.Retry.MaxAttempts = or(r.MaxAttempts, d.Retry.MaxAttempts)
		d.Retry.MinAttemptTime = or(r.MinAttemptTime, d.Retry.MinAttemptTime)
		if b := r.Backoff; b != nil {
			d.Retry.Backoff.Base = or(b.Base, d.Retry.Backoff.Base)
			d.Retry.Backoff.Max = or(b.Max, d.Retry.Backoff.Max)
			d.Retry.Backoff.Jitter = or(b.Jitter, d.Retry.Backoff.Jitter)
		}
		d.Retry.Budget = resolveBudget(r.Budget, d.Retry.Budget)
	}
	if h := f.Hedge; h != nil {
		d.Hedge.Enabled = or(h.Enabled, true) // a hedge section turns hedging on
		d.Hedge.Adaptive = or(h.Adaptive, d.Hedge.Adaptive)
		d.Hedge.Delay = or(h.Delay, d.Hedge.Delay)
		d.Hedge.Quantile = or(h.Quantile, d.Hedge.Quantile)
		d.Hedge.MinSamples = or(h.MinSamples, d.Hedge.MinSamples)
		d.Hedge.MaxHedges = or(h.MaxHedges, d.Hedge.MaxHedges)
		d.Hedge.MaxPushback = or(h.MaxPushback, d.Hedge.MaxPushback)
		d.Hedge.Budget = resolveBudget(h.Budget, d.Hedge.Budget)
	}
	if b := f.Breaker; b != nil {
		d.Breaker.Enabled = or(b.Enabled, d.Breaker.Enabled)
		d.Breaker.FailureRatio = or(b.FailureRatio, d.Breaker.FailureRatio)
		d.Breaker.MinRequests = or(b.MinRequests, d.Breaker.MinRequests)
		d.Breaker.Window = or(b.Window, d.Breaker.Window)
		d.Breaker.ConsecutiveFailures = or(b.ConsecutiveFailures, d.Breaker.ConsecutiveFailures)
		d.Breaker.OpenFor = or(b.OpenFor, d.Breaker.OpenFor)
		d.Breaker.Jitter = or(b.Jitter, d.Breaker.Jitter)
		d.Breaker.HalfOpenRequests = or(b.HalfOpenRequests, d.Breaker.HalfOpenRequests)
		d.Breaker.SlowCallThreshold = or(b.SlowCallThreshold, d.Breaker.SlowCallThreshold)
		d.Breaker.CountOverload = or(b.CountOverload, d.Breaker.CountOverload)
		d.Breaker.PerKey = or(b.PerKey, d.Breaker.PerKey)
		d.Breaker.MaxKeys = or(b.MaxKeys, d.Breaker.MaxKeys)
		d.Breaker.IdleTimeout = or(b.IdleTimeout, d.Breaker.IdleTimeout)
		d.Breaker.Store = or(b.Store, d.Breaker.Store)
		d.Breaker.KeyPrefix = or(b.KeyPrefix, d.Breaker.KeyPrefix)
		d.Breaker.SyncPeriod = or(b.SyncPeriod, d.Breaker.SyncPeriod)
	}
	if b := f.Bulkhead; b != nil {
		x := &d.Bulkhead
		x.Enabled = or(b.Enabled, true)
		x.MaxConcurrent = or(b.MaxConcurrent, x.MaxConcurrent)
		x.MaxWait = or(b.MaxWait, x.MaxWait)
		x.MaxQueue = or(b.MaxQueue, x.MaxQueue)
		x.Adaptive = or(b.Adaptive, x.Adaptive)
		x.Algorithm = or(b.Algorithm, x.Algorithm)
		x.InitialLimit = or(b.InitialLimit, x.InitialLimit)
		x.MinLimit = or(b.MinLimit, x.MinLimit)
		x.MaxLimit = or(b.MaxLimit, x.MaxLimit)
	}
	if l := f.Limit; l != nil {
		d.Limit = resolveLimit(l, d.Limit)
	}
	if t := f.Throttle; t != nil {
		x := &d.Throttle
		x.Enabled = or(t.Enabled, true)
		x.K = or(t.K, x.K)
		x.Window = or(t.Window, x.Window)
		x.MaxRejectProbability = or(t.MaxRejectProbability, x.MaxRejectProbability)
		x.MinRate = or(t.MinRate, x.MinRate)
	}
	if fb := f.Fallback; fb != nil {
		x := &d.Fallback
		x.Enabled = or(fb.Enabled, true) // a fallback section turns it on
		if fb.Outcomes != nil {
			x.Outcomes = *fb.Outcomes
		}
		if st := fb.Stale; st != nil {
			x.Stale.MaxAge = or(st.MaxAge, x.Stale.MaxAge)
			x.Stale.MaxEntries = or(st.MaxEntries, x.Stale.MaxEntries)
			x.Stale.MaxBody = or(st.MaxBody, x.Stale.MaxBody)
		}
	}
	d.Chaos = resolveChaos(f.Chaos, d.Chaos)
	return d
}

// resolveChaos fills x from f. Unlike the other sections, a chaos section
// does not turn chaos on: only enabled: true does.
func resolveChaos(f *fileChaos, x Chaos) Chaos {
	if f == nil {
		return x
	}
	x.Enabled = or(f.Enabled, false)
	x.Rate = or(f.Rate, x.Rate)
	if f.Seed != nil {
		x.Seed, x.Seeded = *f.Seed, true
	}
	if f.Faults != nil {
		x.Faults = make([]Fault, len(*f.Faults))
		for i, ff := range *f.Faults {
			x.Faults[i] = Fault{
				Error: or(ff.Error, ""), Latency: or(ff.Latency, 0),
				LatencyMedian: or(ff.LatencyMedian, 0), LatencyP99: or(ff.LatencyP99, 0),
				Hang: or(ff.Hang, false), HTTPStatus: or(ff.HTTPStatus, 0), RetryAfter: or(ff.RetryAfter, 0),
				GRPCCode: or(ff.GRPCCode, ""), Pushback: or(ff.Pushback, 0), Reset: or(ff.Reset, false),
				Rate: or(ff.Rate, x.Rate),
			}
		}
	}
	return x
}

func resolveLimit(l *fileRateLimit, x RateLimit) RateLimit {
	x.Enabled = or(l.Enabled, true)
	x.Rate = or(l.Rate, x.Rate)
	x.Burst = or(l.Burst, x.Burst)
	x.MaxWait = or(l.MaxWait, x.MaxWait)
	x.ServerFeedback = or(l.ServerFeedback, x.ServerFeedback)
	x.MaxKeys = or(l.MaxKeys, x.MaxKeys)
	x.Store = or(l.Store, x.Store)
	x.KeyPrefix = or(l.KeyPrefix, x.KeyPrefix)
	x.Key = or(l.Key, x.Key)
	x.FailClosed = or(l.FailClosed, x.FailClosed)
	x.Replicas = or(l.Replicas, x.Replicas)
	x.DecisionTimeout = or(l.DecisionTimeout, x.DecisionTimeout)
	x.StoreRetry = or(l.StoreRetry, x.StoreRetry)
	if x.Store != "memory" {
		// A fleet-wide limit decides in Redis and refuses at once: its
		// defaults neither wait nor follow the server's feedback.
		if l.MaxWait == nil {
			x.MaxWait = 0
		}
		if l.ServerFeedback == nil {
			x.ServerFeedback = false
		}
	}
	return x
}

func resolveBudget(f *fileBudget, def Budget) Budget {
	if f == nil {
		return def
	}
	return Budget{
		Enabled:      or(f.Enabled, def.Enabled),
		Ratio:        or(f.Ratio, def.Ratio),
		MinPerSecond: or(f.MinPerSecond, def.MinPerSecond),
		Capacity:     or(f.Capacity, def.Capacity),
	}
}

func resolveServer(f *fileServer) Server {
	s := builtinServer()
	if f == nil {
		return s
	}
	s.Name = or(f.Name, s.Name)
	if d := f.Deadline; d != nil {
		s.Deadline.Enabled = true
		s.Deadline.Header = or(d.Header, s.Deadline.Header)
		s.Deadline.Max = or(d.Max, s.Deadline.Max)
	}
	if k := f.CallerKey; k != nil {
		s.CallerKey.Header = or(k.Header, "")
		s.CallerKey.Metadata = or(k.Metadata, "")
	}
	if l := f.LoadShed; l != nil {
		x := &s.LoadShed
		x.Enabled = or(l.Enabled, true)
		x.Algorithm = or(l.Algorithm, x.Algorithm)
		x.InitialLimit = or(l.InitialLimit, x.InitialLimit)
		x.MinLimit = or(l.MinLimit, x.MinLimit)
		x.MaxLimit = or(l.MaxLimit, x.MaxLimit)
		x.MaxQueue = or(l.MaxQueue, x.MaxQueue)
		x.CoDelTarget = or(l.CoDelTarget, x.CoDelTarget)
		x.CoDelInterval = or(l.CoDelInterval, x.CoDelInterval)
		x.RetryAfter = or(l.RetryAfter, x.RetryAfter)
	}
	if l := f.Limit; l != nil {
		s.Limit = resolveLimit(l, s.Limit)
	}
	if i := f.Idempotency; i != nil {
		x := &s.Idempotency
		x.Enabled = or(i.Enabled, true)
		x.Store = or(i.Store, x.Store)
		x.Lease = or(i.Lease, x.Lease)
		x.Retention = or(i.Retention, x.Retention)
		x.StoreTimeout = or(i.StoreTimeout, x.StoreTimeout)
		x.MaxStoredBytes = or(i.MaxStoredBytes, x.MaxStoredBytes)
		x.FailOpen = or(i.FailOpen, x.FailOpen)
		x.Required = or(i.Required, x.Required)
	}
	s.Chaos = resolveChaos(f.Chaos, s.Chaos)
	return s
}
