// Package loadshed protects both ends of a call from overload (STANDARDS.md
// RS-10): a Throttle on the client, so that a dependency that keeps refusing
// is sent less, and — for servers — load shedding by criticality.
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
