package timeout

import (
	"context"
	"fmt"
	"time"

	"github.com/paved-go/paved"
)

// ErrTimeout is what a Timeout returns when its own deadline ended the call.
// errors.Is(err, ErrTimeout) and errors.Is(err, context.DeadlineExceeded) both
// hold for it. A deadline or cancellation of the caller's context is not
// ErrTimeout: the caller gets the Op's error unchanged.
var ErrTimeout error = sentinel{}

type sentinel struct{}

func (sentinel) Error() string { return "timeout: deadline exceeded" }

// Is makes errors.Is(ErrTimeout, context.DeadlineExceeded) hold.
func (sentinel) Is(target error) bool { return target == context.DeadlineExceeded }

// Timeout reports true, as net.Error does for a timeout.
func (sentinel) Timeout() bool { return true }

// ErrorType names the error in telemetry: "timeout".
func (sentinel) ErrorType() string { return "timeout" }

// timeoutError is ErrTimeout with the duration that fired and the Op's own
// error, which it keeps for the message only: unwrapping it would let the Op's
// classification (often Canceled for a canceled request) override ours.
type timeoutError struct {
	d     time.Duration
	cause error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("timeout: deadline of %v exceeded: %v", e.d, e.cause)
}

func (e *timeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

func (e *timeoutError) Timeout() bool { return true }

// ErrorType names the error in telemetry: "timeout".
func (e *timeoutError) ErrorType() string { return "timeout" }

// Outcome is Transient: the next attempt may well be faster.
func (e *timeoutError) Outcome() paved.Outcome { return paved.OutcomeTransient }
