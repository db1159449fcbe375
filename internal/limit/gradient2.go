package limit

import (
	"fmt"
	"time"
)

// Gradient2Config is Gradient2's shape. The defaults (DefaultGradient2) are
// those of Netflix concurrency-limits' Gradient2Limit.
type Gradient2Config struct {
	// Smoothing is how much of each new estimate is taken: limit =
	// limit*(1-Smoothing) + estimate*Smoothing. (0, 1]; default 0.2.
	Smoothing float64
	// QueueSize is the headroom added to every estimate, so the limit can
	// grow while latency stays flat. 0..1000; default 4.
	QueueSize float64
	// Tolerance is how much slower than the long-term RTT the short-term
	// RTT may be before the limit shrinks: 1.5 lets latency grow by half.
	// 1..10; default 1.5.
	Tolerance float64
	// LongWindow is the long-term RTT's exponential average span, in
	// samples (factor 2/(LongWindow+1)), after a plain mean of the first
	// Warmup samples. 1..100000; default 600.
	LongWindow int
	// Warmup is how many first samples the long-term RTT averages plainly.
	// 1..1000; default 10.
	Warmup int
}

// DefaultGradient2 is Netflix's Gradient2Limit defaults.
var DefaultGradient2 = Gradient2Config{Smoothing: 0.2, QueueSize: 4, Tolerance: 1.5, LongWindow: 600, Warmup: 10}

// Validate reports the first out-of-range field.
func (c Gradient2Config) Validate() error {
	switch {
	case !(c.Smoothing > 0 && c.Smoothing <= 1):
		return fmt.Errorf("Gradient2 Smoothing must be in (0, 1], got %v", c.Smoothing)
	case !(c.QueueSize >= 0 && c.QueueSize <= 1000):
		return fmt.Errorf("Gradient2 QueueSize must be 0..1000, got %v", c.QueueSize)
	case !(c.Tolerance >= 1 && c.Tolerance <= 10):
		return fmt.Errorf("Gradient2 Tolerance must be 1..10, got %v", c.Tolerance)
	case c.LongWindow < 1 || c.LongWindow > 100000:
		return fmt.Errorf("Gradient2 LongWindow must be 1..100000, got %d", c.LongWindow)
	case c.Warmup < 1 || c.Warmup > 1000:
		return fmt.Errorf("Gradient2 Warmup must be 1..1000, got %d", c.Warmup)
	}
	return nil
}

// Gradient2 is Netflix concurrency-limits' Gradient2Limit. Per sample:
//
//	long     = exponential average of RTT (plain mean over the warm-up)
//	if long/RTT > 2: long *= 0.95         (recover quickly after a long overload)
//	if inflight < limit/2: keep the limit (app-limited: no evidence to grow on)
//	gradient = clamp(Tolerance * long / RTT, 0.5, 1.0)
//	estimate = limit*gradient + QueueSize
//	limit    = limit*(1-Smoothing) + estimate*Smoothing
//
// The short-term RTT is the sample's own, which under a Window is the mean of
// the window, as Netflix's WindowedLimit feeds it.
//
// One addition to the published algorithm, which ignores drops: a dropped
// sample (timed out, or refused as overloaded, which often comes back fast
// and would read as low latency) takes the smallest gradient the formula
// admits, 0.5, even while app-limited. So a dependency that answers
// "overloaded" quickly still shrinks the limit.
type Gradient2 struct {
	cfg    Gradient2Config
	factor float64
	long   float64 // ns
	count  int
	sum    float64
}

// NewGradient2 returns a Gradient2 for c, or an error naming the field out
// of range.
func NewGradient2(c Gradient2Config) (*Gradient2, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Gradient2{cfg: c, factor: 2 / float64(c.LongWindow+1)}, nil
}

// Name is "gradient2".
func (g *Gradient2) Name() string { return "gradient2" }

// LongRTT is the long-term RTT now, for tests and diagnostics.
func (g *Gradient2) LongRTT() time.Duration { return time.Duration(g.long) }

// Update implements Algorithm.
func (g *Gradient2) Update(limit float64, s Sample) float64 {
	short := float64(max(s.RTT, 1))
	if g.count < g.cfg.Warmup {
		g.count++
		g.sum += short
		g.long = g.sum / float64(g.count)
	} else {
		g.long = g.long*(1-g.factor) + short*g.factor
	}
	long := g.long
	if long/short > 2 {
		g.long *= 0.95 // from the next sample on, as Netflix's does
	}
	var gradient float64
	switch {
	case s.Dropped:
		gradient = 0.5
	case float64(s.Inflight) < limit/2:
		return limit
	default:
		gradient = clamp(g.cfg.Tolerance*long/short, 0.5, 1) // the ratio is finite and positive: RTTs are >= 1ns
	}
	estimate := limit*gradient + g.cfg.QueueSize
	return limit*(1-g.cfg.Smoothing) + estimate*g.cfg.Smoothing
}

// clamp is x bounded to [lo, hi], with plain comparisons: math.Max and
// math.Min handle NaN and signed zeros, which cost a call each on the hot path
// and cannot arise here.
func clamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}
