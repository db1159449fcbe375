// Package loopbacktest holds the end-to-end proofs of issue 3 (retry, hedge,
// timeout): tests that run the policies through the HTTP and gRPC adapters
// against real servers on 127.0.0.1 (internal/testserver and httptest), with
// real connections, keep-alive and status codes.
//
// It has no code of its own: its tests are in package loopbacktest_test, so
// that they may import every policy and adapter together, which no policy or
// adapter package may do (docs/design.md, "Dependency rule"). Each test is bounded
// in calls and time and deterministic in what it asserts: which requests fail
// or are slow is chosen by a seeded rand on the server, and waits that a
// test compares are taken on a fake clock where the transport allows.
//
// What the tests prove (docs/reference.md, "Retry and backoff"; issue 3, "Proof"):
//
//   - retry with its defaults (the backoff shortened to base 1ms, max 10ms to
//     keep the run short; the budget as shipped) turns a dependency failing
//     5% of calls with 503 or UNAVAILABLE into at least 99.9% success;
//   - the retry budget holds a dependency failing 30% of calls, or down for
//     10,000 calls, to at most 1.15 attempts per call;
//   - discarded responses are drained and closed, and connections are
//     reused; a POST without an Idempotency-Key is sent once, with one it is
//     retried; Retry-After as an HTTP-date delays the retry as the seconds
//     form does; gRPC pushback is honoured and a negative pushback stops the
//     retry;
//   - our own refusals (a real breaker opened by failures; stand-ins for the
//     bulkhead and rate limit, not yet on main) are not retried and cost no
//     wait and no request;
//   - an attempt timeout inside retry cuts a hung attempt, and the winning
//     response's body stays readable after the call returns;
//   - hedging cuts the p99 of a dependency whose slowest 5% take 500 ms, for
//     a bounded share of extra attempts, and closes the losers' bodies.
//
// Run them with: go test -race ./internal/loopbacktest/ -v
package loopbacktest
