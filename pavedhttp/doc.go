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
// It implements the HTTP parts of the standards (docs/reference.md, "HTTP
// outcomes"):
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
//     sent twice. Retries replay the body through Request.GetBody. Every call
//     that is not freely repeatable says why (paved.CallInfo.UnsafeReason,
//     such as "POST without Idempotency-Key"), which retry and hedge report
//     when they decline to repeat it;
//   - requests never sent: an attempt whose connection could not be made (a
//     *net.OpError from dialing: refused, no route, a dial timeout; a
//     *net.DNSError) never reached a server, so its attempt is marked unsent
//     (paved.Attempt.MarkUnsent) and retry repeats even a keyless POST
//     (docs/reference.md, "Transparent retries"), if its body can be
//     replayed;
//   - the response lifecycle: discarded responses are drained (at most 64 KiB)
//     and closed so connections are reused; a failure response (400 and
//     above) of a call that may be repeated has its body read into memory at
//     once (up to 64 KiB), so its connection serves the next attempt while the
//     response stays the call's answer (a larger body is left streaming, and
//     holds its connection until a later attempt answers in its place); the
//     final response is returned as a response, even a 503 after the last
//     attempt; the winning attempt's context lives until its body is closed;
//   - telemetry: the pipeline's span is the logical call; each attempt is an
//     otelhttp client span beneath it, resends carrying
//     http.request.resend_count, reporting to the pipeline's providers as they
//     are at each call (a replaced global provider is followed). No header
//     values (Authorization, Cookie, Idempotency-Key) are recorded, and
//     url.full has the values of the query parameters the semantic conventions
//     name (AWSAccessKeyId, Signature, sig, X-Goog-Signature) replaced by
//     REDACTED; WithRedactedQuery redacts every query value. While the
//     pipeline's telemetry records nothing, otelhttp is skipped and the
//     adapter costs a few hundred nanoseconds per request.
//
// # Server
//
// NewHandler admits requests through a Pipeline of admission policies (rate
// limits, load shedding, bulkheads) before the wrapped handler runs.
// Refusals become 429 (rate limits) or 503 (other refusals) with Retry-After
// when the delay is known and an RFC 9457 application/problem+json body
// (StatusFor, WriteRefusal).
//
// # Retries at one layer
//
// A failure (5xx, 429, 408) the wrapped handler writes after a call it made
// through paved with the request's context gave up after retrying, or was
// refused by paved's own policies, carries DoNotRetryHeader
// (Paved-Do-Not-Retry: ?1), the status unchanged: the retrying was done one
// tier down (docs/reference.md, "Retries at one layer"). The client side
// reads the header as "do not retry" (StatusError.RetryAfter is negative),
// so retry and hedge stop. WithDoNotRetry(false) opts a route out. Resends
// carry AttemptHeader with their attempt number, which the Handler puts in
// paved.CallInfo.CallerAttempt.
//
// # Criticality propagation
//
// A request's criticality (paved.Priority: CRITICAL_PLUS, CRITICAL,
// SHEDDABLE_PLUS, SHEDDABLE) travels in CriticalityHeader
// (Paved-Criticality). The Transport sends it when the call's priority is not
// CRITICAL — set with paved.WithCallInfo, or inherited from the server
// request whose context the call was made with — and the Handler reads it by
// default (PriorityFromHeader), so load shedding drops the least important
// work first at every tier (STANDARDS.md RS-10, RS-12). WithPriorityFunc
// replaces the header where callers are not trusted.
//
// # Deadline propagation
//
// HTTP has no standard deadline header (docs/reference.md, "Timeouts and
// deadlines"), so propagation is opt-in, with a header name both sides agree
// on; EnvoyDeadlineHeader (x-envoy-expected-rq-timeout-ms) is the recommended
// one. WithDeadlineHeader makes the client send each attempt's remaining time
// in milliseconds; WithServerDeadlineHeader makes NewHandler give the
// request's context that deadline, capped by a server maximum that also
// bounds requests without the header. ParseDeadlineHeader accepts a positive
// integer of at most 10 digits and nothing else; an invalid header is ignored.
//
// # Defaults
//
// Operation names are "METHOD host" on the client and "METHOD pattern" (or
// path) on the server; the server's caller key is empty and its priority
// the caller's CriticalityHeader (else critical) unless WithKeyFunc and
// WithPriorityFunc say otherwise. No
// deadline header is sent or read unless WithDeadlineHeader or
// WithServerDeadlineHeader names one.
//
// Standards: STANDARDS.md RS-1 (the pipeline's deadlines bound every
// attempt and its body), RS-3 (writes repeated only when safe), RS-4
// (Paved-Do-Not-Retry), RS-5 (Retry-After), RS-12 (deadline headers; the
// request's context), RS-13 (per-attempt spans, url.full redaction) and
// RS-14 (discarded bodies drained and closed).
package pavedhttp
