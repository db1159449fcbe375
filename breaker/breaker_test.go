package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	errBoom = errors.New("boom")
	okOp    = func(context.Context) error { return nil }
	fail    = func(context.Context) error { return errBoom }
)

func newFake() *clock.Fake { return clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) }

// harness runs ops through a pipeline holding only the breaker.
type harness struct {
	b   *breaker.Breaker
	p   *paved.Pipeline
	clk *clock.Fake
}

func newHarness(t *testing.T, opts ...breaker.Option) *harness {
	t.Helper()
	clk := newFake()
	b, err := breaker.New("dep", append([]breaker.Option{breaker.WithClock(clk), breaker.WithRandSeed(1)}, opts...)...)
	require.NoError(t, err)
	return &harness{b: b, p: paved.New("test", b), clk: clk}
}

func (h *harness) run(op paved.Op, n int) (errs []error) {
	for range n {
		errs = append(errs, h.p.Run(context.Background(), op))
	}
	return errs
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		opt  breaker.Option
		want string
	}{
		{breaker.WithFailureRatio(0), "breaker: FailureRatio must be in (0, 1], got 0"},
		{breaker.WithFailureRatio(1.5), "FailureRatio"},
		{breaker.WithMinCalls(0), "breaker: MinCalls must be 1..1000000, got 0"},
		{breaker.WithWindow(time.Millisecond), "breaker: Window must be 10ms..1h, got 1ms"},
		{breaker.WithConsecutiveFailures(-1), "ConsecutiveFailures"},
		{breaker.WithOpenDuration(0), "OpenDuration"},
		{breaker.WithJitter(0.6), "breaker: Jitter must be 0..0.5, got 0.6"},
		{breaker.WithHalfOpenProbes(0), "HalfOpenProbes"},
		{breaker.WithSlowCallThreshold(-1), "SlowCallThreshold"},
		{breaker.WithMaxKeys(0), "MaxKeys"},
		{breaker.WithIdleTimeout(0), "IdleTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := breaker.New("x", tt.opt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Panics(t, func() { breaker.MustNew("x", tt.opt) })
		})
	}
	b, err := breaker.New("x")
	require.NoError(t, err)
	assert.Equal(t, breaker.StateClosed, b.State())
	assert.Equal(t, "x", b.Name())
}

func TestTripOnRatio(t *testing.T) {
	tests := []struct {
		name     string
		ok, fail int
		want     breaker.State
	}{
		{"min calls not reached", 0, 19, breaker.StateClosed},
		{"all failed at min calls", 0, 20, breaker.StateOpen},
		{"ratio reached", 10, 10, breaker.StateOpen},
		{"ratio below", 11, 9, breaker.StateClosed},
		{"ratio below, many calls", 60, 39, breaker.StateClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.run(okOp, tt.ok)
			h.run(fail, tt.fail)
			assert.Equal(t, tt.want, h.b.State())
		})
	}
}

func TestTripOnConsecutiveFailures(t *testing.T) {
	h := newHarness(t, breaker.WithConsecutiveFailures(3), breaker.WithMinCalls(1000))
	h.run(fail, 2)
	h.run(okOp, 1)
	h.run(fail, 2)
	assert.Equal(t, breaker.StateClosed, h.b.State(), "a success resets the run")
	h.run(fail, 1)
	assert.Equal(t, breaker.StateOpen, h.b.State())
}

func TestOpenRejectsWithRemainingTime(t *testing.T) {
	h := newHarness(t, breaker.WithConsecutiveFailures(1), breaker.WithJitter(0))
	h.run(fail, 1)
	require.Equal(t, breaker.StateOpen, h.b.State())

	var called bool
	err := h.p.Run(context.Background(), func(context.Context) error { called = true; return nil })
	assert.False(t, called)
	assert.ErrorIs(t, err, breaker.ErrOpen)
	assert.ErrorIs(t, err, paved.ErrRejected)
	d, ok := paved.RetryAfter(err)
	assert.True(t, ok)
	assert.Equal(t, 5*time.Second, d)

	h.clk.Advance(2 * time.Second)
	d, _ = paved.RetryAfter(h.p.Run(context.Background(), okOp))
	assert.Equal(t, 3*time.Second, d)

	h.clk.Advance(3 * time.Second)
	assert.Equal(t, breaker.StateHalfOpen, h.b.State())
	require.NoError(t, h.p.Run(context.Background(), okOp))
}

