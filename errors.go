package paved

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// ErrRejected is the root of every refusal by paved's own policies: each
// refusing policy has a sentinel that matches it with errors.Is
// (breaker.ErrOpen, breaker.ErrTooManyRequests). Rejected calls are never
// retried and never counted by breakers.
var ErrRejected = errors.New("paved: rejected")

// RetryAfterer is the hint an error carries when it knows how long the caller
// should wait before trying again: server pushback (HTTP Retry-After, gRPC
// grpc-retry-pushback-ms), a breaker's remaining open time, a limiter's wait.
// A negative duration means "do not retry" (gRPC pushback's convention).
type RetryAfterer interface {
	RetryAfter() time.Duration
}

// RetryAfter returns the first RetryAfter hint in err's chain, and whether there
// was one. A hint of zero counts as none, so errors that always have the method
// (a status error without a Retry-After header) leave the computed backoff in
// force; "Retry-After: 0" therefore means "back off as usual", never "hammer".
func RetryAfter(err error) (time.Duration, bool) {
	var h RetryAfterer
	if err != nil && errors.As(err, &h) {
		if d := h.RetryAfter(); d != 0 {
			return d, true
		}
	}
	return 0, false
}

// NewRejection returns an error for a refusal by one of paved's policies: it
// matches both sentinel and ErrRejected with errors.Is, reads as sentinel's
// message, classifies as OutcomeRejected, and carries retryAfter (when
// positive) as its RetryAfter hint.
//
// A sentinel marked OutcomeOverload (Mark(NamedError("rate_limited",
// "limiter: limited"), OutcomeOverload)) says the caller exceeded its quota: server adapters answer
// it with 429 or RESOURCE_EXHAUSTED, and every other refusal with 503 or
// UNAVAILABLE. IsOverloadRefusal reports which.
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

// ErrorType names the refusal in telemetry by its sentinel: the name given
// to NamedError ("breaker_open"), else the sentinel's message in snake case
// ("pool: full" is "pool_full"). Sentinels are fixed values, so the
// names are few.
func (e *rejection) ErrorType() string {
	if n, ok := e.sentinel.(interface{ ErrorType() string }); ok {
		return n.ErrorType()
	}
	return snakeCase(e.sentinel.Error())
}

// snakeCase lowercases s and turns every run of other characters than
// letters and digits into one underscore: "breaker: open" -> "breaker_open".
func snakeCase(s string) string {
	b := make([]byte, 0, len(s))
	gap := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			gap = true
			continue
		}
		if gap && len(b) > 0 {
			b = append(b, '_')
		}
		gap = false
		b = append(b, c)
	}
	return string(b)
}

// NamedError returns an error reading message whose error.type in telemetry
// is name: policies make their refusal sentinels with it, so that every
// refusal has a stable, low-cardinality name ("breaker_open")
// wherever it is recorded. Two NamedErrors are equal only if they are the same
// value: compare them with errors.Is.
func NamedError(name, message string) error { return &namedError{name: name, msg: message} }

type namedError struct{ name, msg string }

func (e *namedError) Error() string     { return e.msg }
func (e *namedError) ErrorType() string { return e.name }

// IsTimeout reports whether err is a timeout: context.DeadlineExceeded, or an
// error in its chain whose Timeout() bool method says so (net.Error,
// os.ErrDeadlineExceeded, timeout.ErrTimeout, a gRPC DEADLINE_EXCEEDED
// status through pavedgrpc).
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// IsOverloadRefusal reports whether err is a refusal (ErrRejected) whose chain
// holds an error marked OutcomeOverload: the caller exceeded a rate limit or
// quota, as opposed to the dependency or server being unavailable.
func IsOverloadRefusal(err error) bool {
	if !errors.Is(err, ErrRejected) {
		return false
	}
	found := false
	walk(err, func(e error) bool {
		if o, ok := e.(outcomer); ok && o.Outcome() == OutcomeOverload {
			found = true
		}
		return !found
	})
	return found
}

// walk calls f on err and every error in its chain, depth first, until f
// returns false.
func walk(err error, f func(error) bool) bool {
	for err != nil {
		if !f(err) {
			return false
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if !walk(e, f) {
					return false
				}
			}
			return true
		default:
			return true
		}
	}
	return true
}

// ResultTypeError is what Do returns when the call's result is not of the
// type Do returns: a substitute of another type (fallback.Value(42), an
// int, in a Do[int64]), or nil for a T that cannot be nil. It is a
// programmer error: its outcome is OutcomeFault and its error.type
// "result_type".
type ResultTypeError struct {
	Pipeline string       // the pipeline's name
	Got      reflect.Type // the result's type; nil for a nil result
	Want     reflect.Type // Do's T
}

func (e *ResultTypeError) Error() string {
	got := "nil"
	if e.Got != nil {
		got = e.Got.String()
	}
	return fmt.Sprintf("paved: pipeline %q: the call's result is %s, Do wants %v (a substitute, such as a fallback's value, must be of Do's type)",
		e.Pipeline, got, e.Want)
}

// Outcome is OutcomeFault: the program, not the dependency, is wrong.
func (e *ResultTypeError) Outcome() Outcome { return OutcomeFault }

// ErrorType is "result_type".
func (e *ResultTypeError) ErrorType() string { return "result_type" }
