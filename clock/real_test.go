package clock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/clock"
)

func TestRealNowAndSince(t *testing.T) {
	c := clock.Real()
	before := time.Now()
	now := c.Now()
	assert.False(t, now.Before(before))
	assert.GreaterOrEqual(t, c.Since(before), time.Duration(0))
}

func TestRealTimer(t *testing.T) {
	c := clock.Real()
	tm := c.NewTimer(time.Millisecond)
	<-tm.C()
	assert.False(t, tm.Stop(), "a received timer is not pending")

	tm = c.NewTimer(time.Hour)
	assert.True(t, tm.Stop())
	assert.False(t, tm.Reset(time.Millisecond))
	<-tm.C()
}

func TestRealAfterFunc(t *testing.T) {
	done := make(chan struct{})
	tm := clock.Real().AfterFunc(time.Millisecond, func() { close(done) })
	assert.Nil(t, tm.C())
	<-done

	tm = clock.Real().AfterFunc(time.Hour, func() { t.Error("stopped AfterFunc ran") })
	assert.True(t, tm.Stop())
}

func TestRealWithTimeoutIsContextWithTimeout(t *testing.T) {
	ctx, cancel := clock.Real().WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, ok := ctx.Deadline()
	require.True(t, ok)
	<-ctx.Done()
	assert.Equal(t, context.DeadlineExceeded, ctx.Err())
	assert.Equal(t, context.DeadlineExceeded, context.Cause(ctx))

	// The same concrete type as the context package's, so nothing downstream
	// can tell them apart.
	std, stdCancel := context.WithTimeout(context.Background(), time.Hour)
	defer stdCancel()
	own, ownCancel := clock.Real().WithDeadline(context.Background(), time.Now().Add(time.Hour))
	defer ownCancel()
	assert.IsType(t, std, own)
}

func TestRealAllocations(t *testing.T) {
	c := clock.Real()
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = c.Now() }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = clock.Real() }))

	std := testing.AllocsPerRun(100, func() { time.NewTimer(time.Hour).Stop() })
	own := testing.AllocsPerRun(100, func() { c.NewTimer(time.Hour).Stop() })
	assert.Equal(t, std, own, "Real().NewTimer must cost what time.NewTimer costs")
}

func BenchmarkRealNewTimer(b *testing.B) {
	b.ReportAllocs()
	c := clock.Real()
	for b.Loop() {
		c.NewTimer(time.Hour).Stop()
	}
}
