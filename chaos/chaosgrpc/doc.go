// Package chaosgrpc applies a chaos.Chaos to gRPC (STANDARDS.md RS-17):
// client interceptors disturb calls before they leave, server interceptors
// the calls a server receives, with package chaos's faults (errors, latency,
// hangs) and two of its own: Code, a status code, optionally with a
// grpc-retry-pushback-ms trailer (gRFC A6), as a server in trouble answers;
// and Reset, a connection reset.
//
// A server's Reset is real: served on a Listener (NewListener) and given it
// (WithListener), the server interceptors close the call's TCP connection
// with an RST, and the client's gRPC library reports what any peer's reset
// gives it. A client's Reset is an emulation (an interceptor cannot reach
// the connection): the call fails with the status grpc-go gives a reset
// call, UNAVAILABLE "error reading from server: connection reset by peer",
// and counts as sent, as a reset call is.
//
// Under paved's client, chain the chaos interceptor inside pavedgrpc's, so
// each attempt is disturbed and paved's policies see the fault as the
// server's status:
//
//	flaky := chaos.MustNew(chaosgrpc.Code(codes.Unavailable), chaos.WithRate(0.3))
//	grpc.NewClient(target, grpc.WithChainUnaryInterceptor(
//		pavedgrpc.UnaryClientInterceptor(p), chaosgrpc.UnaryClientInterceptor(flaky)))
//
// An injected chaos.Error becomes the status CodeForOutcome gives its
// outcome (UNAVAILABLE for Transient, RESOURCE_EXHAUSTED for Overload, ...);
// on the client side it, like a Code and an emulated Reset, still matches
// chaos.ErrInjected with errors.Is.
// Streams are disturbed when they are created, never midway.
package chaosgrpc
