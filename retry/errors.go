package retry

import (
	"fmt"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// Reason says why a retry gave up while the last outcome was still retryable.
type Reason uint8

// Reasons for giving up.
const (
	// ReasonMaxAttempts: MaxAttempts attempts were made.
	ReasonMaxAttempts Reason = iota
	// ReasonBudget: the retry budget had no room; the dependency is failing
	// for many calls and retries would only add load.
	ReasonBudget
	// ReasonDeadline: the caller's deadline left less than the next delay
	// plus the minimum attempt time.
	ReasonDeadline
	// ReasonPushback: the server said not to retry (a negative pushback).
	ReasonPushback
	// ReasonRefused: one of our own policies inside the retry (a breaker
	// that opened meanwhile, a full bulkhead) refused the next attempt; the
	// call ends with the last answer the dependency gave.
	ReasonRefused
	// ReasonUnsafe: an attempt that was repeated because it never reached the
	// dependency (paved.Attempt.Unsent) then reached it and failed, and the call is
	// not safe to send again.
	ReasonUnsafe
)

// String returns the reason as it appears in telemetry ("max_attempts", ...).
func (r Reason) String() string {
	switch r {
	case ReasonMaxAttempts:
		return "max_attempts"
	case ReasonBudget:
		return "budget"
	case ReasonDeadline:
		return "deadline"
	case ReasonPushback:
		return "pushback"
	case ReasonRefused:
		return "refused"
	case ReasonUnsafe:
		return "unsafe"
	}
	return "unknown"
}

// ExhaustedError is returned when a retry gives up on a call whose last
// outcome was retryable. It unwraps to the last attempt's error, so
// errors.Is/As and classifiers see through it. A call that fails with an
// outcome that is not retryable (Permanent, Fault, Canceled, Rejected) returns
// that error unchanged instead.
type ExhaustedError struct {
	// Attempts is the number of attempts made, the first included.
	Attempts int
	// Reason says why no further attempt was made.
	Reason Reason
	// Last is the last attempt's error.
	Last error
}

func (e *ExhaustedError) Error() string {
	unit := "attempts"
	if e.Attempts == 1 {
		unit = "attempt"
	}
	return fmt.Sprintf("retry: gave up after %d %s (%s): %v", e.Attempts, unit, e.Reason, e.Last)
}

// Unwrap returns the last attempt's error.
func (e *ExhaustedError) Unwrap() error { return e.Last }

// Timeout reports whether the last attempt timed out, so that a caller that
// asks net.Error's question (url.Error.Timeout does) gets the answer the
// last error would give.
func (e *ExhaustedError) Timeout() bool { return paved.IsTimeout(e.Last) }

// GaveUp reports that the retry gave up on the call (paved.Call's
// DownstreamGaveUp reads it): always, unless it made the only attempt it was
// allowed (MaxAttempts 1), which is no retrying at all.
func (e *ExhaustedError) GaveUp() bool {
	return e.Attempts > 1 || e.Reason != ReasonMaxAttempts
}

// ErrorType is the last error's error.type: giving up changes nothing about
// what failed.
func (e *ExhaustedError) ErrorType() string { return telemetry.ErrorType(e.Last) }
