package limit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// VegasConfig is Vegas's shape. The defaults (DefaultVegas) are those of
// Netflix concurrency-limits' VegasLimit.
type VegasConfig struct {
	// Smoothing is how much of each new estimate is taken. (0, 1]; default 1.
	Smoothing float64
	// ProbeMultiplier sets how often the no-load RTT is measured again:
	// after about ProbeMultiplier*limit samples (jittered by U(0.5, 1)), the
	// next sample's RTT becomes the no-load RTT, so a dependency whose base
	// latency rose is not forever read as queueing. 1..1000; default 30.
	ProbeMultiplier int
	// Rand returns uniform values in [0, 1) for the probe's jitter. nil:
	// math/rand/v2's Float64. Tests give a fixed one.
	Rand func() float64
}

// DefaultVegas is Netflix's VegasLimit defaults.
var DefaultVegas = VegasConfig{Smoothing: 1, ProbeMultiplier: 30}

// Validate reports the first out-of-range field.
func (c VegasConfig) Validate() error {
	switch {
	case !(c.Smoothing > 0 && c.Smoothing <= 1):
		return fmt.Errorf("Vegas Smoothing must be in (0, 1], got %v", c.Smoothing)
	case c.ProbeMultiplier < 1 || c.ProbeMultiplier > 1000:
		return fmt.Errorf("Vegas ProbeMultiplier must be 1..1000, got %d", c.ProbeMultiplier)
	}
	return nil
}

// Vegas is Netflix concurrency-limits' VegasLimit, after TCP Vegas. It keeps
// the no-load RTT (the smallest seen since the last probe) and estimates the
// queue the limit builds:
//
//	queue = ceil(limit * (1 - rtt_noload/rtt))
//
// With L = max(1, floor(log10(limit))), alpha = 3L, beta = 6L:
//
//	dropped                 limit - L
//	inflight*2 < limit      unchanged (app-limited)
//	queue <= L              limit + beta   (no queue: grow fast)
//	queue < alpha           limit + L
//	queue > beta            limit - L
//	otherwise               unchanged
//
// then limit = limit*(1-Smoothing) + new*Smoothing. A sample that sets a new
// no-load RTT, and a probe sample, leave the limit unchanged.
//
// One change to the published algorithm: a probe waits for a sample admitted
// with at most the current limit in flight. Netflix's probes with whichever
// sample comes next, and a limit that just collapsed (which shortens the probe
// interval, ProbeMultiplier*limit) then probes with a request admitted under
// the old, high concurrency: its queued RTT becomes the no-load RTT and the
// limit grows straight back.
type Vegas struct {
	cfg         VegasConfig
	noload      time.Duration
	probeCount  int
	probeJitter float64
}

// NewVegas returns a Vegas for c, or an error naming the field out of range.
func NewVegas(c VegasConfig) (*Vegas, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	v := &Vegas{cfg: c}
	v.resetProbe()
	return v, nil
}

// Name is "vegas".
func (v *Vegas) Name() string { return "vegas" }

// NoLoadRTT is the no-load RTT now, for tests and diagnostics.
func (v *Vegas) NoLoadRTT() time.Duration { return v.noload }

func (v *Vegas) resetProbe() { v.probeJitter = 0.5 + 0.5*v.cfg.Rand() }

// log10 is Netflix's Log10RootFunction: max(1, floor(log10(limit))).
func log10(limit float64) float64 {
	if limit < 10 {
		return 1
	}
	return math.Floor(math.Log10(math.Floor(limit)))
}

// Update implements Algorithm.
func (v *Vegas) Update(limit float64, s Sample) float64 {
	rtt := max(s.RTT, 1)
	v.probeCount++
	if v.probeJitter*float64(v.cfg.ProbeMultiplier)*limit <= float64(v.probeCount) && float64(s.Inflight) <= limit {
		v.resetProbe()
		v.probeCount = 0
		v.noload = rtt
		return limit
	}
	if v.noload == 0 || rtt < v.noload {
		v.noload = rtt
		return limit
	}
	l := log10(limit)
	var next float64
	switch queue := math.Ceil(limit * (1 - float64(v.noload)/float64(rtt))); {
	case s.Dropped:
		next = limit - l
	case float64(s.Inflight)*2 < limit:
		return limit
	case queue <= l:
		next = limit + 6*l
	case queue < 3*l:
		next = limit + l
	case queue > 6*l:
		next = limit - l
	default:
		return limit
	}
	return limit*(1-v.cfg.Smoothing) + next*v.cfg.Smoothing
}
