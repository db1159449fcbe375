// Package fallback is graceful degradation as a policy (STANDARDS.md
// RS-16): when a call fails, answer with a substitute — a default, a
// cached or stale copy, a reduced answer — instead of the failure.
// failsafe-go's Fallback, resilience4j's fallback decorators and Polly's
// Fallback strategy are the peers.
//
// A Fallback is a paved.Middleware. Put it outermost, before the total
// timeout, so it answers whatever the rest of the pipeline gave up with:
//
//	p := paved.New("prices",
//		fallback.MustNew(fallback.Value(lastKnownPrices)),
//		timeout.MustNew(2*time.Second), retry.MustNew(), breaker.MustNew("prices"))
//	prices, err := paved.Do(ctx, p, fetchPrices) // lastKnownPrices, nil when fetchPrices keeps failing
//
// # Outcomes
//
// It answers the failures whose outcome (the call's classifier, the same
// one retry and breaker ask) is in its set: by default DefaultOutcomes,
// the dependency's failures (Transient, Overload, Fault: a deadline passed
// is Transient) and paved's own refusals (Rejected: a breaker open, a
// bulkhead full). A caller's own mistake (Permanent: a 404, an
// INVALID_ARGUMENT) and a caller that gave up (Canceled) pass through
// unless WithOutcomes says otherwise.
//
// # Results
//
// The substitute becomes the call's final result through
// paved.Call.Substitute, the per-attempt result protocol every adapter
// follows: paved.Do returns it as its T; under pavedhttp it is the
// *http.Response RoundTrip returns (pavedhttp.Fallback builds one from the
// request; pavedhttp.Stale serves the last good copy of a GET); under
// pavedgrpc it is a reply message copied into the caller's. The failed
// attempts' results are released (response bodies drained and closed). A
// Func that returns an error fails the call with it instead.
//
// # Telemetry
//
// Every substitution is a fallback event (telemetry.EventFallback) with the
// failure's resilience.outcome and error.type and, as resilience.attempt,
// the number of the call's last attempt, on the call's span, in
// resilience.events and in the pipeline's log.
package fallback
