// Package loopbacktest holds the end-to-end proofs of retry, hedge, timeout
// and breaker: tests that run the policies through the HTTP and gRPC adapters
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
// What the tests prove (docs/reference.md, "Retry and backoff", "Retry
// budgets", "Transparent retries"):
//
//   - retry exactly as shipped (retry.MustNew(): backoff and budget untouched)
//     against a dependency failing 30% of attempts at random reaches at least
//     96% success for at most 1.45 attempts per call, no worse than a plain
//     loop of three attempts 100 ms apart beside it, and 5% failures at least
//     99.9% success; against a dependency that is down, at most 1.12
//     attempts per call, for 10,000 calls as fast as they come and for 2,000
//     arriving over 20 seconds (defaults_test.go);
//   - the README pipeline against a dependency answering every first attempt
//     with 503 and Retry-After: 1 (gRPC: UNAVAILABLE with a 1000 ms pushback)
//     succeeds for every call: the breaker does not count overload;
//   - a later attempt our own policy refuses (a breaker that opened, a refused
//     hedge) leaves the caller the last real answer, the 503 response; a POST
//     whose connection was refused, and a gRPC call no connection carried,
//     are retried whatever the method (decisions_test.go);
//   - three paved tiers, HTTP and gRPC, retry at one layer: with the bottom
//     down it receives at most 1.5 requests per top-level call and at most 3
//     for any one; with it failing 30%, at least 96% of calls succeed end to
//     end; a one-second outage of 200 calls at one tier adds at most 0.15
//     retries per call (tiers_test.go);
//   - discarded responses are drained and closed, and connections are
//     reused; a POST without an Idempotency-Key is sent once, with one it is
//     retried; Retry-After as an HTTP-date delays the retry as the seconds
//     form does; gRPC pushback is honoured and a negative pushback stops the
//     retry;
//   - our own refusals (a real breaker opened by failures; stand-ins for a
//     full bulkhead and a rate limit) are not retried and cost no wait and no
//     request;
//   - an attempt timeout inside retry cuts a hung attempt, and the winning
//     response's body stays readable after the call returns;
//   - hedging cuts the p99 of a dependency whose slowest 5% take 500 ms, for
//     a bounded share of extra attempts, and closes the losers' bodies.
//
// Run them with: go test -race ./internal/loopbacktest/ -v
package loopbacktest
