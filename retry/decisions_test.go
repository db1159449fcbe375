package retry_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

var errBreakerOpen = errors.New("breaker: open")

// When our own policy refuses a later attempt (a breaker that opened
// meanwhile), the call ends with the last real answer — its result and its
// error — and the refusal's attempt costs the budget nothing.
func TestRefusedRetryKeepsTheLastRealAnswer(t *testing.T) {
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), noWait(retry.WithBudget(0, 0), retry.WithBudgetCapacity(1)))
	call, err := p.Execute(context.Background(), func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		if a.Number() == 1 {
			a.SetResult("503 response", func(any) { t.Error("the last real answer was discarded") })
			return errUnavailable
		}
		return paved.NewRejection(errBreakerOpen, time.Second)
	})
	var ex *retry.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, retry.ReasonRefused, ex.Reason)
	assert.Same(t, errUnavailable, ex.Last, "the dependency's answer, not our refusal")
	assert.Equal(t, 2, ex.Attempts)
	v, ok := call.Final().Result()
	require.True(t, ok)
	assert.Equal(t, "503 response", v)
	call.Final().Release()
	ev := events.Events(telemetry.EventRetriesExhausted)
	require.Len(t, ev, 1)
	assert.Equal(t, "refused", ev[0].Attrs[retry.AttrReason])

	// The refused attempt gave its token back: the next call can retry.
	require.NoError(t, p.Run(context.Background(), flaky))
}

// A call that is not safe to repeat is not retried, and the decision is an
// event that says why.
func TestUnsafeCallDeclinedWithReason(t *testing.T) {
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), noWait())
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Unrepeatable: true, UnsafeReason: "POST without Idempotency-Key"})
	n := 0
	err := p.Run(ctx, func(context.Context) error { n++; return errUnavailable })
	assert.Same(t, errUnavailable, err)
	assert.Equal(t, 1, n)
	ev := events.Events(telemetry.EventUnsafeToRepeat)
	require.Len(t, ev, 1)
	assert.Equal(t, "POST without Idempotency-Key", ev[0].Attrs[telemetry.AttrUnsafeReason])
	assert.Equal(t, "retry", ev[0].Attrs[telemetry.AttrPolicy])

	// Without a reason given, the event still says what happened.
	bare := paved.WithCallInfo(context.Background(), paved.CallInfo{Unrepeatable: true})
	_ = p.Run(bare, func(context.Context) error { return errUnavailable })
	ev = events.Events(telemetry.EventUnsafeToRepeat)
	require.Len(t, ev, 2)
	assert.NotEmpty(t, ev[1].Attrs[telemetry.AttrUnsafeReason])

	// A failure nobody would retry is no decision worth an event.
	_ = p.Run(ctx, func(context.Context) error { return paved.Permanent(errUnavailable) })
	assert.Len(t, events.Events(telemetry.EventUnsafeToRepeat), 2)
}

// refusedConn is an attempt whose connection was refused: it marks itself
// unsent, as the adapters do.
func refusedConn(ctx context.Context) error {
	paved.AttemptFrom(ctx).MarkUnsent()
	return &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
}

// An attempt that never left the process (marked unsent: the connection was
// refused) is retried whatever the call's repeatability; once an attempt
// reaches the dependency and fails, an unsafe call stops.
func TestUnsentRetriedWhateverRepeatability(t *testing.T) {
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Unrepeatable: true})
	p := paved.New("t", noWait(retry.WithMaxAttempts(5)))

	n := 0
	err := p.Run(ctx, func(ctx context.Context) error {
		n++
		if n < 3 {
			return refusedConn(ctx)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, n, "two refused connections, then sent once")

	n = 0
	err = p.Run(ctx, func(ctx context.Context) error {
		n++
		if n == 1 {
			return refusedConn(ctx)
		}
		return errUnavailable // reached the server: never again
	})
	assert.Equal(t, 2, n)
	var ex *retry.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, retry.ReasonUnsafe, ex.Reason)
	assert.Same(t, errUnavailable, ex.Last)
}

// timeoutErr is a net.Error that timed out, as a dial or read timeout is.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// ExhaustedError answers net.Error's Timeout question as its last error
// would, so url.Error.Timeout stays true through a retry that gave up; its
// error.type is the last error's.
func TestExhaustedErrorTimeoutAndType(t *testing.T) {
	p := paved.New("t", noWait(retry.WithoutBudget()))
	err := p.Run(context.Background(), func(context.Context) error { return timeoutErr{} })
	var ex *retry.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.True(t, ex.Timeout())
	assert.Equal(t, "retry_test.timeoutErr", telemetry.ErrorType(err))

	err = p.Run(context.Background(), func(context.Context) error { return errUnavailable })
	require.ErrorAs(t, err, &ex)
	assert.False(t, ex.Timeout())

	err = p.Run(context.Background(), func(context.Context) error { return fmt.Errorf("get: %w", context.DeadlineExceeded) })
	require.ErrorAs(t, err, &ex)
	assert.True(t, ex.Timeout())
}

// An unsent later attempt says nothing of the dependency: the last real
// answer (a 503 response) stays the call's result, and the caller gets it.
func TestUnsentAttemptNeverReplacesTheLastAnswer(t *testing.T) {
	p := paved.New("t", noWait())
	call, err := p.Execute(context.Background(), func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		if a.Number() == 1 {
			a.SetResult("503 response", func(any) { t.Error("the last real answer was discarded") })
			return errUnavailable
		}
		return refusedConn(ctx)
	})
	var ex *retry.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, retry.ReasonMaxAttempts, ex.Reason)
	assert.Same(t, errUnavailable, ex.Last, "the answer the dependency gave")
	v, ok := call.Final().Result()
	require.True(t, ok)
	assert.Equal(t, "503 response", v)
	call.Final().Release()
}

// An unsent attempt of a call outside the pipeline that marked it does not
// make the outer call repeatable: the mark is the inner attempt's.
func TestUnsentMarkDoesNotLeakIntoAnOuterPipeline(t *testing.T) {
	inner := paved.New("inner", noWait(retry.WithMaxAttempts(1)))
	outer := paved.New("outer", noWait())
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Unrepeatable: true})
	sideEffects := 0
	_ = outer.Run(ctx, func(ctx context.Context) error {
		sideEffects++ // a POST that reached its server
		return inner.Run(ctx, refusedConn)
	})
	assert.Equal(t, 1, sideEffects, "an unrepeatable call ran twice")
}

// ExhaustedError says the retry gave up — the tier above should not retry
// again — unless it was allowed no retry at all.
func TestExhaustedGaveUp(t *testing.T) {
	for _, tt := range []struct {
		e    retry.ExhaustedError
		want bool
	}{
		{retry.ExhaustedError{Attempts: 3, Reason: retry.ReasonMaxAttempts}, true},
		{retry.ExhaustedError{Attempts: 1, Reason: retry.ReasonBudget}, true},
		{retry.ExhaustedError{Attempts: 1, Reason: retry.ReasonPushback}, true},
		{retry.ExhaustedError{Attempts: 1, Reason: retry.ReasonMaxAttempts}, false},
	} {
		assert.Equal(t, tt.want, tt.e.GaveUp(), "%d attempts, %v", tt.e.Attempts, tt.e.Reason)
	}
}
