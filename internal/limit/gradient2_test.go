package limit_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/internal/limit"
)

const ms = time.Millisecond

func gradient2(t *testing.T) *limit.Gradient2 {
	t.Helper()
	g, err := limit.NewGradient2(limit.DefaultGradient2)
	require.NoError(t, err)
	return g
}

// The trajectory of Netflix's Gradient2Limit, computed by hand from its
// formula: while RTT stays at the long-term average the gradient is 1 and
// each sample adds Smoothing*QueueSize = 0.8.
func TestGradient2FlatLatencyGrowsByQueueTimesSmoothing(t *testing.T) {
	g := gradient2(t)
	l := 20.0
	for i := range 20 {
		l = g.Update(l, limit.Sample{RTT: 10 * ms, Inflight: int(l)})
		assert.InDelta(t, 20+0.8*float64(i+1), l, 1e-9, "sample %d", i+1)
	}
	assert.Equal(t, 10*ms, g.LongRTT())
}

func TestGradient2Warmup(t *testing.T) {
	g := gradient2(t)
	// The first Warmup (10) samples are a plain mean.
	for i, rtt := range []time.Duration{10, 20, 30, 40} {
		g.Update(20, limit.Sample{RTT: rtt * ms, Inflight: 20})
		want := []time.Duration{10, 15, 20, 25}[i] * ms
		assert.Equal(t, want, g.LongRTT())
	}
}

// After the warm-up the long RTT is an exponential average with factor
// 2/(600+1); a tripled RTT takes the gradient to 1.5*long/short, and the
// limit moves by a fifth of the way to limit*gradient+4.
func TestGradient2LatencyRiseShrinks(t *testing.T) {
	g := gradient2(t)
	l := 100.0
	for range 10 {
		g.Update(l, limit.Sample{RTT: 10 * ms, Inflight: 100}) // warm up at 10ms, limit held by the caller
	}
	f := 2.0 / 601
	long := 10.0
	for i := range 5 {
		long = long*(1-f) + 30*f
		grad := math.Max(0.5, math.Min(1, 1.5*long/30))
		want := l*0.8 + (l*grad+4)*0.2
		l = g.Update(l, limit.Sample{RTT: 30 * ms, Inflight: 100})
		assert.InDelta(t, want, l, 1e-9, "sample %d", i+1)
		assert.Less(t, grad, 0.52, "gradient near its floor")
	}
	assert.Less(t, l, 100.0)
	assert.InDelta(t, long, float64(g.LongRTT())/float64(ms), 1e-6)
}

// The gradient is clamped to 0.5 however slow the sample: under sustained
// queueing the limit converges to the fixed point of L = 0.8L + 0.2(0.5L+4),
// which is 8.
func TestGradient2GradientFloorAndFixedPoint(t *testing.T) {
	g := gradient2(t)
	for range 10 {
		g.Update(50, limit.Sample{RTT: 10 * ms, Inflight: 50})
	}
	l := 50.0
	want := l*0.8 + (l*0.5+4)*0.2 // gradient 1.5*10/1000 clamps to 0.5
	l = g.Update(l, limit.Sample{RTT: time.Second, Inflight: 50})
	assert.InDelta(t, want, l, 1e-9)
	// RTT growing 10% a sample keeps the long average far behind, the
	// gradient pinned at 0.5: L-8 shrinks by 0.9 a sample.
	rtt := float64(time.Second)
	for i := range 100 {
		rtt *= 1.1
		prev := l
		l = g.Update(l, limit.Sample{RTT: time.Duration(rtt), Inflight: 1000})
		require.InDelta(t, 8+0.9*(prev-8), l, 1e-9, "sample %d", i)
	}
	assert.InDelta(t, 8, l, 0.01)
}

// Tolerance 1.5: latency up to 1.5x the long-term RTT is not queueing.
func TestGradient2Tolerance(t *testing.T) {
	g := gradient2(t)
	for range 10 {
		g.Update(40, limit.Sample{RTT: 10 * ms, Inflight: 40})
	}
	l := g.Update(40, limit.Sample{RTT: 14 * ms, Inflight: 40})
	assert.InDelta(t, 40.8, l, 1e-9, "gradient still 1 at 1.4x")
}

func TestGradient2AppLimitedHolds(t *testing.T) {
	g := gradient2(t)
	for i := range 30 {
		l := g.Update(40, limit.Sample{RTT: time.Duration(10+i) * ms, Inflight: 19})
		assert.Equal(t, 40.0, l, "inflight 19 < 40/2")
	}
	assert.InDelta(t, 40.8, g.Update(40, limit.Sample{RTT: 10 * ms, Inflight: 20}), 0.05, "inflight 20 = 40/2 grows")
}

// When latency falls back after a long overload, a long RTT more than twice
// the sample's shrinks by 5% per sample (after the sample that found it), so
// the limit recovers without waiting for the 600-sample average.
func TestGradient2LongRTTDecaysAfterOverload(t *testing.T) {
	g := gradient2(t)
	for range 10 {
		g.Update(20, limit.Sample{RTT: 100 * ms, Inflight: 20})
	}
	require.Equal(t, 100*ms, g.LongRTT())
	f := 2.0 / 601
	long := 100.0
	for range 3 {
		long = long*(1-f) + 10*f
		g.Update(20, limit.Sample{RTT: 10 * ms, Inflight: 20})
		long *= 0.95
		assert.InDelta(t, long, float64(g.LongRTT())/float64(ms), 1e-6)
	}
}

// Our addition: a drop takes the floor gradient even when it came back fast
// or while app-limited.
func TestGradient2DropShrinks(t *testing.T) {
	g := gradient2(t)
	for range 10 {
		g.Update(40, limit.Sample{RTT: 10 * ms, Inflight: 40})
	}
	want := 40*0.8 + (40*0.5+4)*0.2
	assert.InDelta(t, want, g.Update(40, limit.Sample{RTT: ms, Inflight: 1, Dropped: true}), 1e-9)
}

func TestGradient2Validate(t *testing.T) {
	d := limit.DefaultGradient2
	tests := []struct {
		mod  func(*limit.Gradient2Config)
		want string
	}{
		{func(c *limit.Gradient2Config) { c.Smoothing = 0 }, "Gradient2 Smoothing must be in (0, 1], got 0"},
		{func(c *limit.Gradient2Config) { c.Smoothing = 1.5 }, "Smoothing must be in (0, 1]"},
		{func(c *limit.Gradient2Config) { c.QueueSize = -1 }, "QueueSize must be 0..1000, got -1"},
		{func(c *limit.Gradient2Config) { c.Tolerance = 0.9 }, "Tolerance must be 1..10, got 0.9"},
		{func(c *limit.Gradient2Config) { c.LongWindow = 0 }, "LongWindow must be 1..100000, got 0"},
		{func(c *limit.Gradient2Config) { c.Warmup = 0 }, "Warmup must be 1..1000, got 0"},
		{func(c *limit.Gradient2Config) { c.Smoothing = math.NaN() }, "Smoothing must be in (0, 1], got NaN"},
	}
	for _, tt := range tests {
		c := d
		tt.mod(&c)
		_, err := limit.NewGradient2(c)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
	require.NoError(t, d.Validate())
	assert.Equal(t, "gradient2", gradient2(t).Name())
}
