package hedge_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
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

var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

var errUnavailable = errors.New("unavailable")

// recorder keeps what each attempt saw.
type recorder struct {
	mu        sync.Mutex
	ctxs      map[int]context.Context
	discarded map[int]bool
	started   chan int
	discards  chan int // each attempt number once its result was discarded
}

func newRecorder() *recorder {
	return &recorder{ctxs: map[int]context.Context{}, discarded: map[int]bool{},
		started: make(chan int, 10), discards: make(chan int, 10)}
}

// op returns an Op whose attempt n behaves as behave(n, ctx) says; every
// attempt records a result whose discard is noted.
func (r *recorder) op(behave func(n int, ctx context.Context) error) paved.Op {
	return func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		n := a.Number()
		r.mu.Lock()
		r.ctxs[n] = ctx
		r.mu.Unlock()
		r.started <- n
		err := behave(n, ctx)
		a.SetResult(n, func(any) {
			r.mu.Lock()
			r.discarded[n] = true
			r.mu.Unlock()
			r.discards <- n
		})
		return err
	}
}

func (r *recorder) wasDiscarded(n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.discarded[n]
}

func (r *recorder) ctx(n int) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ctxs[n]
}

// slowUntilCanceled blocks until the attempt is canceled.
func slowUntilCanceled(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		opt  hedge.Option
		want string
	}{
		{hedge.WithDelay(0), "hedge: Delay must be > 0, got 0s"},
		{hedge.WithAdaptiveDelay(1, 100, time.Second), "hedge: Quantile must be in (0, 1), got 1"},
		{hedge.WithAdaptiveDelay(0.95, 0, time.Second), "hedge: MinSamples must be 1..512, got 0"},
		{hedge.WithMaxHedges(0), "hedge: MaxHedges must be 1..4, got 0"},
		{hedge.WithMaxHedges(5), "hedge: MaxHedges must be 1..4, got 5"},
		{hedge.WithBudget(2, 0), "hedge: Budget ratio must be 0..1, got 2"},
		{hedge.WithClock(nil), "hedge: Clock must not be nil"},
		{hedge.WithBudgetCapacity(0), "hedge: Budget capacity must be 1..1000000, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := hedge.New(tt.opt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Panics(t, func() { hedge.MustNew(tt.opt) })
		})
	}
	_, err := hedge.New(nil, hedge.WithMaxHedges(2), nil)
	assert.NoError(t, err, "a nil option is skipped")
}

func TestHedgeWinsLoserCanceled(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithDelay(100*time.Millisecond), hedge.WithClock(fake)))
	rec := newRecorder()
	type out struct {
		call *paved.Call
		err  error
	}
	done := make(chan out, 1)
	go func() {
		c, err := p.Execute(context.Background(), rec.op(func(n int, ctx context.Context) error {
			if n == 1 {
				return slowUntilCanceled(ctx)
			}
			return nil
		}))
		done <- out{c, err}
	}()
	require.Equal(t, 1, <-rec.started)
	fake.BlockUntil(1)
	fake.Advance(100 * time.Millisecond)
	require.Equal(t, 2, <-rec.started)
	o := <-done
	require.NoError(t, o.err)
	v, ok := o.call.Final().Result()
	require.True(t, ok)
	assert.Equal(t, 2, v, "the hedge's result")
	assert.ErrorIs(t, rec.ctx(1).Err(), context.Canceled, "the loser is canceled")
	assert.NoError(t, rec.ctx(2).Err(), "the winner's context lives until its result is released")
	o.call.Final().Release()
	assert.ErrorIs(t, rec.ctx(2).Err(), context.Canceled)
	select {
	case n := <-rec.discards:
		assert.Equal(t, 1, n, "the loser's result is discarded when it lands")
	case <-time.After(10 * time.Second): // a bound for failure only
		t.Fatal("the loser's result was never discarded")
	}
	assert.False(t, rec.wasDiscarded(2))
	ev := events.Events(telemetry.EventHedge)
	require.Len(t, ev, 1)
	assert.Equal(t, "2", ev[0].Attrs[telemetry.AttrAttempt])
	assert.Equal(t, "100", ev[0].Attrs[telemetry.AttrDelay])
}

