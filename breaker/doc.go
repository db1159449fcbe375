// Package breaker is a circuit breaker middleware for paved pipelines, built
// on github.com/sony/gobreaker/v2's CircuitBreaker: its Execute admits the
// call, runs it with no lock held, and counts its result (a closure on the
// stack, where the two-step breaker's done func would be allocated per call).
//
// # States and trip modes
//
// Closed, the breaker counts every call over a rolling window (gobreaker's
// Interval and BucketPeriod: 10 buckets of Window/10) and opens when
//
//   - at least MinCalls calls completed in the window and at least
//     FailureRatio of them failed (defaults 20 calls, 0.5, 10s), or
//   - ConsecutiveFailures calls failed in a row (off by default).
//
// Open, it rejects every call with ErrOpen for OpenDuration (default 5s),
// jittered by ±Jitter (default 20%) per open period so that a fleet of
// breakers that opened together does not probe in lockstep. Then it is
// half-open: it admits HalfOpenProbes calls (default 5) — never more at once,
// whatever the concurrency — and closes once they all succeed; one failure
// opens it again. Further calls while half-open get ErrTooManyRequests.
//
// Both errors are paved.NewRejection values: errors.Is(err, paved.ErrRejected)
// holds, the outcome is Rejected (so a retry outside does not retry them and
// no breaker counts them), and paved.RetryAfter(err) gives the remaining open
// time, for servers to answer with Retry-After.
//
// # Outcomes
//
// Each result is classified by the call's classifier (paved.Call.Classify),
// so a breaker never disagrees with a retry about an error:
//
//	Success, Permanent           success (a Permanent error is the caller's fault)
//	Transient, Fault             failure
//	Overload                     excluded, unless WithCountOverload(true)
//	Canceled, Rejected           excluded (gobreaker's IsExcluded: neither)
//
// Overload (429, 503 with Retry-After, RESOURCE_EXHAUSTED) is left out by
// default: such a server is alive and has said when to come back. Counting it
// would open the breaker on a server that sheds part of its load, taking the
// caller's goodput from that part to nothing, and its half-open probes would
// meet the same answer and open it again. The retry honours the server's
// delay; client-side throttling is the tool for sustained overload.
//
// A success (or Permanent) slower than SlowCallThreshold counts as a failure
// (resilience4j's slow-call rate; off by default). A panic counts as a
// failure and goes on to the caller.
//
// # Open duration, jitter and time
//
// gobreaker's Timeout is one fixed duration measured with time.Now, and it has
// no clock to inject. So the open period is owned here: gobreaker's Timeout is
// set to 1ns, and when gobreaker reports the open state (OnStateChange) the
// breaker draws a jittered deadline on its own clock (WithClock, default
// clock.Real) and rejects every call before it without asking
// gobreaker. After it, the first call finds gobreaker ready to go half-open.
// A call that passed the deadline check just as the breaker tripped is caught
// by a second check once gobreaker admitted it, and handed back as excluded. The open period,
// its jitter, half-open admission and slow calls are therefore all tested on a
// fake clock; only gobreaker's window buckets run on the real clock. In the
// closed state the check is one atomic load, and the clock is not read.
// Open periods and PerKey's idle times are elapsed time (Clock.Since, the
// monotonic reading), so a step of the wall clock neither stretches nor cuts
// them.
//
// # Telemetry
//
// gobreaker runs OnStateChange under its mutex; the callback only queues the
// change. It is reported after the call that caused it leaves gobreaker: as an
// event (breaker_opened, breaker_half_opened, breaker_closed) through
// paved.Emit on that call, and as the resilience.breaker.state gauge through
// the breaker's telemetry (WithTelemetry; the call's pipeline telemetry is not
// reachable from a Call). Rejections are breaker_rejected events. Changes made
// outside a call (ForceOpen, ForceClosed, Auto, TripFor) are reported through
// the breaker's telemetry for the pipeline it last served.
//
// # A refusal's cost
//
// A Breaker is a paved.EarlyRefuser: outermost in a pipeline that records
// nothing (no spans, no metrics, no logger), a call it refuses, open or
// forced open, is refused before the pipeline builds the call, with no
// allocation; its breaker_rejected event still reaches a recording span of
// the caller's, and a server call it was made within is still marked
// (paved.Call.DownstreamGaveUp). Anywhere else a refused call allocates only
// the pipeline's call. PerKey's breakers are not: their key may come from
// the call.
//
// # Manual control
//
// ForceOpen rejects everything, ForceClosed admits everything without
// counting, and Auto returns to automatic control with a fresh, closed state.
//
// # Per key
//
// PerKey keeps one breaker per key (host, operation, tenant), created on
// demand, at most MaxKeys of them (default 1024, least recently used evicted)
// and dropped after IdleTimeout unused (default 10m), so hostile or
// high-cardinality keys cannot exhaust memory. Per-key breakers report events
// but not the gauge, whose cardinality would be unbounded.
//
// Fleet-wide state shared through Redis lives in package
// breaker/redisbreaker, so users who never need it never compile go-redis.
//
// The standard: the outcome table and pipeline order of docs/design.md (the breaker sits
// inside retry, so one failing attempt counts once); docs/reference.md "Circuit
// breaker".
//
// Standards: STANDARDS.md RS-6 (circuit breakers) and RS-15 (inside the
// retry). In a policy file it is the breaker section.
package breaker
