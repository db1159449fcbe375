package hedge_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// pushback is a retryable failure carrying a server's RetryAfter hint, as a
// 429 with Retry-After or a grpc-retry-pushback-ms trailer does.
type pushback struct{ d time.Duration }

func (p pushback) Error() string             { return "overloaded" }
func (p pushback) RetryAfter() time.Duration { return p.d }
func (p pushback) Outcome() paved.Outcome    { return paved.OutcomeOverload }

// resetClock is a fake clock whose timers report every Reset, so a test can
// read the wait the hedge chose.
type resetClock struct {
	*clock.Fake
	resets chan time.Duration
}

func (c *resetClock) NewTimer(d time.Duration) clock.Timer {
	return &resetTimer{Timer: c.Fake.NewTimer(d), resets: c.resets}
}

type resetTimer struct {
	clock.Timer
	resets chan time.Duration
}

func (t *resetTimer) Reset(d time.Duration) bool {
	ok := t.Timer.Reset(d)
	t.resets <- d
	return ok
}

// A pushback delay postpones the next hedge by that delay (gRFC A6), where a
// plain transient failure starts it at once.
func TestPushbackDelayPostponesTheNextHedge(t *testing.T) {
	fake := &resetClock{Fake: clock.NewFake(epoch), resets: make(chan time.Duration, 4)}
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithClock(fake)))
	done := make(chan error, 1)
	go func() {
		done <- p.Run(context.Background(), func(ctx context.Context) error {
			if paved.AttemptFrom(ctx).Number() == 1 {
				return pushback{time.Second}
			}
			return nil
		})
	}()
	assert.Equal(t, time.Second, <-fake.resets, "the next hedge waits for the server's delay")
	fake.Advance(999 * time.Millisecond)
	assert.Zero(t, events.Count(telemetry.EventHedge), "no hedge before the server's delay")
	fake.Advance(time.Millisecond)
	require.NoError(t, <-done)
	assert.Equal(t, 1, events.Count(telemetry.EventHedge))
}

// A "do not retry" pushback (negative) stops hedging: the call ends with that
// answer once the attempts running have answered.
func TestNegativePushbackStopsHedges(t *testing.T) {
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithMaxHedges(3),
		hedge.WithClock(clock.NewFake(epoch))))
	stop := pushback{-1}
	err := p.Run(context.Background(), func(context.Context) error { return stop })
	assert.Equal(t, stop, err)
	assert.Zero(t, events.Count(telemetry.EventHedge))
	ev := events.Events(telemetry.EventRetriesExhausted)
	require.Len(t, ev, 1, "stopping on the server's word is an event")
	assert.Equal(t, "hedge", ev[0].Attrs[telemetry.AttrPolicy])
	assert.Equal(t, "pushback", ev[0].Attrs[telemetry.AttrRetryReason])
}

// A pushback past the caller's deadline stops hedging too: the caller would
// not wait for the hedge.
func TestPushbackPastDeadlineStopsHedges(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithClock(fake)))
	ctx, cancel := fake.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := p.Run(ctx, func(context.Context) error { return pushback{time.Second} })
	assert.Equal(t, pushback{time.Second}, err)
	assert.Zero(t, events.Count(telemetry.EventHedge))
}

var errBulkheadFull = errors.New("bulkhead: full")

// A hedge refused by our own policy after a real failure leaves the caller
// that failure's result (an HTTP 503 response), never a bare error.
func TestRefusedHedgeKeepsTheLastRealAnswer(t *testing.T) {
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithClock(clock.NewFake(epoch))))
	call, err := p.Execute(context.Background(), func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		if a.Number() == 1 {
			a.SetResult("503 response", func(any) { t.Error("the last real answer was discarded") })
			return errUnavailable
		}
		return paved.NewRejection(errBulkheadFull, 0)
	})
	require.ErrorIs(t, err, errUnavailable)
	assert.Equal(t, 2, call.Attempts())
	v, ok := call.Final().Result()
	require.True(t, ok)
	assert.Equal(t, "503 response", v)
	call.Final().Release()
}

// A call that may not be hedged reports why when it fails in a way a hedge
// would have followed.
func TestUnsafeCallReported(t *testing.T) {
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithClock(clock.NewFake(epoch))))
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Unrepeatable: true, UnsafeReason: "POST without Idempotency-Key"})
	require.ErrorIs(t, p.Run(ctx, func(context.Context) error { return errUnavailable }), errUnavailable)
	ev := events.Events(telemetry.EventUnsafeToRepeat)
	require.Len(t, ev, 1)
	assert.Equal(t, "POST without Idempotency-Key", ev[0].Attrs[telemetry.AttrUnsafeReason])
	assert.Equal(t, "hedge", ev[0].Attrs[telemetry.AttrPolicy])

	// A success, or a failure no hedge would follow, says nothing.
	require.NoError(t, p.Run(ctx, func(context.Context) error { return nil }))
	require.Error(t, p.Run(ctx, func(context.Context) error { return paved.Permanent(errUnavailable) }))
	assert.Len(t, events.Events(telemetry.EventUnsafeToRepeat), 1)
}

// A pushback longer than MaxPushback postpones the next hedge by
// MaxPushback only: a Retry-After of a day must not hold the caller a day.
func TestPushbackCapped(t *testing.T) {
	fake := &resetClock{Fake: clock.NewFake(epoch), resets: make(chan time.Duration, 4)}
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithMaxPushback(2*time.Second), hedge.WithClock(fake)))
	done := make(chan error, 1)
	go func() {
		done <- p.Run(context.Background(), func(ctx context.Context) error {
			if paved.AttemptFrom(ctx).Number() == 1 {
				return pushback{24 * time.Hour}
			}
			return nil
		})
	}()
	assert.Equal(t, 2*time.Second, <-fake.resets)
	fake.Advance(2 * time.Second)
	require.NoError(t, <-done)
	_, err := hedge.New(hedge.WithMaxPushback(0))
	assert.EqualError(t, err, "hedge: MaxPushback must be 1ms..1h, got 0s")
}

// A hedge that never left the process (its connection refused) says nothing
// of the dependency: the last real answer stays the call's result.
func TestUnsentHedgeKeepsTheLastRealAnswer(t *testing.T) {
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithClock(clock.NewFake(epoch))))
	call, err := p.Execute(context.Background(), func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		if a.Number() == 1 {
			a.SetResult("503 response", func(any) { t.Error("the last real answer was discarded") })
			return errUnavailable
		}
		a.MarkUnsent()
		return errors.New("connect: connection refused")
	})
	require.ErrorIs(t, err, errUnavailable)
	v, ok := call.Final().Result()
	require.True(t, ok)
	assert.Equal(t, "503 response", v)
	call.Final().Release()
}
