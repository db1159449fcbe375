// Package pavedgrpc runs gRPC calls through a paved Pipeline, on both sides.
//
// Client side, UnaryClientInterceptor and StreamClientInterceptor (or
// DialOptions, which adds otelgrpc's stats handler for per-attempt spans):
//
//	p := paved.New("inventory", timeout, retry, breaker)
//	conn, err := grpc.NewClient(target, append(pavedgrpc.DialOptions(p), creds)...)
//
//	caller ──► pipeline span ──► retry ──► breaker ──► attempt 1 (otelgrpc span) ──► server
//	                                              └──► attempt 2 (otelgrpc span) ──► server
//
// Every attempt's status is classified by the gRPC outcome table
// (docs/reference.md, "gRPC outcomes"; see Classify): UNAVAILABLE and
// DEADLINE_EXCEEDED are Transient, RESOURCE_EXHAUSTED Overload, INTERNAL,
// UNKNOWN, DATA_LOSS and ABORTED Fault, CANCELLED Canceled, the caller's
// mistakes Permanent; an UNAVAILABLE carrying a pushback delay is a server
// shedding load and saying when to come back, so Overload, as HTTP's 503 with
// Retry-After is. The server's grpc-retry-pushback-ms trailer (gRFC A6,
// docs/reference.md, "Pushback") becomes the paved.RetryAfter hint;
// negative or unparseable means "do not retry" (ParsePushback).
//
// An RPC that no connection carried (the channel could not connect: refused,
// DNS, TRANSIENT_FAILURE) never reached a server: its *StatusError reports
// Unsent, its attempt is marked unsent (paved.Attempt.MarkUnsent), and
// retry repeats it whatever its method (docs/reference.md,
// "Transparent retries"). grpc gives no structured mark for this, and its
// message reads like a server's UNAVAILABLE; the tell is the peer grpc fills
// only once a transport carries the RPC, which the interceptor records for
// every call sent once (no allocation: it lives in the call's state). grpc
// retries by itself the streams a server refused before processing them. Errors reach
// the caller with a *StatusError in their chain (errors.As; a policy's error,
// such as retry's *ExhaustedError, may wrap it), so status.Code(err) is the
// server's code; a refusal by one of the pipeline's own policies reaches it
// as UNAVAILABLE or RESOURCE_EXHAUSTED, and still classifies as
// paved.OutcomeRejected (Classify), so an outer retry does not repeat it.
//
// Attempts never share the caller's reply. A call sent once (the default)
// receives straight into it, as a bare call does; the empty-pipeline
// interceptor then adds about 0.4 µs and 2 allocations (500 B) per call
// (BenchmarkOverheadEmptyPipeline). When attempts may run at once (a
// repeatable method, which hedge may send twice together), each receives into
// a fresh message of the reply's type, and the final one is moved into the
// caller's reply: a shallow move of the top-level fields, about 0.6 µs and 9
// small allocations for a five-field message, independent of payload size
// (BenchmarkOverheadRepeatable).
//
// Defaults: a call is sent exactly once (retry and hedge make one attempt)
// unless its method is repeatable, since the server may have acted on an
// attempt that failed. Repeatable, and hedged as well as retried, are the
// methods whose proto declares them safe:
//
//	rpc GetStock(GetStockRequest) returns (Stock) {
//	  option idempotency_level = NO_SIDE_EFFECTS; // or IDEMPOTENT
//	}
//
// and those named by WithRepeatable, much as gRPC's own retry applies only to
// the methods its service config names. WithUnrepeatable and the Unrepeatable
// CallOption make any call single. Streams: the policies apply to stream
// creation only, by the same rule; nothing is retried once the stream is
// open, and a server's status for a stream usually arrives with the first
// RecvMsg, after the pipeline returned.
//
// Server side, UnaryServerInterceptor and StreamServerInterceptor (or
// ServerOptions): the handler runs inside the pipeline with the incoming
// deadline, the caller's key (WithKeyFunc) and priority (by default the
// CriticalityKey metadata, paved-criticality, the client interceptors send
// for a call that is not CRITICAL; WithPriorityFunc replaces it), which also
// reach the calls the handler makes downstream (STANDARDS.md RS-12). A policy's refusal
// is answered with RESOURCE_EXHAUSTED (the caller sends too much: the refusal
// carries paved.OutcomeOverload) or UNAVAILABLE (the others), with a
// grpc-retry-pushback-ms trailer when the policy knows when to come back. A
// handler never runs twice.
//
// Retries at one layer (docs/reference.md): a handler that fails after a call
// it made through paved with its context gave up after retrying, or was
// refused by paved's own policies, answers with grpc-retry-pushback-ms: -1,
// gRFC A6's "do not retry", so its callers do not multiply the retries done
// below; WithDoNotRetry(false) opts out. Resends carry AttemptKey
// (paved-attempt) metadata with their attempt number, which the server
// interceptors put in paved.CallInfo.CallerAttempt.
//
// Standards: STANDARDS.md RS-3 (only methods declared or named repeatable
// are sent twice), RS-4 (the do-not-retry pushback), RS-5
// (grpc-retry-pushback-ms), RS-12 (deadlines propagate natively; the
// handler's context carries the caller key and priority) and RS-13
// (per-attempt spans from otelgrpc).
package pavedgrpc
