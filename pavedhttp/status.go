package pavedhttp

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paved-go/paved"
)

// StatusError is the error an attempt returns for a response whose status is
// not a success (400 and above), so that every policy sees the outcome
// through the pipeline's classifier. The response itself is recorded on the
// attempt and returned to the caller as a response when it is the final one:
// callers of the Transport see a *StatusError only through policies (a retry
// that gave up wraps it), never instead of a response.
//
// Its Outcome follows the HTTP outcome table (docs/reference.md, "HTTP outcomes"):
//
//	1xx-3xx             Success (never a StatusError)
//	408, 500, 502, 504  Transient
//	503                 Transient, or Overload when it carries a valid Retry-After
//	429                 Overload
//	409 to a POST or PATCH with an Idempotency-Key, not marked Idempotent-Replayed
//	                    Transient: the first request with the key is still
//	                    running (the Idempotency-Key draft); try again later
//	501, 505, other 4xx Permanent
//	other 5xx           Transient
//
// The error never includes headers, the URL or the body, so it is safe to log.
type StatusError struct {
	// StatusCode is the response's status code, such as 503.
	StatusCode int
	// Status is the response's status line, such as "503 Service Unavailable".
	Status string

	retryAfter    time.Duration
	hasRetryAfter bool
	keyed         bool // the request carried an Idempotency-Key
	doNotRetry    bool // DoNotRetryHeader: the tier below already retried
}

// newStatusError builds the error for resp, reading its Retry-After header.
func newStatusError(resp *http.Response) *StatusError {
	e := &StatusError{StatusCode: resp.StatusCode, Status: resp.Status}
	// A 409 to a keyed request is the server saying "the first request with
	// this key still runs" — unless it is the stored answer of a finished one,
	// which servers mark Idempotent-Replayed (Stripe; the Idempotency-Key
	// draft): a replayed 409 is a real conflict, and stays Permanent.
	e.keyed = resp.Request != nil && isSequential(resp.Request) &&
		!strings.EqualFold(resp.Header.Get("Idempotent-Replayed"), "true")
	if v := resp.Header.Get("Retry-After"); v != "" {
		e.retryAfter, e.hasRetryAfter = ParseRetryAfter(v, time.Now())
	}
	e.doNotRetry = doNotRetry(resp.Header)
	return e
}

func isSequential(req *http.Request) bool {
	r, _ := repeatability(req)
	return r == sequential
}

// Error returns "pavedhttp: status 503 Service Unavailable".
func (e *StatusError) Error() string {
	s := e.Status
	if s == "" {
		s = strconv.Itoa(e.StatusCode)
	}
	return "pavedhttp: status " + s
}

// Outcome classifies the status per the table in the type's doc.
func (e *StatusError) Outcome() paved.Outcome {
	if e.StatusCode == http.StatusConflict && e.keyed {
		return paved.OutcomeTransient
	}
	return statusOutcome(e.StatusCode, e.hasRetryAfter)
}

// RetryAfter returns the delay the server asked for with Retry-After (both
// forms, see ParseRetryAfter); 0 when it sent none or an invalid one; and -1,
// "do not retry" (as gRPC's negative pushback), when the response carries
// DoNotRetryHeader: the tier that answered already retried and gave up.
func (e *StatusError) RetryAfter() time.Duration {
	if e.doNotRetry {
		return -1
	}
	return e.retryAfter
}

// DoNotRetry reports whether the response carried DoNotRetryHeader.
func (e *StatusError) DoNotRetry() bool { return e.doNotRetry }

// HasRetryAfter reports whether the response carried a valid Retry-After.
func (e *StatusError) HasRetryAfter() bool { return e.hasRetryAfter }

// ErrorType returns the status code as text ("503"), the error.type that
// OpenTelemetry's HTTP conventions use for status errors.
func (e *StatusError) ErrorType() string { return strconv.Itoa(e.StatusCode) }

// statusOutcome is the HTTP outcome table for status codes (docs/reference.md,
// "HTTP outcomes").
func statusOutcome(code int, hasRetryAfter bool) paved.Outcome {
	switch {
	case code < 400:
		return paved.OutcomeSuccess
	case code == http.StatusTooManyRequests:
		return paved.OutcomeOverload
	case code == http.StatusServiceUnavailable:
		if hasRetryAfter {
			return paved.OutcomeOverload
		}
		return paved.OutcomeTransient
	case code == http.StatusRequestTimeout,
		code == http.StatusInternalServerError,
		code == http.StatusBadGateway,
		code == http.StatusGatewayTimeout:
		return paved.OutcomeTransient
	case code == http.StatusNotImplemented, code == http.StatusHTTPVersionNotSupported, code < 500:
		return paved.OutcomePermanent
	}
	// Other 5xx (507, 508, 511, and codes no RFC defines) are the server's
	// trouble; like an unknown error they are worth another try.
	return paved.OutcomeTransient
}
