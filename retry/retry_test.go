package retry_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/backoff"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

var errUnavailable = errors.New("unavailable")

// pushback is an error with a server's RetryAfter hint.
type pushback struct{ d time.Duration }

func (p pushback) Error() string             { return "overloaded" }
func (p pushback) RetryAfter() time.Duration { return p.d }

// run runs op through p in a goroutine and drives the fake clock until the
// call returns: each time the retry waits, the clock jumps by step.
func run(t *testing.T, fake *clock.Fake, step time.Duration, p *paved.Pipeline, ctx context.Context, op paved.Op) error {
	t.Helper()
	return runN(t, fake, 1, step, p, ctx, op)
}

// runN is run for a fake clock that already has other pending timers (a
// deadline context counts as one).
func runN(t *testing.T, fake *clock.Fake, others int, step time.Duration, p *paved.Pipeline, ctx context.Context, op paved.Op) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, op) }()
	for i := 0; i < 1000; i++ { // bounded
		select {
		case err := <-done:
			return err
		default:
		}
		bctx, cancel := context.WithCancel(context.Background())
		waiting := make(chan error, 1)
		go func() { waiting <- fake.BlockUntilContext(bctx, others) }()
		select {
		case err := <-done:
			cancel()
			<-waiting
			return err
		case <-waiting:
			cancel()
			fake.Advance(step)
		}
	}
	t.Fatal("the call did not end")
	return nil
}

// delays returns the delays of the retry events, in order.
func delays(t *testing.T, events *telemetrytest.Log) []time.Duration {
	t.Helper()
	var out []time.Duration
	for _, e := range events.Events(telemetry.EventRetry) {
		ms, err := strconv.ParseFloat(e.Attrs[telemetry.AttrDelay], 64)
		if err != nil {
			ms = 0 // no delay attribute: a zero delay
		}
		out = append(out, time.Duration(ms*float64(time.Millisecond)+0.5))
	}
	return out
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		opt  retry.Option
		want string
	}{
		{retry.WithMaxAttempts(0), "retry: MaxAttempts must be 1..10, got 0"},
		{retry.WithMaxAttempts(11), "retry: MaxAttempts must be 1..10, got 11"},
		{retry.WithBackoff(0, time.Second), "retry: Backoff base must be > 0, got 0s"},
		{retry.WithBackoff(time.Second, time.Millisecond), "retry: Backoff max must be >= base (1s), got 1ms"},
		{retry.WithJitter(9), "retry: Jitter must be full, equal, decorrelated or none, got 9"},
		{retry.WithBudget(1.5, 10), "retry: Budget ratio must be 0..1, got 1.5"},
		{retry.WithBudget(0.1, -1), "retry: Budget min_per_second must be 0..1000, got -1"},
		{retry.WithBudgetCapacity(0), "retry: Budget capacity must be 1..1000000, got 0"},
		{retry.WithMinAttemptTime(-1), "retry: MinAttemptTime must be >= 0"},
		{retry.WithClock(nil), "retry: Clock must not be nil"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := retry.New(tt.opt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Panics(t, func() { retry.MustNew(tt.opt) })
		})
	}
	_, err := retry.New()
	assert.NoError(t, err)
	_, err = retry.New(nil, retry.WithMaxAttempts(2), nil)
	assert.NoError(t, err, "a nil option is skipped")
}

func TestDelaySequencesPerJitter(t *testing.T) {
	base, maxD := 100*time.Millisecond, 2*time.Second
	for _, j := range []retry.Jitter{retry.JitterFull, retry.JitterEqual, retry.JitterDecorrelated, retry.JitterNone} {
		t.Run(j.String(), func(t *testing.T) {
			for seed := uint64(1); seed <= 5; seed++ {
				fake := clock.NewFake(epoch)
				events, tel := telemetrytest.New()
				p := paved.New("t", paved.WithTelemetry(tel), retry.MustNew(
					retry.WithMaxAttempts(10), retry.WithBackoff(base, maxD), retry.WithJitter(j),
					retry.WithoutBudget(), retry.WithClock(fake), retry.WithRand(rand.NewPCG(seed, seed))))
				var attempts atomic.Int32
				err := run(t, fake, maxD, p, context.Background(), func(context.Context) error {
					attempts.Add(1)
					return errUnavailable
				})
				var ex *retry.ExhaustedError
				require.ErrorAs(t, err, &ex)
				assert.Equal(t, 10, ex.Attempts)
				assert.Equal(t, int32(10), attempts.Load())
				got := delays(t, events)
				require.Len(t, got, 9)
				prev := time.Duration(0)
				for i, d := range got {
					n := i + 1
					exp := backoff.Exponential(base, maxD, n)
					switch j {
					case retry.JitterFull:
						assert.True(t, d >= 0 && d <= exp, "n=%d d=%v", n, d)
					case retry.JitterEqual:
						assert.True(t, d >= exp/2 && d <= exp, "n=%d d=%v", n, d)
					case retry.JitterDecorrelated:
						lo := max(prev, base)
						assert.True(t, d >= base && d <= min(maxD, 3*lo), "n=%d d=%v prev=%v", n, d, prev)
					case retry.JitterNone:
						assert.Equal(t, exp, d)
					}
					prev = d
				}
			}
		})
	}
}

