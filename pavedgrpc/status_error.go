package pavedgrpc

import (
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
)

// StatusError is the error a call through UnaryClientInterceptor returns for a
// non-OK status: the status itself (status.Code, status.FromError and
// errors.Is against the original error all work), its outcome per Classify, and
// the server's grpc-retry-pushback-ms hint. Policies read it through
// paved.RetryAfter and Call.Classify.
type StatusError struct {
	status      *status.Status
	err         error // what the invoker or pipeline returned
	pushback    time.Duration
	hasPushback bool
	unsent      bool // no connection carried the attempt: see callVars.unsent
	// local: no server gave the status; the client pipeline's own refusal
	// or context error did (callerError), whose outcome it keeps.
	local bool
}

// newStatusError wraps the invoker's err with the pushback in trailer.
func newStatusError(err error, trailer metadata.MD) *StatusError {
	e := &StatusError{status: status.Convert(err), err: err}
	e.pushback, e.hasPushback = ParsePushback(trailer)
	return e
}

// Error returns the status's message, as the gRPC error it wraps reads.
func (e *StatusError) Error() string { return e.err.Error() }

// Unwrap returns the error the call produced.
func (e *StatusError) Unwrap() error { return e.err }

// GRPCStatus returns the status, so status.Code(err) and status.FromError(err)
// see the code the server (or the refusing policy) gave.
func (e *StatusError) GRPCStatus() *status.Status { return e.status }

// Code returns the status code.
func (e *StatusError) Code() codes.Code { return e.status.Code() }

// Outcome classifies the status code (see Classify). An UNAVAILABLE that
// carries a pushback delay (a server shedding load, saying when to come
// back) is Overload, as HTTP's 503 with Retry-After is. A status the
// client's own pipeline gave (a policy's refusal, a context error) keeps
// that error's outcome: a refusal is Rejected, never retried or counted by
// a breaker, whatever code it reads as.
func (e *StatusError) Outcome() paved.Outcome {
	if e.local {
		return paved.DefaultClassifier.Classify(e.err)
	}
	c := e.status.Code()
	if c == codes.Unavailable && e.hasPushback && e.pushback >= 0 {
		return paved.OutcomeOverload
	}
	return codeOutcome(c)
}

// Unsent reports whether no connection carried the RPC (the channel could
// not connect), so no server saw it. It is told only for calls sent once,
// whose attempt the interceptor then marks unsent
// (paved.Attempt.MarkUnsent) for retry to repeat whatever the method.
func (e *StatusError) Unsent() bool { return e.unsent }

// Timeout reports whether the status is DEADLINE_EXCEEDED, as net.Error's
// Timeout does for a timed-out call.
func (e *StatusError) Timeout() bool { return e.status.Code() == codes.DeadlineExceeded }

// ErrorType names the error for telemetry's error.type: the code's name, such
// as "Unavailable".
func (e *StatusError) ErrorType() string { return e.status.Code().String() }

// Pushback returns the server's grpc-retry-pushback-ms hint and whether there
// was one; negative means the server said "do not retry" (see ParsePushback).
func (e *StatusError) Pushback() (time.Duration, bool) { return e.pushback, e.hasPushback }

// RetryAfter is the pushback hint for paved.RetryAfter: the delay the server
// asked for, negative for "do not retry", 0 when it sent none. A pushback of
// 0 ms reads the same as none: the retry policy then waits its own backoff.
func (e *StatusError) RetryAfter() time.Duration { return e.pushback }
