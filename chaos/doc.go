// Package chaos injects faults on purpose, so that a service's resilience
// is rehearsed rather than assumed (STANDARDS.md RS-17): errors of a chosen
// outcome, latency fixed or drawn from a distribution with a long tail, and
// hangs, in a share of the calls, switched on and off at run time, seeded
// for runs that repeat exactly, with an event for every injection. Polly's
// Simmy is the model; the same Chaos serves users' own tests and chaos
// experiments in a running service.
//
// # Where it goes
//
// A Chaos is a paved.Middleware. Innermost in a client pipeline, where the
// dependency would fail, it disturbs attempts, and retries, breakers and
// timeouts meet the fault as they would a real one:
//
//	flaky := chaos.MustNew(chaos.ErrorOutcome(paved.OutcomeTransient), chaos.WithRate(0.3))
//	p := paved.New("payments", timeout.MustNew(...), retry.MustNew(), breaker.MustNew("payments"), flaky)
//
// In a server pipeline (pavedhttp.NewHandler, pavedgrpc's server
// interceptors) it disturbs the requests the server admits; pavedhttp
// answers an ErrorOutcome fault with the status its outcome calls for,
// while grpc-go answers it UNKNOWN, so a gRPC server is better disturbed by
// chaosgrpc's server interceptors. The transport
// packages apply a Chaos at the wire, with faults only a transport has:
// package chaoshttp (a RoundTripper and an http.Handler; HTTP statuses with
// Retry-After, connection resets) and package chaosgrpc (client and server
// interceptors; status codes with grpc-retry-pushback-ms, connection
// resets). This package
// imports neither net/http nor gRPC.
//
// # Faults
//
//	Error(err), ErrorOutcome(o)   fail without running the call; errors.Is(err, ErrInjected)
//	Latency(d)                    wait d, then run the call
//	LatencyLogNormal(median, p99) wait a log-normal delay (a long tail), then run it
//	LatencyFrom(dist)             wait dist(u), u uniform in [0, 1), then run it
//	Hang()                        block until the call's context ends; never run it
//
// A latency fault's wait ends early, with the context's error, when the
// call's context ends; it waits on the clock WithClock gives, so tests run
// it on a clock.Fake.
//
// # Picking calls
//
// Each call the Chaos sees while on is numbered; call n is disturbed when a
// hash of the seed and n falls under the rate. So the picks (and the delays
// drawn) depend on the seed and the call's number only: the same seed gives
// the same picks in every run, whatever the goroutines and the timing, and
// picking takes no lock: a call left alone costs about 80 instructions
// (BenchmarkPickMiss, measured with callgrind), and a pipeline call through a
// Chaos at the default rate about 100 more than one without. Defaults: rate
// DefaultRate (0.001, Simmy's), on, a random seed. Enable, Disable,
// SetEnabled and SetRate change a running Chaos; WithFilter limits it to
// some calls (an operation, a tenant).
//
// # Telemetry
//
// Every injection is a chaos_injected event (telemetry.EventChaosInjected)
// with resilience.chaos.fault ("error", "latency", "hang", "http_status",
// "reset", "grpc_code"), resilience.chaos.name (WithName, default "chaos"),
// the delay for latency faults and error.type for errors: through the
// call's pipeline when there is one (paved.Emit), else through
// WithTelemetry's telemetry.
package chaos