func TestOpenDurationJitter(t *testing.T) {
	seen := map[time.Duration]bool{}
	for seed := range uint64(20) {
		clk := newFake()
		b := breaker.MustNew("j", breaker.WithClock(clk), breaker.WithRandSeed(seed), breaker.WithConsecutiveFailures(1))
		p := paved.New("t", b)
		_ = p.Run(context.Background(), fail)
		d, ok := paved.RetryAfter(p.Run(context.Background(), fail))
		require.True(t, ok)
		assert.GreaterOrEqual(t, d, 4*time.Second)
		assert.LessOrEqual(t, d, 6*time.Second)
		seen[d] = true
	}
	assert.Greater(t, len(seen), 10, "open durations are spread")
}

func TestHalfOpen(t *testing.T) {
	h := newHarness(t, breaker.WithConsecutiveFailures(1), breaker.WithHalfOpenProbes(3), breaker.WithJitter(0))
	h.run(fail, 1)
	h.clk.Advance(5 * time.Second)

	t.Run("closes after N successes", func(t *testing.T) {
		for range 2 {
			require.NoError(t, h.p.Run(context.Background(), okOp))
			assert.Equal(t, breaker.StateHalfOpen, h.b.State())
		}
		require.NoError(t, h.p.Run(context.Background(), okOp))
		assert.Equal(t, breaker.StateClosed, h.b.State())
	})
	t.Run("a failed probe opens again", func(t *testing.T) {
		h.run(fail, 1)
		h.clk.Advance(5 * time.Second)
		require.NoError(t, h.p.Run(context.Background(), okOp))
		require.ErrorIs(t, h.p.Run(context.Background(), fail), errBoom)
		assert.Equal(t, breaker.StateOpen, h.b.State())
	})
}

func TestHalfOpenAdmitsAtMostNInFlight(t *testing.T) {
	const probes, callers = 5, 200
	h := newHarness(t, breaker.WithConsecutiveFailures(1), breaker.WithHalfOpenProbes(probes))
	h.run(fail, 1)
	h.clk.Advance(10 * time.Second)

	var inFlight, maxInFlight, admitted, tooMany atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	// settled counts down as each caller is admitted (inside its op) or
	// comes back without having been admitted.
	var settled sync.WaitGroup
	settled.Add(callers)
	start := make(chan struct{})
	for range callers {
		wg.Go(func() {
			<-start
			ran := false
			err := h.p.Run(context.Background(), func(context.Context) error {
				ran = true
				admitted.Add(1)
				settled.Done()
				n := inFlight.Add(1)
				for {
					m := maxInFlight.Load()
					if n <= m || maxInFlight.CompareAndSwap(m, n) {
						break
					}
				}
				<-release
				inFlight.Add(-1)
				return nil
			})
			if !ran {
				settled.Done()
			}
			if errors.Is(err, breaker.ErrTooManyRequests) {
				tooMany.Add(1)
				d, _ := paved.RetryAfter(err)
				assert.Zero(t, d)
			}
		})
	}
	close(start)
	settled.Wait() // every caller holds a probe slot or was refused
	close(release)
	wg.Wait()
	assert.EqualValues(t, probes, admitted.Load())
	assert.LessOrEqual(t, maxInFlight.Load(), int32(probes))
	assert.EqualValues(t, callers-probes, tooMany.Load())
	assert.Equal(t, breaker.StateClosed, h.b.State())
}

