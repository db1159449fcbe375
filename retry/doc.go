// Package retry tries a call again after a retryable failure: bounded,
// jittered, budgeted and deadline-aware (docs/reference.md, "Retry and
// backoff", "Retry budgets").
//
// What is retried: only outcomes that are paved.OutcomeTransient or
// paved.OutcomeOverload (by the call's classifier), and only calls that are
// safe to repeat (paved.Call.SafeToRepeat: a POST without an Idempotency-Key
// is sent once), unless the failed attempt never left the process
// (paved.Attempt.Unsent: the connection could not be made), which is
// repeated whatever the call. Declining to repeat an unsafe call is an
// unsafe_to_repeat event that says why (paved.Call.UnsafeReason). Our own
// refusals (paved.OutcomeRejected: breaker open, bulkhead full, rate limited)
// are never retried, nor are Permanent, Fault or Canceled outcomes; such an
// error is returned unchanged.
//
// How long it waits: before retry n the delay is min(max, base * 2^(n-1)),
// jittered (JitterFull by default: U(0, d)). Server pushback
// (paved.RetryAfter: HTTP Retry-After, gRPC grpc-retry-pushback-ms) replaces
// the computed delay, clamped to max; a negative pushback means "do not
// retry". A retry never sleeps past the caller's deadline: it stops when the
// deadline leaves less than the delay plus the minimum attempt time.
//
// # The budget
//
// The budget bounds wasted retries, not useful ones. It is a bucket of
// tokens, one per pipeline, that starts full:
//
//   - every call the dependency answers (a success, or a Permanent answer)
//     earns 0.2 tokens, up to the capacity of 20;
//   - a retry is made while the bucket holds its cost, 1 token (2 after an
//     attempt that timed out, which held the dependency's resources the
//     longest), and the cost is taken only if the retry fails: one that
//     succeeds, that our own policies refused before it reached the
//     dependency, or whose wait the caller gave up on costs nothing;
//   - besides the tokens, one retry per second is always allowed, spread
//     evenly (never saved up into a burst), for callers too quiet to earn.
//
// So a dependency failing 30% of attempts at random keeps every useful retry
// (the successful ones cost nothing; the failed ones, 0.12 per call, are well
// within the 0.19 a call earns), at any throughput: a retry's cost is not held
// while it waits and runs. In a full outage nothing is earned: after the 20
// saved tokens and the retries already in flight when they ran out, retries
// stop but for the floor of one a second — at 100 calls a second, 1% extra
// load. The AWS SDKs' standard retry mode (500 tokens, a retry costs 5 or 10
// after a timeout, a success refunds 1, a successful retry its cost), gRPC's
// retry throttling and Finagle's RetryBudget are the anchors. WithBudget and WithBudgetCapacity
// change the numbers; WithoutBudget turns the budget off. The success path
// costs one atomic load while the bucket is full and no allocation
// (BenchmarkRetrySuccess).
//
// # Results
//
// Giving up on a retryable failure returns *ExhaustedError, which unwraps to
// the last attempt's error and says how many attempts were made and why no
// more were (Reason: max attempts, budget, deadline, pushback, refused,
// unsafe); it is also a retries_exhausted event with the attribute
// resilience.retry.reason. Each retry is a retry event, emitted when the wait
// is over and the attempt starts, carrying its delay and the error that
// caused it.
//
// Attempts follow paved's contract: attempt 1 runs with the context the
// retry was given, later ones with paved.Call.NewAttempt; the attempt whose
// result stands is marked with paved.Call.SetFinal. A failed attempt stays
// the call's answer (an HTTP 503 response, whose body pavedhttp has already
// read so its connection is free) until a later attempt answers in its
// place, and is discarded then: when our own policy refuses the later attempt
// (a breaker that opened meanwhile), the caller gets that last real answer —
// the 503 response — with Reason "refused", never a bare refusal.
//
// Defaults: MaxAttempts 3 (1..10), backoff base 100ms and max 10s,
// JitterFull, budget ratio 0.2, capacity 20, min_per_second 1, minimum
// attempt time 1ms. Place it outside the per-attempt timeout and breaker and
// inside the total timeout (docs/design.md, "The order of a paved pipeline").
//
// Standards: STANDARDS.md RS-2 (retries bounded, jittered and budgeted),
// RS-3 (writes repeated only when safe), RS-4 (one retry per pipeline;
// retries at one layer), RS-5 (honour pushback) and RS-15 (its place in the
// pipeline). In a policy file it is the retry section.
package retry