func TestBackoffFunc(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), retry.MustNew(
		retry.WithMaxAttempts(4), retry.WithBackoff(time.Millisecond, time.Second), retry.WithoutBudget(),
		retry.WithClock(fake), retry.WithBackoffFunc(func(n int, _ time.Duration) time.Duration {
			return time.Duration(n) * 700 * time.Millisecond
		})))
	_ = run(t, fake, time.Second, p, context.Background(), func(context.Context) error { return errUnavailable })
	assert.Equal(t, []time.Duration{700 * time.Millisecond, time.Second, time.Second}, delays(t, events), "cut to max")
}

func TestPushback(t *testing.T) {
	tests := []struct {
		name      string
		push      time.Duration
		wantDelay []time.Duration
		wantN     int
		reason    retry.Reason
	}{
		{"honoured", 3 * time.Second, []time.Duration{3 * time.Second, 3 * time.Second}, 3, retry.ReasonMaxAttempts},
		{"clamped to max", time.Minute, []time.Duration{10 * time.Second, 10 * time.Second}, 3, retry.ReasonMaxAttempts},
		{"zero is no hint: computed backoff", 0, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, 3, retry.ReasonMaxAttempts},
		{"negative stops", -1, nil, 1, retry.ReasonPushback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := clock.NewFake(epoch)
			events, tel := telemetrytest.New()
			p := paved.New("t", paved.WithTelemetry(tel), retry.MustNew(retry.WithClock(fake), retry.WithoutBudget(), retry.WithJitter(retry.JitterNone)))
			err := run(t, fake, 10*time.Second, p, context.Background(), func(context.Context) error {
				return paved.Mark(pushback{tt.push}, paved.OutcomeOverload)
			})
			var ex *retry.ExhaustedError
			require.ErrorAs(t, err, &ex)
			assert.Equal(t, tt.wantN, ex.Attempts)
			assert.Equal(t, tt.reason, ex.Reason)
			assert.Equal(t, tt.wantDelay, delays(t, events))
			ev := events.Events(telemetry.EventRetriesExhausted)
			require.Len(t, ev, 1)
			assert.Equal(t, tt.reason.String(), ev[0].Attrs[retry.AttrReason])
		})
	}
}

func TestDeadlineRespected(t *testing.T) {
	fake := clock.NewFake(epoch)
	ctx, cancel := fake.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	p := paved.New("t", retry.MustNew(retry.WithClock(fake), retry.WithJitter(retry.JitterNone),
		retry.WithMaxAttempts(10), retry.WithoutBudget()))
	var starts []time.Time
	var mu sync.Mutex
	err := runN(t, fake, 2, 100*time.Millisecond, p, ctx, func(context.Context) error {
		mu.Lock()
		starts = append(starts, fake.Now())
		mu.Unlock()
		return errUnavailable
	})
	var ex *retry.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, retry.ReasonDeadline, ex.Reason)
	assert.Equal(t, 2, ex.Attempts, "100ms fits in 150ms, the next 200ms does not")
	assert.ErrorIs(t, err, errUnavailable)
	assert.Equal(t, []time.Time{epoch, epoch.Add(100 * time.Millisecond)}, starts)
}

func TestMinAttemptTime(t *testing.T) {
	fake := clock.NewFake(epoch)
	ctx, cancel := fake.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	p := paved.New("t", retry.MustNew(retry.WithClock(fake), retry.WithJitter(retry.JitterNone),
		retry.WithMinAttemptTime(60*time.Millisecond), retry.WithoutBudget()))
	err := runN(t, fake, 2, 100*time.Millisecond, p, ctx, func(context.Context) error { return errUnavailable })
	var ex *retry.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, 1, ex.Attempts, "100ms + 60ms does not fit in 150ms")
}

