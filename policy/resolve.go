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
	return d
}

func resolveLimit(l *fileRateLimit, x RateLimit) RateLimit {
	x.Enabled = or(l.Enabled, true)
	x.Rate = or(l.Rate, x.Rate)
	x.Burst = or(l.Burst, x.Burst)
	x.MaxWait = or(l.MaxWait, x.MaxWait)
	x.ServerFeedback = or(l.ServerFeedback, x.ServerFeedback)
	x.MaxKeys = or(l.MaxKeys, x.MaxKeys)
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
	return s
}
