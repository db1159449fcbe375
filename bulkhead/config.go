package bulkhead

import (
	"fmt"
	"time"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/limit"
)

// Defaults of NewAdaptive.
const (
	DefaultInitialLimit = 20
	DefaultMinLimit     = 1
	DefaultMaxLimit     = 200
)

// Algorithm names an adaptive limit algorithm for NewAdaptive.
type Algorithm int8

const (
	// Gradient2 (the default) moves the limit by the ratio of the long-term
	// to the short-term latency, measured over 1s windows: it reacts to the
	// dependency slowing down, before anything times out.
	Gradient2 Algorithm = iota
	// Vegas estimates the queue the limit builds from the lowest latency
	// seen, per call.
	Vegas
	// AIMD adds one while at least half the limit is in flight and cuts by
	// 10% on a drop (a timeout, an overload answer), per call: it reacts only
	// to drops, not to latency.
	AIMD
)

// String is the algorithm's name in telemetry: "gradient2", "vegas", "aimd".
func (a Algorithm) String() string { return limit.Kind(a).String() }

// Option configures a Bulkhead.
type Option func(*config)

type config struct {
	name     string
	maxWait  time.Duration
	queue    int
	queueSet bool
	clk      clock.Clock

	// NewAdaptive only.
	adaptiveOpt string // the first adaptive-only option given, to refuse it in New
	alg         Algorithm
	initial     int
	min, max    int
	window      time.Duration
	minSamples  int
	windowSet   bool
}

// WithName names the bulkhead in telemetry (the resilience.bulkhead
// attribute of its events). Default "".
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithMaxWait lets a call wait up to d for a slot when all are taken,
// never past its context's deadline: when the deadline comes first, the call
// ends with the context's error at the deadline. Must be 0..1m; 0 (the
// default) refuses at once.
func WithMaxWait(d time.Duration) Option { return func(c *config) { c.maxWait = d } }

// WithMaxQueue bounds how many calls may wait at once (with WithMaxWait);
// further calls are refused at once. Must be 0..1000000. Default: the
// bulkhead's maximum concurrency (max for New, the max limit for
// NewAdaptive).
func WithMaxQueue(n int) Option { return func(c *config) { c.queue, c.queueSet = n, true } }

// WithClock sets the clock that times waits and, for NewAdaptive,
// latency. For tests; default clock.Real().
func WithClock(clk clock.Clock) Option { return func(c *config) { c.clk = clk } }

// WithAlgorithm chooses NewAdaptive's algorithm. Default Gradient2.
func WithAlgorithm(a Algorithm) Option {
	return func(c *config) { c.alg = a; c.adaptive("WithAlgorithm") }
}

// WithLimits bounds NewAdaptive's limit: 1 <= min <= max <= 1000000.
// Default 1..200.
func WithLimits(min, max int) Option {
	return func(c *config) { c.min, c.max = min, max; c.adaptive("WithLimits") }
}

// WithInitialLimit is NewAdaptive's limit before any latency is measured:
// within WithLimits. Default 20.
func WithInitialLimit(n int) Option {
	return func(c *config) { c.initial = n; c.adaptive("WithInitialLimit") }
}

// WithWindow makes NewAdaptive's algorithm see one sample per window of d
// (the mean latency, the most calls in flight, whether any was dropped)
// instead of one per call, once the window holds minSamples calls; calls
// faster than 100µs are left out of windows, as Netflix's WindowedLimit
// does. d = 0 updates on every call. d must be 0 or 1ms..1m, minSamples
// 1..100000. Default: 1s and 10 for Gradient2, every call for Vegas and
// AIMD (Netflix concurrency-limits' defaults).
func WithWindow(d time.Duration, minSamples int) Option {
	return func(c *config) {
		c.window, c.minSamples, c.windowSet = d, minSamples, true
		c.adaptive("WithWindow")
	}
}

func (c *config) adaptive(opt string) {
	if c.adaptiveOpt == "" {
		c.adaptiveOpt = opt
	}
}

func newConfig(opts []Option) config {
	c := config{initial: DefaultInitialLimit, min: DefaultMinLimit, max: DefaultMaxLimit}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	return c
}

func (c *config) validate(slots int) error {
	switch {
	case c.maxWait < 0 || c.maxWait > time.Minute:
		return fmt.Errorf("bulkhead: MaxWait must be 0..1m, got %v", c.maxWait)
	case c.queueSet && (c.queue < 0 || c.queue > 1_000_000):
		return fmt.Errorf("bulkhead: MaxQueue must be 0..1000000, got %d", c.queue)
	}
	if !c.queueSet {
		c.queue = slots
	}
	return nil
}

// limiterConfig is the internal/limit shape of NewAdaptive's options.
func (c *config) limiterConfig() (limit.Algorithm, limit.Config, error) {
	if c.alg < Gradient2 || c.alg > AIMD {
		return nil, limit.Config{}, fmt.Errorf("bulkhead: Algorithm must be Gradient2, Vegas or AIMD, got %v", c.alg)
	}
	lc := limit.Config{Initial: c.initial, Min: c.min, Max: c.max}
	if err := lc.Validate("bulkhead: "); err != nil {
		return nil, lc, err
	}
	switch {
	case !c.windowSet && c.alg == Gradient2:
		lc.Window = limit.DefaultWindow
	case c.windowSet && c.window != 0:
		if c.window < time.Millisecond || c.window > time.Minute {
			return nil, lc, fmt.Errorf("bulkhead: Window must be 0 or 1ms..1m, got %v", c.window)
		}
		if c.minSamples < 1 || c.minSamples > 100000 {
			return nil, lc, fmt.Errorf("bulkhead: Window min samples must be 1..100000, got %d", c.minSamples)
		}
		lc.Window = limit.Window{Min: c.window, Max: c.window, MinSamples: c.minSamples, MinRTT: limit.DefaultWindow.MinRTT}
	}
	alg, err := limit.NewAlgorithm(limit.Kind(c.alg), limit.DefaultGradient2)
	return alg, lc, err
}
