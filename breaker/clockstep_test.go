package breaker_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/clock"
)

// steppingClock models the real clock's two readings: elapsed time comes
// from a fake monotonic clock, and the wall clock can be stepped (NTP, a
// resumed VM) without moving it. Since measures monotonic time for every
// time.Time that Now handed out, as time.Now's monotonic reading does.
type steppingClock struct {
	*clock.Fake // monotonic time

	mu     sync.Mutex
	step   time.Duration
	issued map[time.Time]time.Time // wall reading -> monotonic reading
}

func newSteppingClock() *steppingClock {
	return &steppingClock{Fake: newFake(), issued: map[time.Time]time.Time{}}
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	mono := c.Fake.Now()
	wall := mono.Add(c.step)
	c.issued[wall] = mono
	return wall
}

func (c *steppingClock) Since(t time.Time) time.Duration {
	c.mu.Lock()
	mono, ok := c.issued[t]
	c.mu.Unlock()
	if !ok { // a time Now did not hand out has no monotonic reading
		return c.Now().Sub(t)
	}
	return c.Fake.Now().Sub(mono)
}

// Step moves the wall clock only.
func (c *steppingClock) Step(d time.Duration) {
	c.mu.Lock()
	c.step += d
	c.mu.Unlock()
}

// An open period lasts OpenDuration of elapsed time, whatever the wall clock
// does meanwhile.
func TestOpenPeriodIgnoresWallClockSteps(t *testing.T) {
	for _, step := range []time.Duration{-10 * time.Minute, 10 * time.Minute} {
		t.Run(step.String(), func(t *testing.T) {
			clk := newSteppingClock()
			b := breaker.MustNew("dep", breaker.WithClock(clk), breaker.WithConsecutiveFailures(1), breaker.WithJitter(0))
			p := paved.New("t", b)
			require.ErrorIs(t, p.Run(context.Background(), fail), errBoom)
			clk.Step(step)

			clk.Advance(4 * time.Second)
			err := p.Run(context.Background(), okOp)
			require.ErrorIs(t, err, breaker.ErrOpen, "still open after 4s of 5s")
			d, _ := paved.RetryAfter(err)
			assert.Equal(t, time.Second, d)

			clk.Advance(time.Second)
			assert.Equal(t, breaker.StateHalfOpen, b.State())
			assert.NoError(t, p.Run(context.Background(), okOp))
		})
	}
}

// A key is idle after IdleTimeout of elapsed time, not when the wall clock
// jumps: a forward step must not drop open breakers.
func TestPerKeyIdleIgnoresWallClockSteps(t *testing.T) {
	clk := newSteppingClock()
	k := breaker.MustPerKey(keyOf, breaker.WithClock(clk), breaker.WithIdleTimeout(time.Minute),
		breaker.WithConsecutiveFailures(1), breaker.WithOpenDuration(time.Hour))
	p := paved.New("t", k)
	require.ErrorIs(t, p.Run(withKey("a"), fail), errBoom)
	clk.Step(2 * time.Minute)
	assert.ErrorIs(t, p.Run(withKey("a"), okOp), breaker.ErrOpen, "a's open breaker was kept")
	clk.Advance(2 * time.Minute)
	assert.NoError(t, p.Run(withKey("a"), okOp), "idle for two minutes of elapsed time: a fresh breaker")
}
