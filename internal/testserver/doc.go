// Package testserver provides scriptable loopback servers, HTTP and gRPC, for
// the tests of paved's adapters and policies. They exist so those tests run
// against real transports — real connections, real resets, real status codes
// and trailers — rather than against fakes of them, while
// staying deterministic (rule 5).
//
// Each server listens on 127.0.0.1:0 only and is closed by t.Cleanup. What it
// does with each request is a [Behaviour]: the scripted behaviours are used
// in arrival order, one per request or call, then the default ([OK] unless
// [WithDefault] says otherwise). [WithChooser] replaces the script with a
// function of the request number, for patterns such as "fail 5% of calls"
// driven by a seeded rand.
//
// Both servers count requests in total and per method, record what each one
// carried (headers, bodies, metadata) so that tests can assert on
// Idempotency-Key or body replay, count the connections opened so that tests
// can prove there is no connection churn, and let a test wait for a number of
// arrivals without sleeping. All methods are safe for concurrent use.
//
// Delays use a [clock.Clock] ([WithClock]; real time by default), so a test
// can hold a reply with a fake clock and release it with Advance.
//
// The package imports google.golang.org/grpc, including its interop test
// service (grpc_testing), which is already generated, so no code generation is
// needed.
package testserver
