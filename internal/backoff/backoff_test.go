package backoff_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved/internal/backoff"
)

func TestExponential(t *testing.T) {
	base, max := 100*time.Millisecond, 10*time.Second
	want := []time.Duration{100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000}
	for i, w := range want {
		assert.Equal(t, w*time.Millisecond, backoff.Exponential(base, max, i+1), "n=%d", i+1)
	}
	assert.Equal(t, max, backoff.Exponential(base, max, 1000), "no overflow")
	assert.Equal(t, time.Duration(1<<62), backoff.Exponential(time.Second, 1<<62, 200))
}

func TestDelayBounds(t *testing.T) {
	base, max := 100*time.Millisecond, 10*time.Second
	r := backoff.NewLocked(rand.NewPCG(1, 2))
	for _, j := range []backoff.Jitter{backoff.Full, backoff.Equal, backoff.Decorrelated, backoff.None} {
		t.Run(j.String(), func(t *testing.T) {
			var prev time.Duration
			for run := 0; run < 200; run++ {
				prev = 0
				for n := 1; n <= 12; n++ {
					d := backoff.Delay(j, base, max, n, prev, r)
					exp := backoff.Exponential(base, max, n)
					switch j {
					case backoff.Full:
						assert.True(t, d >= 0 && d <= exp, "full n=%d d=%v", n, d)
					case backoff.Equal:
						assert.True(t, d >= exp/2 && d <= exp, "equal n=%d d=%v", n, d)
					case backoff.Decorrelated:
						lo := prev
						if lo < base {
							lo = base
						}
						hi := min(max, 3*lo)
						assert.True(t, d >= base && d <= hi, "decorrelated n=%d d=%v prev=%v", n, d, prev)
					case backoff.None:
						assert.Equal(t, exp, d)
					}
					prev = d
				}
			}
		})
	}
}

func TestDelaySeeded(t *testing.T) {
	seq := func() []time.Duration {
		r := backoff.NewLocked(rand.NewPCG(7, 7))
		var out []time.Duration
		for n := 1; n <= 5; n++ {
			out = append(out, backoff.Delay(backoff.Full, time.Millisecond, time.Second, n, 0, r))
		}
		return out
	}
	assert.Equal(t, seq(), seq(), "a seeded source repeats")
}

func TestFullJitterSpreads(t *testing.T) {
	// Full jitter's mean is d/2: check the sample mean within 10%.
	r := backoff.NewLocked(rand.NewPCG(3, 4))
	var sum time.Duration
	const n = 4000
	for range n {
		sum += backoff.Delay(backoff.Full, time.Second, time.Minute, 1, 0, r)
	}
	mean := sum / n
	assert.InDelta(t, float64(500*time.Millisecond), float64(mean), float64(50*time.Millisecond))
}
