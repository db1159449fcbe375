package paved

import (
	"errors"
	"time"
)

// ErrRejected is the root of every refusal by paved's own policies: each policy
// package has a sentinel that matches it with errors.Is (breaker.ErrOpen,
// bulkhead.ErrFull, ratelimit.ErrLimited, loadshed.ErrShed). Rejected calls are
// never retried and never counted by breakers.
var ErrRejected = errors.New("paved: rejected")

// RetryAfterer is the hint an error carries when it knows how long the caller
// should wait before trying again: server pushback (HTTP Retry-After, gRPC
// grpc-retry-pushback-ms), a breaker's remaining open time, a limiter's wait.
// A negative duration means "do not retry" (gRPC pushback's convention).
type RetryAfterer interface {
	RetryAfter() time.Duration
}

// RetryAfter returns the first RetryAfter hint in err's chain, and whether there
// was one.
func RetryAfter(err error) (time.Duration, bool) {
	var h RetryAfterer
	if err != nil && errors.As(err, &h) {
		return h.RetryAfter(), true
	}
	return 0, false
}

// NewRejection returns an error for a refusal by one of paved's policies: it
// matches both sentinel and ErrRejected with errors.Is, reads as sentinel's
// message, and carries retryAfter (when positive) as its RetryAfter hint.
func NewRejection(sentinel error, retryAfter time.Duration) error {
	return &rejection{sentinel: sentinel, after: retryAfter}
}

type rejection struct {
	sentinel error
	after    time.Duration
}

func (e *rejection) Error() string { return e.sentinel.Error() }

// Unwrap lets errors.Is match the sentinel and ErrRejected.
func (e *rejection) Unwrap() []error { return []error{e.sentinel, ErrRejected} }

func (e *rejection) Outcome() Outcome { return OutcomeRejected }

// RetryAfter is the policy's estimate of when a call may be admitted; 0 when unknown.
func (e *rejection) RetryAfter() time.Duration { return e.after }

// ErrorType names the refusal in telemetry by its sentinel ("breaker: open").
func (e *rejection) ErrorType() string { return e.sentinel.Error() }