func TestFastFirstAttemptNoHedge(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithDelay(time.Second), hedge.WithClock(fake)))
	v, err := paved.Do(context.Background(), p, func(ctx context.Context) (int, error) { return 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 7, v)
	assert.Zero(t, events.Count(telemetry.EventHedge))
	assert.Equal(t, 0, fake.Pending(), "the hedge timer is stopped")
}

func TestTransientStartsNextHedgeAtOnce(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithClock(fake)))
	rec := newRecorder()
	call, err := p.Execute(context.Background(), rec.op(func(n int, ctx context.Context) error {
		if n == 1 {
			return errUnavailable
		}
		return nil
	}))
	require.NoError(t, err, "no clock advance was needed")
	v, _ := call.Final().Result()
	assert.Equal(t, 2, v)
	ev := events.Events(telemetry.EventHedge)
	require.Len(t, ev, 1)
	assert.Equal(t, "*errors.errorString", ev[0].Attrs[telemetry.AttrErrorType])
}

func TestAllFailReturnsLast(t *testing.T) {
	fake := clock.NewFake(epoch)
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithMaxHedges(2), hedge.WithClock(fake)))
	var n atomic.Int32
	err := p.Run(context.Background(), func(context.Context) error {
		n.Add(1)
		return errUnavailable
	})
	assert.Same(t, errUnavailable, err)
	assert.Equal(t, int32(3), n.Load())
}

func TestNonRetryableEndsCall(t *testing.T) {
	errNotFound := paved.Permanent(errors.New("not found"))
	fake := clock.NewFake(epoch)
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithMaxHedges(2), hedge.WithClock(fake)))
	var n atomic.Int32
	err := p.Run(context.Background(), func(context.Context) error {
		n.Add(1)
		return errNotFound
	})
	assert.Same(t, errNotFound, err)
	assert.Equal(t, int32(1), n.Load())
}

func TestUnrepeatableNeverHedged(t *testing.T) {
	fake := clock.NewFake(epoch)
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Millisecond), hedge.WithClock(fake)))
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Unrepeatable: true})
	var n atomic.Int32
	err := p.Run(ctx, func(context.Context) error {
		n.Add(1)
		fake.Advance(time.Second) // far past the delay: still no hedge
		return errUnavailable
	})
	assert.Same(t, errUnavailable, err)
	assert.Equal(t, int32(1), n.Load())
}

func TestPanicReraisedAfterCancel(t *testing.T) {
	fake := clock.NewFake(epoch)
	quiet := telemetry.New(telemetry.WithLogger(slog.New(slog.DiscardHandler)))
	p := paved.New("t", paved.WithTelemetry(quiet), hedge.MustNew(hedge.WithDelay(10*time.Millisecond), hedge.WithClock(fake)))
	rec := newRecorder()
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		assert.Equal(t, 1, <-rec.started) // assert, not require: FailNow is for the test's goroutine
		fake.BlockUntil(1)
		fake.Advance(10 * time.Millisecond)
	}()
	assert.PanicsWithValue(t, "boom", func() {
		_ = p.Run(context.Background(), rec.op(func(n int, ctx context.Context) error {
			if n == 1 {
				return slowUntilCanceled(ctx)
			}
			panic("boom")
		}))
	})
	<-driven
	assert.ErrorIs(t, rec.ctx(1).Err(), context.Canceled, "the other attempt was canceled first")
}

func TestCallerCancelReturnsPromptly(t *testing.T) {
	fake := clock.NewFake(epoch)
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithClock(fake)))
	ctx, cancel := context.WithCancel(context.Background())
	rec := newRecorder()
	done := make(chan error, 1)
	go func() {
		done <- p.Run(ctx, rec.op(func(_ int, ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}))
	}()
	<-rec.started
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

// Hedges spend the budget: with ratio 0 and 1 per second over 10s, 30 calls
// whose first attempt fails hedge 10 times; the others return the failure.
func TestBudgetLimitsHedges(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithDelay(time.Hour),
		hedge.WithBudget(0, 0), hedge.WithBudgetCapacity(10), hedge.WithClock(fake)))
	for range 30 {
		require.Error(t, p.Run(context.Background(), func(context.Context) error { return errUnavailable }))
	}
	assert.Equal(t, 10, events.Count(telemetry.EventHedge), "ten saved hedges, each spent on a failure")
}

