package ratelimit

import (
	"time"

	"github.com/paved-go/paved"
)

// ErrLimited is the sentinel of every refusal by a limiter of this package
// (and of ratelimit/redisrate): errors.Is(err, ErrLimited) and
// errors.Is(err, paved.ErrRejected) both hold. The sentinel is marked
// paved.OutcomeOverload, which makes a refusal an overload refusal
// (paved.IsOverloadRefusal), answered by the server adapters with 429 Too
// Many Requests or RESOURCE_EXHAUSTED; the refusal itself, paved's own
// rejection, classifies as paved.OutcomeRejected, so no retry repeats it
// and no breaker counts it. Its error.type in telemetry is "rate_limited".
var ErrLimited = paved.Mark(paved.NamedError("rate_limited", "ratelimit: limited"), paved.OutcomeOverload)

// LimitedError is the error a limiter refuses a call with. It matches
// ErrLimited and paved.ErrRejected, its RetryAfter is when the call would
// have been admitted (the wait it would have needed), and it carries the
// caller's Status for the server adapters' RateLimit fields. Read it with
// errors.As.
type LimitedError struct {
	// Status is the caller's quota when the call was refused; Remaining is 0.
	Status Status
	after  time.Duration
	err    error // paved.NewRejection(ErrLimited, after)
}

// NewLimitedError returns the refusal for a call that needed to wait after
// (0 when unknown) under status: for limiters outside this package
// (redisrate) that answer the same way.
func NewLimitedError(status Status, after time.Duration) *LimitedError {
	return &LimitedError{Status: status, after: after, err: paved.NewRejection(ErrLimited, after)}
}

// Error returns "ratelimit: limited".
func (e *LimitedError) Error() string { return e.err.Error() }

// Unwrap returns the refusal, which matches ErrLimited and paved.ErrRejected
// and classifies as paved.OutcomeRejected.
func (e *LimitedError) Unwrap() error { return e.err }

// RetryAfter is the wait the call would have needed: the Retry-After and
// grpc-retry-pushback-ms the server adapters answer with.
func (e *LimitedError) RetryAfter() time.Duration { return e.after }

// ErrorType is "rate_limited".
func (e *LimitedError) ErrorType() string { return "rate_limited" }
