// Package retry tries a call again after a retryable failure: bounded,
// jittered, budgeted and deadline-aware (REFERENCE.md, "Retry and backoff").
//
// What is retried: only outcomes that are paved.OutcomeTransient or
// paved.OutcomeOverload (by the call's classifier), and only calls that are
// safe to repeat (paved.Call.SafeToRepeat: a POST without an Idempotency-Key
// is sent once). Our own refusals (paved.OutcomeRejected: breaker open,
// bulkhead full, rate limited) are never retried, nor are Permanent, Fault or
// Canceled outcomes; such an error is returned unchanged.
//
// How long it waits: before retry n the delay is min(max, base * 2^(n-1)),
// jittered (JitterFull by default: U(0, d)). Server pushback
// (paved.RetryAfter: HTTP Retry-After, gRPC grpc-retry-pushback-ms) replaces
// the computed delay, clamped to max; a negative pushback means "do not
// retry". A retry never sleeps past the caller's deadline: it stops when the
// deadline leaves less than the delay plus the minimum attempt time.
//
// The budget: retries may add at most 10% of the calls of the last 10
// seconds, plus 10 per second always allowed, so an outage cannot multiply the
// load on the dependency (at most about 1.1 attempts per call once the floor
// is spent). A retry is checked against the budget before its wait and
// spends from it only when the wait is over, so a caller that gives up while
// waiting spends nothing. One budget per pipeline. The success path costs one atomic add
// and no allocation (BenchmarkRetrySuccess).
//
// Giving up on a retryable failure returns *ExhaustedError, which unwraps to
// the last attempt's error and says how many attempts were made and why no
// more were (Reason: max attempts, budget, deadline, pushback); it is also a
// retries_exhausted event with the attribute resilience.retry.reason. Each
// retry is a retry event, emitted when the wait is over and the attempt
// starts, carrying its delay and the error that caused it.
//
// Attempts follow paved's contract: attempt 1 runs with the context the
// retry was given, later ones with paved.Call.NewAttempt; the failed attempt
// is discarded (its response body drained and closed) before the wait; the
// attempt whose result stands is marked with paved.Call.SetFinal.
//
// Defaults: MaxAttempts 3 (1..10), backoff base 100ms and max 10s, JitterFull,
// budget ratio 0.1 with min_per_second 10 over a 10s window, minimum attempt
// time 1ms. Place it outside the per-attempt timeout and breaker and inside
// the total timeout (DESIGN.md, "The order of a paved pipeline").
package retry
