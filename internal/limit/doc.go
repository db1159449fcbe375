// Package limit is the adaptive concurrency limit that bulkhead (client
// side) and loadshed (server side) share: a Limiter that admits requests
// while fewer than its limit are in flight, and an Algorithm that moves the
// limit by the latency and drops it measures (docs/bulkhead.md, "The
// algorithms"; STANDARDS.md RS-9 and RS-10). The
// algorithms are those of Netflix concurrency-limits, with its defaults:
//
//   - Gradient2 (NewGradient2, DefaultGradient2): the ratio of a long-term
//     exponential average RTT to the short-term RTT, clamped to [0.5, 1],
//     scales the limit; a queue allowance of 4 lets it grow while latency is
//     flat; each estimate is smoothed by 0.2. Meant to be fed windows
//     (DefaultWindow), as Netflix's WindowedLimit does.
//   - Vegas (NewVegas, DefaultVegas): the queue the limit builds,
//     limit*(1 - rtt_noload/rtt), against thresholds that scale with
//     log10(limit); the no-load RTT is re-probed every ~30*limit samples.
//   - AIMD (NewAIMD, DefaultAIMD): +1 while at least half the limit is in
//     flight, *0.9 on a drop or an RTT over 5s.
//
// # API
//
//	alg, _ := limit.NewGradient2(limit.DefaultGradient2)
//	l, _ := limit.New(alg, limit.Config{Initial: 20, Min: 1, Max: 200, Window: limit.DefaultWindow}, clk)
//
//	tok, ok := l.TryAcquire()      // lock-free; false: the limit is reached
//	if !ok { /* refuse, or queue and try again after a Release */ }
//	// ... the request ...
//	lim, changed := l.Release(tok, limit.Success) // or Dropped, or Ignored
//
// The Limiter does not queue or wait: callers that wait (bulkhead's bounded
// wait, loadshed's CoDel queue) keep their own queue and call TryAcquire for
// the waiter at the head after a Release frees a slot or raises the limit.
// ForceAcquire admits past the limit, for traffic that must never be
// refused. Release reports the new limit and whether it changed, so the
// caller can emit limit_changed and set the resilience.concurrency.limit
// gauge; Limit and Inflight read the state at any time.
//
// Release results: Success takes the RTT since TryAcquire as a latency
// sample; Dropped marks the sample (the request timed out, or the
// dependency refused it as overloaded); Ignored frees the slot with no
// sample (the caller gave up, another policy refused, a local error), so
// requests that say nothing about the dependency do not move the limit.
//
// An Algorithm is a pure function of its samples (Update(limit, Sample)
// returns the next limit, unclamped) and is not safe for concurrent use; the
// Limiter serializes it, clamps its answer to [Min, Max] and owns the limit.
// So each algorithm is tested by feeding it samples and checking the
// trajectory against the published formulas, with no clock and no
// goroutines. Time reaches the Limiter only through its clock.Clock, so
// windows are tested on clock.Fake.
//
// Cost: TryAcquire is one compare-and-swap and a monotonic clock read;
// Release an atomic add, a clock read and a short critical section (none for
// Ignored, nor for a sample a Window leaves out); neither allocates. Under a
// Window at high rates only every k-th request (up to 64th) is timed, so the
// others read no clock and take no lock (see Window).
package limit
