package breaker

import (
	"errors"

	"github.com/paved-go/paved"
)

// ErrOpen is returned, wrapped by paved.NewRejection, when the breaker is open
// (or forced open). errors.Is(err, paved.ErrRejected) holds for it, and
// paved.RetryAfter(err) gives the remaining open time (0 when forced open,
// because nobody knows when an operator will close it). Its error.type in
// telemetry is "breaker_open".
var ErrOpen = paved.NamedError("breaker_open", "breaker: open")

// ErrTooManyRequests is returned, wrapped by paved.NewRejection, when the
// breaker is half-open and all its probe calls are already admitted. It
// matches paved.ErrRejected; it carries no RetryAfter hint, because the probes
// decide when the breaker closes. Its error.type is
// "breaker_too_many_requests".
var ErrTooManyRequests = paved.NamedError("breaker_too_many_requests", "breaker: too many requests while half-open")

// errFailure, errExcluded are what the middleware reports to gobreaker's
// two-step done(err): the classifier has already decided, so gobreaker only
// needs to tell three values apart.
var (
	errFailure  = errors.New("breaker: failure")
	errExcluded = errors.New("breaker: excluded")
)