func TestSlowCallsCountAsFailures(t *testing.T) {
	h := newHarness(t, breaker.WithSlowCallThreshold(100*time.Millisecond), breaker.WithConsecutiveFailures(2))
	slow := func(context.Context) error { h.clk.Advance(150 * time.Millisecond); return nil }
	fast := func(context.Context) error { h.clk.Advance(50 * time.Millisecond); return nil }
	slowPermanent := func(context.Context) error {
		h.clk.Advance(150 * time.Millisecond)
		return paved.Permanent(errBoom)
	}
	h.run(fast, 3)
	assert.EqualValues(t, 3, h.b.Counts().TotalSuccesses)
	h.run(slow, 1)
	assert.EqualValues(t, 1, h.b.Counts().TotalFailures)
	assert.Equal(t, breaker.StateClosed, h.b.State())
	h.run(slowPermanent, 1)
	assert.Equal(t, breaker.StateOpen, h.b.State())
}

func TestOutcomeTable(t *testing.T) {
	overload := paved.Mark(errBoom, paved.OutcomeOverload)
	tests := []struct {
		name                string
		err                 error
		opts                []breaker.Option
		success, fail, excl uint32
	}{
		{"success", nil, nil, 1, 0, 0},
		{"permanent", paved.Permanent(errBoom), nil, 1, 0, 0},
		{"transient", paved.Transient(errBoom), nil, 0, 1, 0},
		{"unknown is transient", errBoom, nil, 0, 1, 0},
		{"overload is excluded by default", overload, nil, 0, 0, 1},
		{"overload counted when asked", overload, []breaker.Option{breaker.WithCountOverload(true)}, 0, 1, 0},
		{"overload excluded when asked", overload, []breaker.Option{breaker.WithCountOverload(false)}, 0, 0, 1},
		{"fault", paved.Mark(errBoom, paved.OutcomeFault), nil, 0, 1, 0},
		{"canceled", context.Canceled, nil, 0, 0, 1},
		{"rejected", paved.NewRejection(errBoom, 0), nil, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var outcomes []bool
			h := newHarness(t, append(tt.opts, breaker.WithOutcomeFunc(func(failed bool) { outcomes = append(outcomes, failed) }))...)
			err := h.p.Run(context.Background(), func(context.Context) error { return tt.err })
			assert.Equal(t, tt.err, err, "the error passes through unchanged")
			c := h.b.Counts()
			assert.Equal(t, tt.success, c.TotalSuccesses)
			assert.Equal(t, tt.fail, c.TotalFailures)
			assert.Equal(t, tt.excl, c.TotalExclusions)
			assert.Len(t, outcomes, int(tt.success+tt.fail))
		})
	}
}

// Every WithOutcomeFunc runs, in order: a second one (redisbreaker's) does not
// drop the first (the caller's).
func TestOutcomeFuncsAdd(t *testing.T) {
	var got []string
	h := newHarness(t,
		breaker.WithOutcomeFunc(func(failed bool) { got = append(got, fmt.Sprint("first ", failed)) }),
		breaker.WithOutcomeFunc(nil),
		breaker.WithOutcomeFunc(func(failed bool) { got = append(got, fmt.Sprint("second ", failed)) }))
	h.run(okOp, 1)
	h.run(fail, 1)
	assert.Equal(t, []string{"first false", "second false", "first true", "second true"}, got)
}

// A dependency that answers every first attempt with "come back later"
// (Overload) and the retry with success never opens the breaker, even when
// the overload answers are most of its results; and a half-open breaker's
// probes that meet overload neither open nor close it.
func TestOverloadNeverOpensByDefault(t *testing.T) {
	h := newHarness(t)
	overload := func(context.Context) error { return paved.Mark(errBoom, paved.OutcomeOverload) }
	for range 100 {
		h.run(overload, 1)
		h.run(okOp, 1)
	}
	assert.Equal(t, breaker.StateClosed, h.b.State())

	counting := newHarness(t, breaker.WithCountOverload(true))
	for range 100 {
		counting.run(overload, 1)
		counting.run(okOp, 1)
	}
	assert.Equal(t, breaker.StateOpen, counting.b.State(), "counted, half the results are failures")

	probing := newHarness(t, breaker.WithConsecutiveFailures(1))
	probing.run(fail, 1)
	require.Equal(t, breaker.StateOpen, probing.b.State())
	probing.clk.Advance(time.Hour)
	probing.run(overload, 20)
	assert.Equal(t, breaker.StateHalfOpen, probing.b.State(), "overload answers to probes decide nothing")
	probing.run(okOp, breaker.DefaultHalfOpenProbes)
	assert.Equal(t, breaker.StateClosed, probing.b.State())
}

