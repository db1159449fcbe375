package ratelimit_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/ratelimit"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func okOp(context.Context) error { return nil }

// counting returns an op that counts its runs.
func counting() (paved.Op, *atomic.Int64) {
	var n atomic.Int64
	return func(context.Context) error { n.Add(1); return nil }, &n
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		r     rate.Limit
		burst int
		opts  []ratelimit.Option
		want  string
	}{
		{"zero rate", 0, 1, nil, "rate must be > 0 and <= 1e9 per second, got 0"},
		{"negative rate", -1, 1, nil, "rate must be > 0"},
		{"NaN rate", rate.Limit(math.NaN()), 1, nil, "rate must be > 0"},
		{"infinite rate", rate.Inf, 1, nil, "rate must be > 0 and <= 1e9"},
		{"zero burst", 1, 0, nil, "burst must be 1..1000000000, got 0"},
		{"huge burst", 1, 2_000_000_000, nil, "burst must be 1..1000000000"},
		{"negative max wait", 1, 1, []ratelimit.Option{ratelimit.WithMaxWait(-time.Second)}, "MaxWait must be 0..1h, got -1s"},
		{"long max wait", 1, 1, []ratelimit.Option{ratelimit.WithMaxWait(2 * time.Hour)}, "MaxWait must be 0..1h"},
		{"empty name", 1, 1, []ratelimit.Option{ratelimit.WithName("")}, `Name must be 1..64 printable ASCII characters other than '"' and '\', got ""`},
		{"quote in name", 1, 1, []ratelimit.Option{ratelimit.WithName(`a"b`)}, "Name must be"},
		{"control in name", 1, 1, []ratelimit.Option{ratelimit.WithName("a\nb")}, "Name must be"},
		{"fractional window", 1, 1, []ratelimit.Option{ratelimit.WithWindow(1500 * time.Millisecond)}, "Window must be whole seconds in 1s..24h, got 1.5s"},
		{"long window", 1, 1, []ratelimit.Option{ratelimit.WithWindow(48 * time.Hour)}, "Window must be whole seconds"},
		{"zero max keys", 1, 1, []ratelimit.Option{ratelimit.WithMaxKeys(0)}, "MaxKeys must be 1..16777216, got 0"},
		{"short key length", 1, 1, []ratelimit.Option{ratelimit.WithMaxKeyLength(8)}, "MaxKeyLength must be 16..4096, got 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ratelimit.New(tc.r, tc.burst, tc.opts...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			_, err = ratelimit.PerKey(tc.r, tc.burst, tc.opts...)
			require.Error(t, err, "PerKey validates the same way")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	assert.Panics(t, func() { ratelimit.MustNew(0, 1) })
	assert.Panics(t, func() { ratelimit.MustPerKey(1, 0) })
	_, err := ratelimit.New(1, 1, nil, ratelimit.WithName("payments-v1"))
	assert.NoError(t, err, "nil options are skipped")
}

func TestLimiterBurstThenFailFast(t *testing.T) {
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(10, 3, ratelimit.WithClock(clk), ratelimit.WithFailFast())
	op, n := counting()
	wrapped := l.Wrap(op)
	for range 3 {
		require.NoError(t, wrapped(context.Background()))
	}
	err := wrapped(context.Background())
	require.Error(t, err)
	assert.ErrorIs(t, err, ratelimit.ErrLimited)
	assert.ErrorIs(t, err, paved.ErrRejected)
	assert.True(t, paved.IsOverloadRefusal(err), "a rate limit is the caller's overload: 429, RESOURCE_EXHAUSTED")
	assert.Equal(t, paved.OutcomeRejected, paved.DefaultClassifier.Classify(err))
	d, ok := paved.RetryAfter(err)
	assert.True(t, ok)
	assert.Equal(t, 100*time.Millisecond, d, "one token comes after 1/rate")
	var le *ratelimit.LimitedError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, ratelimit.Status{Policy: "default", Quota: 10, Window: time.Second, Remaining: 0, Reset: 100 * time.Millisecond}, le.Status)
	assert.Equal(t, "ratelimit: limited", err.Error())
	assert.Equal(t, "rate_limited", telemetry.ErrorType(err))
	assert.EqualValues(t, 3, n.Load(), "the refused call never ran")

	clk.Advance(100 * time.Millisecond)
	assert.NoError(t, wrapped(context.Background()), "a token came back")
	assert.Error(t, wrapped(context.Background()))
}

func TestLimiterWaitsItsTurn(t *testing.T) {
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(10, 1, ratelimit.WithClock(clk)) // default max wait: 1s
	op, n := counting()
	wrapped := l.Wrap(op)
	require.NoError(t, wrapped(context.Background()))
	done := make(chan error, 1)
	go func() { done <- wrapped(context.Background()) }()
	clk.BlockUntil(1) // it waits on the clock
	clk.Advance(99 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("returned before its turn: %v", err)
	default:
	}
	clk.Advance(time.Millisecond)
	require.NoError(t, <-done)
	assert.EqualValues(t, 2, n.Load())
}