// A hedge started at once after a failure is a retry: when it answers, its
// budget comes back, so a flaky dependency keeps every useful one.
func TestAnsweringRetryHedgesAreRefunded(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithDelay(time.Hour),
		hedge.WithBudget(0, 0), hedge.WithBudgetCapacity(1), hedge.WithClock(fake)))
	for range 30 {
		require.NoError(t, p.Run(context.Background(), func(ctx context.Context) error {
			if paved.AttemptFrom(ctx).Number() == 1 {
				return errUnavailable
			}
			return nil
		}))
	}
	assert.Equal(t, 30, events.Count(telemetry.EventHedge))
}

// The adaptive delay follows the pipeline's latencies: after enough 20ms
// attempts, a hedge waits 20ms rather than the fallback.
func TestAdaptiveDelay(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(
		hedge.WithAdaptiveDelay(0.95, 10, time.Hour), hedge.WithoutBudget(), hedge.WithClock(fake)))
	for range 10 {
		require.NoError(t, p.Run(context.Background(), func(context.Context) error {
			fake.Advance(20 * time.Millisecond)
			return nil
		}))
	}
	assert.Zero(t, events.Count(telemetry.EventHedge))
	hedgeAfter(t, p, fake, 20*time.Millisecond)
	ev := events.Events(telemetry.EventHedge)
	require.Len(t, ev, 1)
	assert.Equal(t, "20", ev[0].Attrs[telemetry.AttrDelay])
}

// Fast failures do not teach the adaptive delay: calls whose first attempt
// fails in 2ms and whose hedge answers in 20ms leave a delay of 20ms, not 2ms.
func TestAdaptiveDelayIgnoresFailures(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(
		hedge.WithAdaptiveDelay(0.5, 10, time.Hour), hedge.WithoutBudget(), hedge.WithClock(fake)))
	for range 10 {
		require.NoError(t, p.Run(context.Background(), func(ctx context.Context) error {
			if paved.AttemptFrom(ctx).Number() == 1 {
				fake.Advance(2 * time.Millisecond)
				return errUnavailable
			}
			fake.Advance(20 * time.Millisecond)
			return nil
		}))
	}
	hedgeAfter(t, p, fake, 20*time.Millisecond)
	ev := events.Events(telemetry.EventHedge)
	require.NotEmpty(t, ev)
	assert.Equal(t, "20", ev[len(ev)-1].Attrs[telemetry.AttrDelay])
}

// A hedge that a policy inside refuses (a full bulkhead) stops hedging; the
// first attempt, still running, answers the call.
func TestRefusedHedgeKeepsTheFirstAttempt(t *testing.T) {
	fake := clock.NewFake(epoch)
	errFull := errors.New("bulkhead: full")
	refused := make(chan struct{}, 1)
	refuseHedges := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			if paved.AttemptFrom(ctx).Number() > 1 {
				refused <- struct{}{}
				return paved.NewRejection(errFull, 0)
			}
			return next(ctx)
		}
	})
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(100*time.Millisecond), hedge.WithClock(fake), hedge.WithoutBudget()), refuseHedges)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- p.Run(context.Background(), func(ctx context.Context) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	fake.BlockUntil(1)
	fake.Advance(100 * time.Millisecond) // the hedge starts, and is refused
	<-refused
	close(release)
	assert.NoError(t, <-done, "the first attempt was not canceled by the refused hedge")
}

// hedgeAfter runs one call whose first attempt hangs until canceled, advances
// fake by d once the call waits on it, and requires the hedge to win.
func hedgeAfter(t *testing.T, p *paved.Pipeline, fake *clock.Fake, d time.Duration) {
	t.Helper()
	rec := newRecorder()
	done := make(chan error, 1)
	go func() {
		done <- p.Run(context.Background(), rec.op(func(n int, ctx context.Context) error {
			if n == 1 {
				return slowUntilCanceled(ctx)
			}
			return nil
		}))
	}()
	<-rec.started
	fake.BlockUntil(1)
	fake.Advance(d)
	require.NoError(t, <-done)
}
