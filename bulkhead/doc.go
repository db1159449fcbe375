// Package bulkhead bounds how many calls to a dependency run at once, so a
// slow dependency ties up a bounded share of the caller's goroutines,
// connections and memory instead of all of them (STANDARDS.md RS-9:
// bulkheads and adaptive concurrency). It sits inside retry and the breaker
// in a paved pipeline, so each attempt holds a slot only while it is in
// flight (docs/design.md, "The order of a paved pipeline").
//
// # Fixed
//
// New(max) admits at most max calls at once. A call beyond them waits for
// a slot if WithMaxWait allows it — in arrival order, at most MaxQueue
// calls (default max), never past MaxWait nor past its context's deadline
// — or is refused with ErrFull. By default nothing waits: a full bulkhead
// refuses at once, which is what a caller with its own retry and deadline
// wants; a short wait (tens of milliseconds) smooths bursts of short calls.
//
//	b := bulkhead.MustNew(100, bulkhead.WithMaxWait(50*time.Millisecond))
//	p := paved.New("payments", retry.MustNew(), b, timeout.MustNew(time.Second))
//
// # Adaptive
//
// NewAdaptive() moves the limit by what the calls it admits measure, with
// the algorithms of Netflix concurrency-limits (docs/bulkhead.md has the
// formulas and why these defaults):
//
//   - Gradient2 (default): the ratio of the long-term average latency to
//     the last 1s window's, clamped to [0.5, 1], scales the limit, plus a
//     queue allowance of 4, smoothed by 0.2. Latency may grow by half
//     (tolerance 1.5) before the limit shrinks.
//   - Vegas: grows while the estimated queue, limit*(1 - minRTT/RTT), is
//     short, and shrinks when it is long; per call.
//   - AIMD: +1 while at least half the limit is in flight, *0.9 on a drop;
//     per call; blind to latency.
//
// Bounds default to 1..200 from 20 (WithLimits, WithInitialLimit). The limit
// never grows while fewer than half of it are in flight: a quiet caller has
// no evidence that more would be served as fast.
//
// What a result tells the limit is decided by the call's classifier (the
// same one retry and breaker use): Success and Permanent are latency
// samples; Overload (429, RESOURCE_EXHAUSTED) and timeouts are drops, which
// every algorithm answers by shrinking; Canceled, Rejected and other
// failures (a refused connection fails fast, and its latency says nothing
// about the dependency's queue) free the slot without a sample.
//
// # Refusals, leaks
//
// A slot is held while the attempt runs: under pavedhttp.NewTransport, until
// the response's headers arrive, not while its body is read.
//
// ErrFull is a paved.NewRejection: errors.Is(err, paved.ErrRejected), so
// retries do not repeat it and breakers do not count it; the server adapters
// answer it with 503 or UNAVAILABLE. A slot is freed when the wrapped Op
// returns or panics; a waiter that gives up (MaxWait, its deadline, its
// context canceled) leaves the queue, and a slot granted to it just as it
// gave up goes to the next waiter. Tests run all of these under -race.
//
// # Telemetry
//
// A refusal is a bulkhead_rejected event (its Delay is the time waited); a
// change of an adaptive limit is a limit_changed event with
// resilience.limit and resilience.algorithm. From its first call through a
// pipeline, the bulkhead is read by that pipeline's
// resilience.concurrency.limit and resilience.concurrency.inflight gauges
// (policy "bulkhead") whenever metrics are collected: current values at no
// cost per call (telemetry.ObserveConcurrency).
//
// # Cost
//
// Uncontended, a fixed bulkhead's Wrap is one compare-and-swap to acquire
// and one atomic add to release, with no allocation; an adaptive one adds,
// for a call that is timed, two monotonic clock reads and its sample under a
// mutex. With windows (Gradient2's default), once a window has held more
// than 80 samples only every k-th call of the next is timed (k up to 64,
// keeping about 80), and the others read no clock. A
// call that waits allocates its place in the queue and a timer. The
// README's costs table has the measured figures.
package bulkhead