func TestNotRetried(t *testing.T) {
	errSentinel := errors.New("breaker open")
	tests := []struct {
		name string
		info paved.CallInfo
		err  error
	}{
		{"unrepeatable", paved.CallInfo{Unrepeatable: true}, errUnavailable},
		{"rejected", paved.CallInfo{}, paved.NewRejection(errSentinel, time.Second)},
		{"permanent", paved.CallInfo{}, paved.Permanent(errUnavailable)},
		{"fault", paved.CallInfo{}, paved.Mark(errUnavailable, paved.OutcomeFault)},
		{"canceled", paved.CallInfo{}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, tel := telemetrytest.New()
			p := paved.New("t", paved.WithTelemetry(tel), retry.MustNew(retry.WithClock(clock.NewFake(epoch))))
			n := 0
			err := p.Run(paved.WithCallInfo(context.Background(), tt.info), func(context.Context) error {
				n++
				return tt.err
			})
			assert.Equal(t, 1, n)
			assert.Same(t, tt.err, err, "returned unchanged")
			assert.Zero(t, events.Count(telemetry.EventRetry))
		})
	}
}

func TestAttemptsContract(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), retry.MustNew(retry.WithClock(fake), retry.WithoutBudget()))
	var discarded atomic.Int32
	var seen []int
	var discardedAtStart []int32
	var mu sync.Mutex
	var call *paved.Call
	done := make(chan error, 1)
	go func() {
		var err error
		call, err = p.Execute(context.Background(), func(ctx context.Context) error {
			a := paved.AttemptFrom(ctx)
			mu.Lock()
			seen = append(seen, a.Number())
			discardedAtStart = append(discardedAtStart, discarded.Load())
			mu.Unlock()
			a.SetResult(a.Number()*10, func(any) { discarded.Add(1) })
			if a.Number() < 3 {
				return errUnavailable
			}
			return nil
		})
		done <- err
	}()
	for range 2 {
		fake.BlockUntil(1)
		fake.Advance(time.Minute)
	}
	require.NoError(t, <-done)
	v, ok := call.Final().Result()
	assert.True(t, ok)
	assert.Equal(t, 30, v, "the final attempt's value")
	assert.Equal(t, []int{1, 2, 3}, seen)
	assert.Equal(t, []int32{0, 0, 1}, discardedAtStart,
		"each failed attempt stays the call's answer until the next one answers in its place")
	assert.Equal(t, int32(2), discarded.Load())
	ev := events.Events(telemetry.EventRetry)
	require.Len(t, ev, 2)
	assert.Equal(t, "2", ev[0].Attrs[telemetry.AttrAttempt])
	assert.Equal(t, "*errors.errorString", ev[0].Attrs[telemetry.AttrErrorType])
}

func TestExhaustedError(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), retry.MustNew(retry.WithClock(fake), retry.WithoutBudget()))
	call, err := p.Execute(context.Background(), func(ctx context.Context) error {
		paved.AttemptFrom(ctx).SetResult(paved.AttemptFrom(ctx).Number(), nil)
		if paved.AttemptFrom(ctx).Number() == 1 {
			go func() { fake.BlockUntil(1); fake.Advance(time.Minute) }()
		}
		if paved.AttemptFrom(ctx).Number() == 2 {
			go func() { fake.BlockUntil(1); fake.Advance(time.Minute) }()
		}
		return errUnavailable
	})
	var ex *retry.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.ErrorIs(t, err, errUnavailable)
	assert.Equal(t, 3, ex.Attempts)
	assert.Equal(t, retry.ReasonMaxAttempts, ex.Reason)
	assert.Equal(t, "retry: gave up after 3 attempts (max_attempts): unavailable", err.Error())
	assert.Equal(t, paved.OutcomeTransient, call.Classify(err), "classified as the last error")
	r, ok := call.Final().Result()
	require.True(t, ok)
	assert.Equal(t, 3, r, "the last attempt is final")
	assert.Equal(t, 1, events.Count(telemetry.EventRetriesExhausted))
	assert.Equal(t, 2, events.Count(telemetry.EventRetry))
}

func TestCanceledWhileWaiting(t *testing.T) {
	fake := clock.NewFake(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	p := paved.New("t", retry.MustNew(retry.WithClock(fake), retry.WithoutBudget()))
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, func(context.Context) error { return errUnavailable }) }()
	fake.BlockUntil(1)
	cancel()
	assert.Equal(t, context.Canceled, <-done)
	assert.Equal(t, 0, fake.Pending(), "no timer left behind")
}

