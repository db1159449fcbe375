// Package pavedhttp adapts paved Pipelines to net/http: a client
// RoundTripper (NewTransport) and server-side admission (NewHandler).
//
// # Client
//
// NewTransport sends every request through a Pipeline, so retries, hedges,
// timeouts and breakers apply to plain http.Client code:
//
//	client := &http.Client{Transport: pavedhttp.NewTransport(p, nil)}
//
// It implements the HTTP parts of the standards (STANDARDS.md; REFERENCE.md
// "HTTP outcome table"):
//
//   - outcomes: Classify maps statuses and transport errors to paved outcomes
//     (408/500/502/504 Transient, 503 Transient or Overload with Retry-After,
//     429 Overload, other 4xx/501/505 Permanent; refused or reset connections
//     Transient; TLS and certificate errors Permanent; the caller's
//     cancellation Canceled). A failure status reaches the policies as a
//     *StatusError, which also carries the server's Retry-After as the
//     paved.RetryAfter hint (ParseRetryAfter accepts both RFC 9110 forms);
//   - safe to repeat: GET, HEAD, OPTIONS, TRACE, PUT, DELETE; POST and PATCH
//     only with an Idempotency-Key header; a body without GetBody is never
//     sent twice. Retries replay the body through Request.GetBody;
//   - the response lifecycle: discarded responses are drained (at most 64 KiB)
//     and closed so connections are reused; the final response is returned as
//     a response, even a 503 after the last attempt; the winning attempt's
//     context lives until its body is closed;
//   - telemetry: the pipeline's span is the logical call; each attempt is an
//     otelhttp client span beneath it, resends carrying
//     http.request.resend_count. No header values (Authorization, Cookie,
//     Idempotency-Key) are recorded. While the pipeline's telemetry records
//     nothing, otelhttp is skipped and the adapter costs a few hundred
//     nanoseconds per request.
//
// # Server
//
// NewHandler admits requests through a Pipeline of admission policies (rate
// limits, load shedding, bulkheads) before the wrapped handler runs.
// Refusals become 429 (rate limits) or 503 (other refusals) with Retry-After
// when the delay is known and an RFC 9457 application/problem+json body
// (StatusFor, WriteRefusal).
//
// # Defaults
//
// Operation names are "METHOD host" on the client and "METHOD pattern" (or
// path) on the server; the server's caller key is empty and its priority
// critical unless WithKeyFunc and WithPriorityFunc say otherwise.
package pavedhttp
