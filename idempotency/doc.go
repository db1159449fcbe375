// Package idempotency makes a write safe to repeat: a request that carries
// an idempotency key runs at most once per key, and every repeat gets the
// first one's response. It is the server half of STANDARDS.md RS-3 (writes
// are repeated only when safe) and RS-11 (server-side idempotency),
// following the IETF Idempotency-Key draft (-07), Stripe's behaviour and
// Brandur Leach's Postgres design (docs/idempotency.md has the details and
// sources).
//
// The package knows no transport. A Guard claims keys in a Store;
// pavedhttp.NewIdempotencyHandler and pavedgrpc.UnaryServerIdempotency
// adapt it to HTTP and gRPC servers, and on the client side
// pavedhttp.WithIdempotencyKeys and pavedgrpc.WithIdempotencyKeys give a
// call that lacks a key a fresh one, which every retry reuses.
//
// # What a Guard does
//
// A request with a key is claimed in the store, atomically and under a
// lease (default 1 minute). The first claim runs the request; its response
// (status, selected headers, body) is stored for the retention (default 24
// hours), and later requests with the key get it back, marked as a replay.
// A request that arrives while the first still runs gets ErrConflict (HTTP
// 409); one whose fingerprint (method, path, body digest) differs gets
// ErrMismatch (422). Keys are scoped by caller (Request.Scope), so one
// caller never receives another's stored response; they are 1 to 255
// printable ASCII characters (ParseHeader reads the header's
// structured-field String or bare form).
//
// A request that panics releases its key. One whose process dies leaves
// it in flight until the lease expires; then the key can be claimed and run
// again, and the old holder's late completion is refused (ErrLeaseLost). A
// request must therefore finish within its lease.
//
// Every store call is bounded by the store timeout (default 1 second). A
// store that fails or hangs while claiming makes the Guard fail closed: the
// request is refused with ErrUnavailable (HTTP 503) and does not run.
// WithFailOpen(true) runs it unguarded instead. A request that ran but whose
// response could not be stored still gets its response (Result.Unrecorded
// says why).
//
// A response body larger than the storable limit (default 1 MiB) reaches
// the first caller whole; the store keeps only its status and headers, and
// replays say that the body was not kept (Response.BodyOmitted). The
// request never runs a second time because of its size.
//
// # Stores
//
// NewMemoryStore, the default, is bounded and serves one process.
// Several instances share idempotency/redisstore (one atomic script per
// transition) or idempotency/pgstore (a row per scope and key). Every store
// passes the conformance suite in idempotency/storetest.
//
// # Cost
//
// With the memory store, a first request costs about 6200 instructions
// (claim, run, store; BenchmarkGuardFirst) and a replay about 3800
// (BenchmarkGuardReplay), measured with callgrind.
package idempotency
