// Package ratelimit is rate limiting for paved pipelines: a client-side
// limit on the calls a service makes to a dependency (New), and a
// server-side limit per caller (PerKey), both answering refusals with the
// same error, ErrLimited, which the adapters turn into the standard wire
// answers. It implements STANDARDS.md RS-8 (rate limits, on the client and
// per caller) and the client's half of RS-5 (honour pushback: RateLimit,
// Retry-After).
//
// # Client: New
//
// New(r, burst) is a token bucket built on golang.org/x/time/rate. Put it
// inside the retry in a pipeline (docs/design.md, "The order of a paved
// pipeline": step 5), so every attempt, retries included, spends a token.
// A call that finds no token waits its turn for at most MaxWait (default
// 1s) and never past its context's deadline; a longer wait is refused at
// once, the reservation given back, with the wait as the RetryAfter hint.
// WithFailFast refuses without waiting.
//
// It also listens to the server (WithServerFeedback, on by default): when a
// response through pavedhttp's Transport carries the RateLimit field (IETF
// httpapi draft "RateLimit header fields for HTTP", -10) or a 429 carries
// Retry-After, the limiter admits only the calls the server said remain
// until its reset, so with "RateLimit: "default";r=0;t=30" the next call
// waits or is refused here, as configured, instead of spending a 429.
//
// # Server: PerKey
//
// PerKey(r, burst) keeps a limit per caller key: the key the server
// adapters put on the call (pavedhttp.WithKeyFunc, pavedgrpc.WithKeyFunc:
// a tenant, a principal, a remote address) or WithKeyFunc's. It is GCRA,
// the same token bucket kept as one number per caller, bounded in number
// (WithMaxKeys, least recently used dropped; full buckets hold no state)
// and in key size (WithMaxKeyLength; longer or unprintable keys become a
// digest), so invented keys cannot exhaust memory. Refusals are immediate by
// default. pavedhttp answers them with 429 Too Many Requests, Retry-After,
// the RateLimit-Policy and RateLimit fields and an application/problem+json
// body; pavedgrpc with RESOURCE_EXHAUSTED and grpc-retry-pushback-ms.
// Admitted calls carry their Status to the handler (AppendStatuses), so
// pavedhttp sends RateLimit on successful responses too.
//
// For one limit shared by every replica of a service, see
// ratelimit/redisrate.
//
// # Errors
//
// Every refusal is a *LimitedError: errors.Is(err, ErrLimited) and
// errors.Is(err, paved.ErrRejected) hold, the outcome is Rejected (no retry
// repeats it, no breaker counts it), paved.RetryAfter(err) is the wait the
// call would have needed, and paved.IsOverloadRefusal(err) is true. Each
// refusal is a rate_limited event (paved.Emit) with the limit's name; the
// caller's key is never recorded.
//
// # Defaults
//
//	MaxWait       1s for New, 0 (refuse at once) for PerKey
//	Name          "default" (the policy name in the RateLimit fields)
//	Window        the whole seconds in which the rate refills the burst
//	ServerFeedback on (New)
//	MaxKeys       100000 (PerKey)
//	MaxKeyLength  256 bytes (PerKey)
package ratelimit