func TestClassifierOfThePipeline(t *testing.T) {
	clk := newFake()
	b := breaker.MustNew("c", breaker.WithClock(clk), breaker.WithConsecutiveFailures(1))
	// This pipeline's classifier calls everything Permanent.
	p := paved.New("t", b, paved.WithClassifier(paved.ClassifierFunc(func(error) paved.Outcome { return paved.OutcomePermanent })))
	for range 5 {
		_ = p.Run(context.Background(), fail)
	}
	assert.Equal(t, breaker.StateClosed, b.State())
	assert.EqualValues(t, 5, b.Counts().TotalSuccesses)
}

func TestForcedStates(t *testing.T) {
	h := newHarness(t, breaker.WithConsecutiveFailures(1))

	h.b.ForceOpen()
	assert.Equal(t, breaker.StateOpen, h.b.State())
	err := h.p.Run(context.Background(), okOp)
	assert.ErrorIs(t, err, breaker.ErrOpen)
	d, _ := paved.RetryAfter(err)
	assert.Zero(t, d, "no one knows when an operator closes it")

	h.b.ForceClosed()
	assert.Equal(t, breaker.StateClosed, h.b.State())
	for range 10 {
		assert.ErrorIs(t, h.p.Run(context.Background(), fail), errBoom)
	}
	assert.Equal(t, breaker.StateClosed, h.b.State(), "forced closed counts nothing")

	h.b.Auto()
	h.run(fail, 1)
	assert.Equal(t, breaker.StateOpen, h.b.State())
	h.b.Auto()
	assert.Equal(t, breaker.StateClosed, h.b.State(), "Auto starts afresh")
	assert.NoError(t, h.p.Run(context.Background(), okOp))
}

func TestTripFor(t *testing.T) {
	h := newHarness(t, breaker.WithJitter(0.2), breaker.WithHalfOpenProbes(1))
	h.b.TripFor(10 * time.Second)
	assert.Equal(t, breaker.StateOpen, h.b.State())
	d, _ := paved.RetryAfter(h.p.Run(context.Background(), okOp))
	assert.GreaterOrEqual(t, d, 10*time.Second, "never shorter than the fleet's open time")
	assert.LessOrEqual(t, d, 12*time.Second)
	h.clk.Advance(12 * time.Second)
	require.NoError(t, h.p.Run(context.Background(), okOp))
	assert.Equal(t, breaker.StateClosed, h.b.State())
}

func TestPanicCountsAsFailure(t *testing.T) {
	h := newHarness(t, breaker.WithConsecutiveFailures(1))
	assert.Panics(t, func() {
		_ = h.p.Run(context.Background(), func(context.Context) error { panic("x") })
	})
	assert.Equal(t, breaker.StateOpen, h.b.State())
}

func TestWithoutPipeline(t *testing.T) {
	clk := newFake()
	b := breaker.MustNew("raw", breaker.WithClock(clk), breaker.WithConsecutiveFailures(2))
	op := b.Wrap(fail)
	for i := range 2 {
		assert.ErrorIs(t, op(context.Background()), errBoom, fmt.Sprint(i))
	}
	assert.ErrorIs(t, op(context.Background()), breaker.ErrOpen)
}

func TestHalfOpenExcludedProbeFreesItsSlot(t *testing.T) {
	h := newHarness(t, breaker.WithConsecutiveFailures(1), breaker.WithHalfOpenProbes(1), breaker.WithJitter(0))
	h.run(fail, 1)
	h.clk.Advance(5 * time.Second)
	canceled := func(context.Context) error { return context.Canceled }
	require.ErrorIs(t, h.p.Run(context.Background(), canceled), context.Canceled)
	assert.Equal(t, breaker.StateHalfOpen, h.b.State(), "a canceled probe decides nothing")
	require.NoError(t, h.p.Run(context.Background(), okOp), "its slot is free again")
	assert.Equal(t, breaker.StateClosed, h.b.State())
}