// 1008 failing calls from 16 goroutines on a fake clock that never moves:
// the retries are the budget's 20 saved tokens and the floor's one slot, plus
// at most one in flight per goroutine when the tokens ran out, however the
// calls interleave.
func TestBudgetUnderConcurrency(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), retry.MustNew(retry.WithClock(fake),
		retry.WithBackoffFunc(func(int, time.Duration) time.Duration { return 0 })))
	const calls, workers = 1008, 16
	var attempts atomic.Int64
	var budgetStops atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range calls / workers {
				err := p.Run(context.Background(), func(context.Context) error {
					attempts.Add(1)
					return errUnavailable
				})
				var ex *retry.ExhaustedError
				if assert.ErrorAs(t, err, &ex) && ex.Reason == retry.ReasonBudget {
					budgetStops.Add(1)
				}
			}
		})
	}
	wg.Wait()
	retries := attempts.Load() - calls
	assert.GreaterOrEqual(t, retries, int64(21), "20 saved and 1 from the floor are all usable")
	assert.LessOrEqual(t, retries, int64(21+workers), "nothing earned: at most the retries in flight more")
	assert.Positive(t, budgetStops.Load())
	assert.Equal(t, int(retries), events.Count(telemetry.EventRetry))
	t.Logf("%d calls, %d retries (%.3f attempts per call), %d stopped by the budget",
		calls, retries, float64(attempts.Load())/calls, budgetStops.Load())
}

func TestOutsidePipeline(t *testing.T) {
	n := 0
	op := retry.MustNew(retry.WithBackoffFunc(func(int, time.Duration) time.Duration { return 0 })).Wrap(
		func(context.Context) error {
			n++
			if n < 2 {
				return errUnavailable
			}
			return nil
		})
	assert.NoError(t, op(context.Background()))
	assert.Equal(t, 2, n)
}

func TestSuccessPathAllocs(t *testing.T) {
	p := paved.New("t", retry.MustNew())
	empty := paved.New("t")
	ctx := context.Background()
	base := testing.AllocsPerRun(100, func() { _ = empty.Run(ctx, nop) })
	got := testing.AllocsPerRun(100, func() { _ = p.Run(ctx, nop) })
	assert.Equal(t, base, got)
}

// A retry whose wait the caller cancels spends nothing from the budget: the
// only token left still serves the next call.
func TestCanceledWaitSpendsNoBudget(t *testing.T) {
	fake := clock.NewFake(epoch)
	p := paved.New("t", retry.MustNew(retry.WithClock(fake), retry.WithBudget(0, 0), retry.WithBudgetCapacity(1),
		retry.WithBackoffFunc(func(int, time.Duration) time.Duration { return time.Second })))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, func(context.Context) error { return errUnavailable }) }()
	fake.BlockUntil(1) // waiting for the retry
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	var attempts atomic.Int32
	err := run(t, fake, time.Second, p, context.Background(), func(context.Context) error {
		if attempts.Add(1) == 1 {
			return errUnavailable
		}
		return nil
	})
	require.NoError(t, err, "the token is still there")
	assert.Equal(t, int32(2), attempts.Load())
}

// TestBudgetNeverDiscardsTheLastResult: calls that wait at once can never
// overspend the budget, so a call the budget stops still has its last
// attempt's result (an HTTP 503 comes back as a response, not an error).
func TestBudgetNeverDiscardsTheLastResult(t *testing.T) {
	p := paved.New("t", retry.MustNew(retry.WithBackoff(time.Microsecond, time.Microsecond)))
	var wg sync.WaitGroup
	var lost atomic.Int32
	for range 16 {
		wg.Go(func() {
			for range 100 {
				c, err := p.Execute(context.Background(), func(ctx context.Context) error {
					paved.AttemptFrom(ctx).SetResult("503", func(any) {})
					return errUnavailable
				})
				if err == nil {
					lost.Add(1000) // impossible: every attempt fails
					continue
				}
				a := c.Final()
				if a == nil {
					lost.Add(1)
					continue
				}
				if _, ok := a.Result(); !ok {
					lost.Add(1)
				}
				a.Release()
			}
		})
	}
	wg.Wait()
	assert.Zero(t, lost.Load(), "calls that ended without their last result")
}
