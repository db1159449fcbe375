package retry

import "fmt"

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
