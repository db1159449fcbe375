package breaker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/telemetry"
)

// Every call refused in one open period gets the same refusal, whose hint
// counts down with the period; the next period has a refusal of its own.
func TestRefusalOfAnOpenPeriod(t *testing.T) {
	h := newHarness(t, breaker.WithConsecutiveFailures(1), breaker.WithJitter(0))
	h.run(fail, 1)
	first := h.p.Run(context.Background(), okOp)
	h.clk.Advance(time.Second)
	second := h.p.Run(context.Background(), okOp)
	require.Same(t, first, second, "one refusal per open period")

	assert.ErrorIs(t, first, breaker.ErrOpen)
	assert.ErrorIs(t, first, paved.ErrRejected)
	assert.NotErrorIs(t, first, breaker.ErrTooManyRequests)
	assert.Equal(t, paved.OutcomeRejected, paved.DefaultClassifier.Classify(first))
	assert.Equal(t, "breaker_open", telemetry.ErrorType(first))
	assert.Equal(t, breaker.ErrOpen.Error(), first.Error())
	assert.False(t, paved.IsOverloadRefusal(first))
	d, ok := paved.RetryAfter(first)
	require.True(t, ok)
	assert.Equal(t, 4*time.Second, d, "the time left of the period when asked")

	h.clk.Advance(4 * time.Second) // the period ends: half-open, the probe fails
	require.ErrorIs(t, h.p.Run(context.Background(), fail), errBoom)
	_, ok = paved.RetryAfter(first)
	assert.False(t, ok, "an ended period's refusal has no hint left")

	third := h.p.Run(context.Background(), okOp)
	require.ErrorIs(t, third, breaker.ErrOpen)
	assert.NotSame(t, first, third, "a new period, a new refusal")
	d, _ = paved.RetryAfter(third)
	assert.Equal(t, 5*time.Second, d)
}

// A call refused by an open breaker, outermost in a pipeline that records
// nothing, allocates nothing: it is refused before the call is built
// (paved.EarlyRefuser). Anywhere else it allocates only the pipeline's call.
func TestRefusalAllocations(t *testing.T) {
	h := newHarness(t, breaker.WithConsecutiveFailures(1))
	h.run(fail, 1)
	inner := paved.New("test", paved.MiddlewareFunc(func(next paved.Op) paved.Op { return next }), h.b)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want float64
	}{
		{"Run, outermost", func() error { return h.p.Run(ctx, okOp) }, 0},
		{"Run, not outermost", func() error { return inner.Run(ctx, okOp) }, 1},
		{"Execute builds the call it returns", func() error { _, err := h.p.Execute(ctx, okOp); return err }, 1},
	}
	for _, mode := range []string{"open", "forced open"} {
		if mode == "forced open" {
			h.b.ForceOpen()
		}
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				require.ErrorIs(t, tt.call(), breaker.ErrOpen)
				assert.Equal(t, tt.want, testing.AllocsPerRun(100, func() { _ = tt.call() }))
				_, ok := paved.RetryAfter(tt.call())
				assert.Equal(t, mode == "open", ok, "nobody knows when an operator closes it")
			})
		}
	}
}
