// Package hedge cuts tail latency by sending another attempt when the
// previous one is slow, and keeping the first success (gRFC A6 hedging;
// docs/reference.md, "Hedging"; The Tail at Scale).
//
// After a delay without a result, a hedge starts another attempt without
// canceling the first; the first Success wins (paved.Call.SetFinal) and every
// other attempt is canceled and discarded (an HTTP loser's body is drained and
// closed when it lands; one that already finished is discarded before it is
// canceled, so its body drains and its connection is reused). A Transient or
// Overload result starts the next hedge at once, and stays the call's answer
// until a later attempt answers in its place; any other result (Permanent,
// Fault, Canceled) is an answer another attempt cannot improve, and ends the
// call as it is. A hedge our own policies refuse (a full bulkhead, a
// half-open breaker) stops hedging: the attempts still running may answer,
// else the call ends with the last real answer. At most MaxHedges extra
// attempts are made (default 1).
//
// Pushback applies to hedges (gRFC A6): a failure carrying a "do not retry"
// (a negative grpc-retry-pushback-ms) stops further hedges; one carrying a
// delay (Retry-After on a 429 or 503, a positive pushback) postpones the
// next hedge by that delay (capped by WithMaxPushback, 10s by default), and
// stops hedging when the caller's deadline is sooner. A hedge that never left
// the process (paved.Attempt.Unsent) never replaces the last real answer.
//
// The delay is fixed (WithDelay) or adaptive (the default): the p95 of the
// last 512 attempt latencies of the pipeline, once 100 were seen, and 100ms
// until then. Only answers count (successes and Permanent results), not fast
// failures, which would pull the delay down during an outage. Hedged-away
// attempts count at the time they were canceled, so the tail that hedging
// hides still shapes the delay.
//
// Only calls whose attempts may run at once are hedged (paved.Call.Concurrent:
// safe to repeat and not Sequential — a POST made safe by an Idempotency-Key is
// retried but never hedged, since a server answers a concurrent repeat with
// 409); others run once, as if there were no hedge, and a retryable failure
// of an Unrepeatable one is an unsafe_to_repeat event saying why it was not
// hedged.
//
// Hedges spend a budget as retries do (docs/reference.md, "Retry budgets"): a
// bucket of 20 tokens, full at the start, that every answered call refills
// by 0.1; each hedge takes one. A hedge is an extra request whichever attempt
// wins, so a hedge on delay always costs its token; a hedge started at once
// after a failure is a retry, and costs nothing when it answers, nor does a
// hedge our own policies refused. One hedge per second is always allowed.
//
// Each attempt runs in its own goroutine with its own cancelable context, so a
// call costs a goroutine, a channel and a timer more than a plain one (about
// 2.5 µs and 11 allocations, BenchmarkHedgeSuccess). Losers may still be
// finishing when the call returns; they have been canceled, and nothing waits
// for them.
//
// Panics: a panic in an attempt that lands while the call still waits ends
// the call: the other attempts are canceled and the panic is raised again in
// the caller's goroutine with the same value, so a recover there sees what
// the Op panicked with; the attempt's own stack is logged at Error level
// (the pipeline telemetry's logger, else slog's default), since the re-raised
// panic shows the caller's. A panic in an attempt the call no longer waits
// for (a loser canceled after another attempt won) is raised again in that
// attempt's own goroutine once the call has returned, and so crashes the
// program as an unrecovered panic in any goroutine does, with the stack of
// where it panicked; it is never dropped. An attempt that calls
// runtime.Goexit (t.FailNow) ends the caller's goroutine the same way when it
// decides the call, and only its own goroutine otherwise.
//
// Defaults: adaptive delay p95 with 100 samples minimum and a 100ms
// fallback; MaxHedges 1 (1..4); budget ratio 0.1, capacity 20,
// min_per_second 1. Hedging
// takes the place of retry in a pipeline (docs/design.md, "The order of a paved
// pipeline"). Each hedge is a hedge event with its delay.
//
// Standards: STANDARDS.md RS-7 (hedge only idempotent calls, within a
// budget), RS-4 (a hedge takes the place of retry, never sits beside one)
// and RS-5 (pushback postpones or stops hedges). In a policy file it is the
// hedge section.
package hedge
