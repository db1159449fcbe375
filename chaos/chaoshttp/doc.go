// Package chaoshttp applies a chaos.Chaos to HTTP at the wire (STANDARDS.md
// RS-17): Transport disturbs a client's round trips, Handler a server's
// requests, so what is rehearsed is what a real dependency does — a 503
// with Retry-After, a reset connection, a slow or hung answer.
//
// Beside package chaos's faults (errors, latency, hangs) it has two of its
// own: Status (an answer with a status code, optionally with Retry-After)
// and Reset (a connection reset). A Status or Reset fault given to a paved
// pipeline as middleware is refused when the pipeline is built; use it here.
//
// Under paved's client, put Transport beneath pavedhttp.NewTransport, so
// each attempt is disturbed and every policy sees the fault as a server's
// answer:
//
//	flaky := chaos.MustNew(chaoshttp.Status(503), chaos.WithRate(0.3))
//	client := &http.Client{Transport: pavedhttp.NewTransport(p, chaoshttp.NewTransport(flaky, nil))}
//
// Handler goes in front of a server's handler, for rehearsals that cross the
// network (the demo in examples/scenarios runs its dependencies so).
// Injections are reported as chaos_injected events (see package chaos).
package chaoshttp