func TestLimiterMaxWait(t *testing.T) {
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(1, 1, ratelimit.WithClock(clk), ratelimit.WithMaxWait(500*time.Millisecond))
	wrapped := l.Wrap(okOp)
	require.NoError(t, wrapped(context.Background()))
	err := wrapped(context.Background()) // would wait 1s > 500ms: refused at once, no timer armed
	require.ErrorIs(t, err, ratelimit.ErrLimited)
	d, _ := paved.RetryAfter(err)
	assert.Equal(t, time.Second, d)
	assert.Zero(t, clk.Pending(), "refused without waiting")

	// The refused call's reservation was given back: after 1s exactly one
	// token is there, not a debt of two.
	clk.Advance(time.Second)
	assert.InDelta(t, 1, l.Status().Remaining, 0)
	require.NoError(t, wrapped(context.Background()))
}

func TestLimiterDeadline(t *testing.T) {
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(1, 1, ratelimit.WithClock(clk), ratelimit.WithMaxWait(time.Minute))
	wrapped := l.Wrap(okOp)
	require.NoError(t, wrapped(context.Background()))

	ctx, cancel := clk.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	err := wrapped(ctx) // needs 1s, has 800ms: refused at once
	require.ErrorIs(t, err, ratelimit.ErrLimited)
	d, _ := paved.RetryAfter(err)
	assert.Equal(t, time.Second, d)

	exact, cancel2 := clk.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	assert.ErrorIs(t, wrapped(exact), ratelimit.ErrLimited, "a wait that ends at the deadline leaves no time for the call")

	clk.Advance(time.Second)
	require.NoError(t, wrapped(context.Background()), "the refusals' reservations were given back")
}

func TestLimiterCanceledWhileWaiting(t *testing.T) {
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(1, 1, ratelimit.WithClock(clk), ratelimit.WithMaxWait(time.Minute))
	op, n := counting()
	wrapped := l.Wrap(op)
	require.NoError(t, wrapped(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- wrapped(ctx) }()
	clk.BlockUntil(1)
	clk.Advance(500 * time.Millisecond)
	cancel()
	err := <-done
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, errors.Is(err, ratelimit.ErrLimited), "the caller gave up: not a refusal")
	assert.Zero(t, clk.Pending(), "its timer is stopped")
	assert.EqualValues(t, 1, n.Load())

	// Its reservation was given back: the token due at 1s is free for the next call.
	clk.Advance(500 * time.Millisecond)
	assert.EqualValues(t, 1, l.Status().Remaining)
	require.NoError(t, wrapped(context.Background()))
}

func TestLimiterConcurrentExact(t *testing.T) {
	// 16 goroutines hammer a fail-fast limiter while the fake clock moves in
	// steps: exactly burst + rate × elapsed calls get through.
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(100, 10, ratelimit.WithClock(clk), ratelimit.WithFailFast())
	op, n := counting()
	wrapped := l.Wrap(op)
	var refused atomic.Int64
	for step := range 10 {
		if step > 0 {
			clk.Advance(100 * time.Millisecond) // 10 tokens
		}
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 20 {
					if err := wrapped(context.Background()); err != nil {
						require.ErrorIs(t, err, ratelimit.ErrLimited)
						refused.Add(1)
					}
				}
			})
		}
		wg.Wait()
	}
	assert.EqualValues(t, 10+100*0.9, n.Load())
	assert.EqualValues(t, 10*16*20-n.Load(), refused.Load())
}

func TestLimiterEmitsRateLimited(t *testing.T) {
	clk := clock.NewFake(epoch)
	log, tel := telemetrytest.New()
	l := ratelimit.MustNew(1, 1, ratelimit.WithClock(clk), ratelimit.WithFailFast(), ratelimit.WithName("search"))
	p := paved.New("dep", l, paved.WithTelemetry(tel))
	require.NoError(t, p.Run(context.Background(), okOp))
	require.ErrorIs(t, p.Run(context.Background(), okOp), ratelimit.ErrLimited)
	evs := log.Events(telemetry.EventRateLimited)
	require.Len(t, evs, 1)
	assert.Equal(t, "ratelimit", evs[0].Attrs[telemetry.AttrPolicy])
	assert.Equal(t, "search", evs[0].Attrs[telemetry.AttrRateLimitPolicy])
	assert.Equal(t, "rate_limited", evs[0].Attrs[telemetry.AttrErrorType])
}

func TestLimiterStatus(t *testing.T) {
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(2, 10, ratelimit.WithClock(clk), ratelimit.WithFailFast())
	assert.Equal(t, ratelimit.Status{Policy: "default", Quota: 10, Window: 5 * time.Second, Remaining: 10}, l.Status(),
		"window: the whole seconds in which the rate refills the burst")
	for range 4 {
		require.NoError(t, l.Wrap(okOp)(context.Background()))
	}
	assert.Equal(t, ratelimit.Status{Policy: "default", Quota: 10, Window: 5 * time.Second, Remaining: 6, Reset: 2 * time.Second}, l.Status(),
		"reset: until the bucket is full")
	w := ratelimit.MustNew(2, 10, ratelimit.WithClock(clk), ratelimit.WithWindow(time.Minute))
	assert.Equal(t, int64(120), w.Status().Quota, "quota: rate × window")
}
