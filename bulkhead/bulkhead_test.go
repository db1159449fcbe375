package bulkhead_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/bulkhead"
)

func TestOptionsValidated(t *testing.T) {
	for _, tt := range []struct {
		name string
		new  func() error
		want string
	}{
		{"max 0", func() error { _, err := bulkhead.New(0); return err }, "bulkhead: max must be 1..1000000, got 0"},
		{"max too big", func() error { _, err := bulkhead.New(2_000_000); return err }, "max must be 1..1000000, got 2000000"},
		{"negative wait", func() error { _, err := bulkhead.New(1, bulkhead.WithMaxWait(-1)); return err }, "bulkhead: MaxWait must be 0..1m, got -1ns"},
		{"long wait", func() error { _, err := bulkhead.New(1, bulkhead.WithMaxWait(time.Hour)); return err }, "MaxWait must be 0..1m, got 1h0m0s"},
		{"queue", func() error { _, err := bulkhead.New(1, bulkhead.WithMaxQueue(-1)); return err }, "bulkhead: MaxQueue must be 0..1000000, got -1"},
		{"adaptive option in New", func() error { _, err := bulkhead.New(1, bulkhead.WithLimits(1, 2)); return err }, "bulkhead: WithLimits applies to NewAdaptive only"},
		{"min 0", func() error { _, err := bulkhead.NewAdaptive(bulkhead.WithLimits(0, 10)); return err }, "bulkhead: MinLimit must be 1..1000000, got 0"},
		{"max < min", func() error { _, err := bulkhead.NewAdaptive(bulkhead.WithLimits(5, 4)); return err }, "bulkhead: MaxLimit must be 5..1000000 (at least MinLimit), got 4"},
		{"initial", func() error { _, err := bulkhead.NewAdaptive(bulkhead.WithInitialLimit(500)); return err }, "bulkhead: InitialLimit must be 1..200 (MinLimit..MaxLimit), got 500"},
		{"algorithm", func() error { _, err := bulkhead.NewAdaptive(bulkhead.WithAlgorithm(9)); return err }, "bulkhead: Algorithm must be Gradient2, Vegas or AIMD, got Algorithm(9)"},
		{"window", func() error { _, err := bulkhead.NewAdaptive(bulkhead.WithWindow(time.Microsecond, 10)); return err }, "bulkhead: Window must be 0 or 1ms..1m, got 1µs"},
		{"window samples", func() error { _, err := bulkhead.NewAdaptive(bulkhead.WithWindow(time.Second, 0)); return err }, "bulkhead: Window min samples must be 1..100000, got 0"},
		{"adaptive wait", func() error { _, err := bulkhead.NewAdaptive(bulkhead.WithMaxWait(-1)); return err }, "MaxWait must be 0..1m"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.new()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	assert.Panics(t, func() { bulkhead.MustNew(0) })
	assert.Panics(t, func() { bulkhead.MustNewAdaptive(bulkhead.WithLimits(0, 0)) })
	assert.NotNil(t, bulkhead.MustNew(1, nil), "a nil option is skipped")
	b, err := bulkhead.NewAdaptive(bulkhead.WithWindow(0, 0))
	require.NoError(t, err, "window 0: every call")
	assert.Equal(t, 20, b.Limit())
}

func TestFullRefuses(t *testing.T) {
	b := bulkhead.MustNew(2)
	h := newHolder()
	run := b.Wrap(h.op)
	errs := h.start(t, run, 2)
	assert.Equal(t, 2, b.Inflight())

	p := paved.New("dep", b)
	err := p.Run(context.Background(), func(context.Context) error { t.Fatal("ran past a full bulkhead"); return nil })
	require.ErrorIs(t, err, bulkhead.ErrFull)
	assert.ErrorIs(t, err, paved.ErrRejected)
	assert.Equal(t, paved.OutcomeRejected, paved.DefaultClassifier.Classify(err))
	_, hinted := paved.RetryAfter(err)
	assert.False(t, hinted, "no RetryAfter: nobody knows when a slot frees")

	close(h.release)
	for range 2 {
		require.NoError(t, <-errs)
	}
	assert.Equal(t, 0, b.Inflight())
	require.NoError(t, run(context.Background()), "slots are back")
	assert.Equal(t, 2, b.Limit())
}

func TestSlotFreedOnPanic(t *testing.T) {
	for _, b := range []*bulkhead.Bulkhead{bulkhead.MustNew(1), bulkhead.MustNewAdaptive(bulkhead.WithLimits(1, 1), bulkhead.WithInitialLimit(1))} {
		run := b.Wrap(func(context.Context) error { panic("boom") })
		assert.PanicsWithValue(t, "boom", func() { _ = run(context.Background()) })
		assert.Equal(t, 0, b.Inflight())
		require.NoError(t, b.Wrap(func(context.Context) error { return nil })(context.Background()))
	}
}

func TestSlotFreedOnError(t *testing.T) {
	b := bulkhead.MustNew(1)
	boom := errors.New("boom")
	assert.ErrorIs(t, b.Wrap(func(context.Context) error { return boom })(context.Background()), boom)
	assert.Equal(t, 0, b.Inflight())
}

func TestCanceledContextBeforeWaiting(t *testing.T) {
	b := bulkhead.MustNew(1, bulkhead.WithMaxWait(time.Second))
	h := newHolder()
	errs := h.start(t, b.Wrap(h.op), 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, b.Wrap(h.op)(ctx), context.Canceled)
	assert.Equal(t, 0, b.Waiting())
	close(h.release)
	require.NoError(t, <-errs)
}

// A call cut by its deadline (an attempt timeout inside the bulkhead, or the
// caller's) frees its slot when the Op returns.
func TestSlotFreedOnTimeout(t *testing.T) {
	clk := newFake()
	for _, b := range []*bulkhead.Bulkhead{
		bulkhead.MustNew(1, bulkhead.WithClock(clk)),
		bulkhead.MustNewAdaptive(bulkhead.WithAlgorithm(bulkhead.AIMD), bulkhead.WithLimits(1, 2), bulkhead.WithInitialLimit(2), bulkhead.WithClock(clk)),
	} {
		ctx, cancel := clk.WithTimeout(context.Background(), time.Second)
		got := make(chan error, 1)
		admitted := make(chan struct{})
		go func() {
			got <- b.Wrap(func(ctx context.Context) error { close(admitted); <-ctx.Done(); return ctx.Err() })(ctx)
		}()
		<-admitted
		assert.Equal(t, 1, b.Inflight())
		clk.Advance(time.Second)
		assert.ErrorIs(t, <-got, context.DeadlineExceeded)
		cancel()
		assert.Equal(t, 0, b.Inflight())
		assert.Equal(t, 1, b.Limit(), "fixed: its max; AIMD: the timeout was a drop, 2 -> 1")
	}
}
