package limit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/internal/limit"
)

// vegas has the probe jitter pinned at its lowest (0.5), so it probes after
// 0.5*30*limit samples.
func vegas(t *testing.T) *limit.Vegas {
	t.Helper()
	c := limit.DefaultVegas
	c.Rand = func() float64 { return 0 }
	v, err := limit.NewVegas(c)
	require.NoError(t, err)
	return v
}

// Netflix's VegasLimit, step by step: queue = ceil(limit*(1-noload/rtt)),
// L = max(1, floor(log10(limit))), alpha 3L, beta 6L.
func TestVegasTrajectory(t *testing.T) {
	v := vegas(t)
	steps := []struct {
		name  string
		limit float64
		s     limit.Sample
		want  float64
	}{
		{"first sample sets the no-load RTT", 20, limit.Sample{RTT: 10 * ms, Inflight: 20}, 20},
		{"no queue (0 <= L=1): +beta", 20, limit.Sample{RTT: 10 * ms, Inflight: 20}, 26},
		// ceil(26*(1-10/10.5)) = ceil(1.24) = 2: L < 2 < alpha=3
		{"short queue: +L", 26, limit.Sample{RTT: 10500 * time.Microsecond, Inflight: 26}, 27},
		// ceil(27*(1-10/11)) = ceil(2.45) = 3: alpha <= 3 <= beta
		{"queue in the sweet spot: hold", 27, limit.Sample{RTT: 11 * ms, Inflight: 27}, 27},
		// ceil(27*(1-10/20)) = 14 > beta=6
		{"long queue: -L", 27, limit.Sample{RTT: 20 * ms, Inflight: 27}, 26},
		{"drop: -L", 26, limit.Sample{RTT: 10 * ms, Inflight: 26, Dropped: true}, 25},
		{"app-limited (inflight*2 < limit): hold", 25, limit.Sample{RTT: 10 * ms, Inflight: 12}, 25},
		{"a drop shrinks even when app-limited", 25, limit.Sample{RTT: 10 * ms, Inflight: 1, Dropped: true}, 24},
		{"a faster RTT becomes the no-load RTT and holds", 24, limit.Sample{RTT: 5 * ms, Inflight: 24}, 24},
		// L = floor(log10(150)) = 2, beta 12; queue ceil(150*(1-5/5)) = 0
		{"no queue at 150: +6*2", 150, limit.Sample{RTT: 5 * ms, Inflight: 150}, 162},
		// ceil(162*(1-5/5.05)) = ceil(1.6) = 2 <= L=2
		{"queue of L counts as none", 162, limit.Sample{RTT: 5050 * time.Microsecond, Inflight: 162}, 174},
		// ceil(174*(1-5/5.1)) = ceil(3.41) = 4: L < 4 < alpha=6
		{"short queue at 174: +2", 174, limit.Sample{RTT: 5100 * time.Microsecond, Inflight: 174}, 176},
	}
	for _, s := range steps {
		assert.Equal(t, s.want, v.Update(s.limit, s.s), s.name)
	}
	assert.Equal(t, 5*ms, v.NoLoadRTT())
}

// The no-load RTT is measured again after ProbeMultiplier*limit*U(0.5, 1)
// samples: the probe sample's RTT replaces it even when higher, so a
// dependency whose base latency rose is no longer read as queueing.
func TestVegasProbe(t *testing.T) {
	v := vegas(t)
	v.Update(20, limit.Sample{RTT: 10 * ms, Inflight: 20}) // sample 1: no-load 10ms
	// Probe after 0.5*30*20 = 300 samples; samples 2..299 at 30ms shrink
	// (queue ceil(20*(2/3)) = 14 > 6), the limit held at 20 by the caller.
	for i := 2; i < 300; i++ {
		require.Equal(t, 19.0, v.Update(20, limit.Sample{RTT: 30 * ms, Inflight: 20}), "sample %d", i)
	}
	assert.Equal(t, 20.0, v.Update(20, limit.Sample{RTT: 30 * ms, Inflight: 20}), "sample 300 probes")
	assert.Equal(t, 30*ms, v.NoLoadRTT())
	assert.Equal(t, 26.0, v.Update(20, limit.Sample{RTT: 30 * ms, Inflight: 20}), "30ms is now no queue")
}

// A probe waits for a sample admitted with at most the limit in flight: an
// RTT measured under more concurrency than the limit allows is no no-load
// RTT.
func TestVegasProbeWaitsForASampleUnderTheLimit(t *testing.T) {
	v := vegas(t)
	v.Update(2, limit.Sample{RTT: 10 * ms, Inflight: 1}) // no-load 10ms; probe due after 0.5*30*2 = 30
	for range 40 {
		v.Update(2, limit.Sample{RTT: 100 * ms, Inflight: 3, Dropped: true})
	}
	assert.Equal(t, 10*ms, v.NoLoadRTT(), "admitted with 3 in flight, over the limit of 2")
	v.Update(2, limit.Sample{RTT: 12 * ms, Inflight: 2})
	assert.Equal(t, 12*ms, v.NoLoadRTT(), "probed")
}

func TestVegasSmoothing(t *testing.T) {
	c := limit.DefaultVegas
	c.Smoothing = 0.5
	v, err := limit.NewVegas(c)
	require.NoError(t, err)
	v.Update(20, limit.Sample{RTT: 10 * ms, Inflight: 20})
	assert.Equal(t, 23.0, v.Update(20, limit.Sample{RTT: 10 * ms, Inflight: 20}), "half of +6")
}

func TestVegasValidate(t *testing.T) {
	for _, tt := range []struct {
		c    limit.VegasConfig
		want string
	}{
		{limit.VegasConfig{Smoothing: 0, ProbeMultiplier: 30}, "Vegas Smoothing must be in (0, 1], got 0"},
		{limit.VegasConfig{Smoothing: 1, ProbeMultiplier: 0}, "Vegas ProbeMultiplier must be 1..1000, got 0"},
	} {
		_, err := limit.NewVegas(tt.c)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
	v, err := limit.NewVegas(limit.DefaultVegas) // nil Rand: the global source
	require.NoError(t, err)
	assert.Equal(t, "vegas", v.Name())
}
