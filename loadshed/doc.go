// Package loadshed protects both ends of a call from overload (STANDARDS.md
// RS-10): a Shedder on the server, which admits what it can serve and sheds
// the least important rest, and a Throttle on the client, so that a
// dependency that keeps refusing is sent less.
//
// # Server-side load shedding
//
// New returns a Shedder, the middleware of a server's admission pipeline:
//
//	shed := loadshed.MustNew()
//	http.Handle("/", pavedhttp.NewHandler(paved.New("api", shed), api,
//		pavedhttp.WithKeyFunc(tenantOf)))
//
// (for gRPC, pavedgrpc.ServerOptions(paved.New("api", shed)) and
// pavedgrpc.WithKeyFunc).
//
//   - An adaptive concurrency limit (Gradient2 by default, with a tolerance
//     of 1 — the limit shrinks as soon as latency grows — and 100 ms
//     windows; Vegas, AIMD: WithAlgorithm; WithLimits 1..1000,
//     WithInitialLimit 20, WithWindow) admits a request while fewer than the
//     limit run. A request that timed out counts as a drop.
//   - Ranks: criticality first (CRITICAL_PLUS, CRITICAL, SHEDDABLE_PLUS,
//     SHEDDABLE), then, within one criticality, whether the caller key
//     (paved.CallInfo.Key) is within its fair share: the time its requests
//     held a slot, decayed over 10 s, against 1.1 times the mean of the keys
//     of that criticality (failsafe-go's usage tracking is the anchor;
//     WithFairShare). A request of rank r is admitted only while fewer than
//     1 - 0.05*(7-r) of the limit run — 100% for CRITICAL_PLUS within its
//     share, down to 65% for SHEDDABLE over it — so that a slot is free when
//     more important work comes; a caller over its share also gets at least
//     one slot fewer than one within it, where 5% of the limit is less.
//   - The others wait in a queue (WithMaxQueue, default 100), best rank
//     first. CoDel (Facebook, "Fail at Scale"; WithCoDel, 5 ms and 100 ms),
//     per criticality: while the server has emptied a criticality's queue
//     in good time within the last 100 ms, its requests may wait 100 ms;
//     otherwise that queue is congested, its requests may wait 5 ms (at
//     least three mean gaps between releases, for servers whose slots free
//     slowly) and the newest is served first (LIFO), as it still is for
//     100 ms after the congestion ends. A full queue sheds its least
//     important waiter for a more important newcomer, else the newcomer.
//   - A shed request gets ErrShed with a RetryAfter of 1 s (WithRetryAfter):
//     the adapters answer 503 with Retry-After, or UNAVAILABLE with
//     grpc-retry-pushback-ms, which a paved client classifies as Overload.
//
// Events: shed (resilience.shed.reason: queue_full, queue_timeout, evicted)
// and limit_changed. From its first request through a pipeline, the
// Shedder is read by that pipeline's resilience.concurrency.limit and
// .inflight gauges (policy "loadshed") whenever metrics are collected.
//
// # Client-side adaptive throttling
//
// NewThrottle returns the adaptive throttle of Google's SRE book ("Handling
// Overload"): over the last two minutes it counts the calls the application
// attempted (requests) and those the dependency accepted (accepts), and
// refuses a call locally, with ErrThrottled, with probability
//
//	max(0, (requests - K*accepts) / (requests + 1))     K = 2
//
// capped at 0.9 so that the recovery of the dependency is seen, and not at
// all while the client sends less than one request a second. A dependency
// that can serve C calls a second is then sent about K*C of them however much
// more the application attempts, and spends less of its capacity refusing.
// Defaults: K 2 (WithK), window 2m (WithThrottleWindow), cap 0.9
// (WithMaxRejectProbability), floor 1 request/s (WithMinRate); an attempt counts as accepted unless its
// outcome is Overload or Transient (WithAcceptedFunc).
//
// Place it inside retry, next to the breaker, so that every attempt counts
// and a local refusal (an Outcome of Rejected) is not retried:
//
//	p := paved.New("inventory",
//		timeout.MustNew(10*time.Second),
//		retry.MustNew(),
//		breaker.MustNew("inventory"),
//		loadshed.MustNewThrottle(),
//	)
//
// Breakers and the Throttle divide the work. A breaker excludes Overload
// outcomes by default (429, 503 with Retry-After, RESOURCE_EXHAUSTED,
// UNAVAILABLE with pushback): such a dependency is alive and shedding part of
// its load, and a breaker that opened on it would take the caller's goodput
// from that part to nothing. The Throttle answers exactly that case, in
// proportion. A dependency that is down (Transient and Fault failures) is
// the breaker's.
//
// # Criticality
//
// Every call has a criticality, paved.Priority, Google's four classes:
// CRITICAL_PLUS, CRITICAL (the default), SHEDDABLE_PLUS and SHEDDABLE. A
// server sheds the lowest first, and the criticality of a request reaches the
// calls its handler makes with the request's context (STANDARDS.md RS-12):
// in process through paved.CallInfo, which nested calls inherit, and between
// processes in the Paved-Criticality header (pavedhttp.CriticalityHeader)
// and paved-criticality metadata (pavedgrpc.CriticalityKey), which the
// client adapters send for a call that is not CRITICAL and the server
// adapters read by default. Set a call's criticality with
//
//	ctx = paved.WithCallInfo(ctx, paved.CallInfo{Priority: paved.PrioritySheddable})
//
// and, at a public edge where any client could claim CRITICAL_PLUS, decide it
// on the server with pavedhttp.WithPriorityFunc or pavedgrpc.WithPriorityFunc.
//
// docs/loadshed.md has the numbers, the sources and the proofs.
package loadshed
