package paved_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved"
)

// Errors of the standard library that repeating cannot cure are Permanent,
// however they are wrapped: not retried, not counted by breakers.
func TestStandardLibraryPermanentErrors(t *testing.T) {
	_, statErr := os.Stat("/nonexistent/paved-test")
	_, atoiErr := strconv.Atoi("x")
	permanent := []error{
		sql.ErrNoRows,
		fmt.Errorf("load user: %w", sql.ErrNoRows),
		sql.ErrTxDone,
		fs.ErrNotExist,
		statErr, // *fs.PathError wrapping ENOENT, which Is fs.ErrNotExist
		&os.PathError{Op: "open", Path: "/x", Err: syscall.EACCES},
		fs.ErrExist, fs.ErrPermission, fs.ErrInvalid, fs.ErrClosed,
		atoiErr, strconv.ErrRange,
		errors.ErrUnsupported,
		errors.Join(io.EOF, sql.ErrNoRows),
	}
	for _, err := range permanent {
		assert.Equal(t, paved.OutcomePermanent, paved.DefaultClassifier.Classify(err), "%v", err)
		o, ok := paved.ClassifyKnown(err)
		assert.True(t, ok, "%v", err)
		assert.Equal(t, paved.OutcomePermanent, o, "%v", err)
	}
	transient := []error{
		// A Unix socket not there yet (its sidecar restarting) or forbidden:
		// the errno Is fs.ErrNotExist or fs.ErrPermission, but it is a network
		// failure.
		&net.OpError{Op: "dial", Net: "unix", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ENOENT}},
		&net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.EACCES}},
		fmt.Errorf("get: %w", &net.OpError{Op: "dial", Net: "unix", Err: syscall.ENOENT}),
		io.ErrUnexpectedEOF,
		&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
		os.ErrDeadlineExceeded,
		net.ErrClosed,
	}
	for _, err := range transient {
		assert.Equal(t, paved.OutcomeTransient, paved.DefaultClassifier.Classify(err), "%v", err)
		_, ok := paved.ClassifyKnown(err)
		assert.False(t, ok, "%v", err)
	}
}

// An error's own outcome wins over every sentinel in its chain, then a
// refusal, then cancellation, then the standard library's permanent errors.
func TestClassifyKnownPrecedence(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want paved.Outcome
	}{
		{"marked over sentinel", paved.Transient(sql.ErrNoRows), paved.OutcomeTransient},
		{"sentinel then mark", errors.Join(sql.ErrNoRows, paved.Mark(io.EOF, paved.OutcomeFault)), paved.OutcomeFault},
		{"rejected over canceled", errors.Join(context.Canceled, paved.ErrRejected), paved.OutcomeRejected},
		{"canceled over permanent", errors.Join(sql.ErrNoRows, context.Canceled), paved.OutcomeCanceled},
		{"Is method", isCanceled{}, paved.OutcomeCanceled},
		{"incomparable error type", incomparable{msgs: []string{"a"}}, paved.OutcomeTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, paved.DefaultClassifier.Classify(tt.err))
		})
	}
}

type isCanceled struct{}

func (isCanceled) Error() string        { return "stopped" }
func (isCanceled) Is(target error) bool { return target == context.Canceled }

// incomparable has a slice field: comparing two of its values with == would
// panic, which classifying must never do.
type incomparable struct{ msgs []string }

func (e incomparable) Error() string { return "incomparable" }

// The unsent mark is the attempt's own: an error that leaves the pipeline
// carries none into an outer one.
func TestUnsentMarkIsPerAttempt(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	inner := paved.New("inner")
	outer := paved.New("outer")
	var innerMarked, outerMarked bool
	err := outer.Run(context.Background(), func(ctx context.Context) error {
		err := inner.Run(ctx, func(ctx context.Context) error {
			paved.AttemptFrom(ctx).MarkUnsent()
			innerMarked = paved.AttemptFrom(ctx).Unsent()
			return refused
		})
		outerMarked = paved.AttemptFrom(ctx).Unsent()
		return err
	})
	assert.ErrorIs(t, err, refused)
	assert.True(t, innerMarked)
	assert.False(t, outerMarked, "the outer call's attempt may well have reached its dependency")
}

type timeoutNetErr struct{}

func (*timeoutNetErr) Error() string   { return "i/o timeout" }
func (*timeoutNetErr) Timeout() bool   { return true }
func (*timeoutNetErr) Temporary() bool { return true }

func TestIsTimeout(t *testing.T) {
	assert.True(t, paved.IsTimeout(context.DeadlineExceeded))
	assert.True(t, paved.IsTimeout(fmt.Errorf("x: %w", os.ErrDeadlineExceeded)))
	assert.True(t, paved.IsTimeout(&timeoutNetErr{}))
	assert.False(t, paved.IsTimeout(io.EOF))
	assert.False(t, paved.IsTimeout(nil))
}
