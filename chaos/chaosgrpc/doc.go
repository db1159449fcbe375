// Package chaosgrpc applies a chaos.Chaos to gRPC (STANDARDS.md RS-17):
// client interceptors disturb calls before they leave, server interceptors
// the calls a server receives, with package chaos's faults (errors, latency,
// hangs) and one of its own, Code: a status code, optionally with a
// grpc-retry-pushback-ms trailer (gRFC A6), as a server in trouble answers.
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
// on the client side it still matches chaos.ErrInjected with errors.Is.
// Streams are disturbed when they are created, never midway.
package chaosgrpc
