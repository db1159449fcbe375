package chaoshttp

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/paved-go/paved/chaos"
)

// StatusFault is the fault of an HTTP answer with status Code, made up
// without reaching the server (by Transport) or without running the handler
// (by Handler): a short text/plain body, and a Retry-After header in whole
// seconds, rounded up, when RetryAfter is positive. Make one with Status.
type StatusFault struct {
	// Code is the status, 100..599 (503, 429, 500, ...).
	Code int
	// RetryAfter, when positive, is sent as Retry-After: the pushback a
	// server in overload gives. 0 sends none.
	RetryAfter time.Duration
}

// Status returns the fault of an answer with status code.
func Status(code int) StatusFault { return StatusFault{Code: code} }

// WithRetryAfter returns f with a Retry-After of d.
func (f StatusFault) WithRetryAfter(d time.Duration) StatusFault {
	f.RetryAfter = d
	return f
}

// Name is "http_status".
func (StatusFault) Name() string { return "http_status" }

// Validate reports a Code outside 100..599 or a negative RetryAfter; chaos.New calls it.
func (f StatusFault) Validate() error {
	switch {
	case f.Code < 100 || f.Code > 599:
		return fmt.Errorf("chaoshttp: Status code must be 100..599, got %d", f.Code)
	case f.RetryAfter < 0:
		return fmt.Errorf("chaoshttp: Status RetryAfter must be >= 0, got %v", f.RetryAfter)
	}
	return nil
}

// Reset returns the fault of a connection reset: Transport fails the
// round trip with the error a peer's RST gives (ECONNRESET on read, a
// Transient outcome), without reaching the server; Handler closes the
// client's connection with an RST instead of answering (on HTTP/2, where the
// connection cannot be taken, it resets the stream).
func Reset() chaos.Fault { return resetFault{} }

type resetFault struct{}

func (resetFault) Name() string { return "reset" }

// errReset is what a round trip fails with when its connection is reset:
// the shape net/http's transport reports for a peer's RST (a *net.OpError
// holding an *os.SyscallError), whose errno also matches chaos.ErrInjected.
// Its error.type is a real reset's.
func errReset() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: injectedReset{}}}
}

// injectedReset is ECONNRESET, marked as injected: errors.Is matches both
// syscall.ECONNRESET and chaos.ErrInjected, and it answers Timeout and
// Temporary as the errno does.
type injectedReset struct{}

func (injectedReset) Error() string   { return syscall.ECONNRESET.Error() }
func (injectedReset) Unwrap() error   { return syscall.ECONNRESET }
func (injectedReset) Timeout() bool   { return syscall.ECONNRESET.Timeout() }
func (injectedReset) Temporary() bool { return syscall.ECONNRESET.Temporary() }

func (injectedReset) Is(target error) bool { return target == chaos.ErrInjected }

// IsReset reports whether err is a connection reset, injected or real.
func IsReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }
