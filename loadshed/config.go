package loadshed

import (
	"fmt"
	"time"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/limit"
)

// Shedder defaults. The CoDel numbers are Facebook's ("Fail at Scale",
// ACM Queue 2015); the limits and windows are Netflix concurrency-limits'.
const (
	DefaultInitialLimit   = 20
	DefaultMinLimit       = 1
	DefaultMaxLimit       = 1000
	DefaultMaxQueue       = 100
	DefaultTarget         = 5 * time.Millisecond
	DefaultInterval       = 100 * time.Millisecond
	DefaultRetryAfter     = time.Second
	DefaultFairWindow     = 10 * time.Second
	DefaultMaxKeys        = 10000
	DefaultFairTolerance  = 0.1
	defaultLimitWindowMin = 100 * time.Millisecond
)

// Algorithm names the adaptive limit algorithm of a Shedder.
type Algorithm int8

const (
	// Gradient2 (the default) moves the limit by the ratio of the long-term
	// to the short-term latency of the requests it admits: it shrinks the
	// limit as soon as latency grows with concurrency, before anything times
	// out.
	Gradient2 Algorithm = iota
	// Vegas estimates the queue the limit builds from the lowest latency
	// seen.
	Vegas
	// AIMD adds one while at least half the limit is in flight and cuts by
	// 10% on a drop (a request that timed out): it reacts to drops only.
	AIMD
)

// String is the algorithm's name in telemetry: "gradient2", "vegas", "aimd".
func (a Algorithm) String() string { return limit.Kind(a).String() }

// Option configures a Shedder (New).
type Option func(*config)

type config struct {
	alg        Algorithm
	initial    int
	min, max   int
	window     time.Duration
	minSamples int
	windowSet  bool

	maxQueue   int
	target     time.Duration
	interval   time.Duration
	retryAfter time.Duration

	fairWindow time.Duration
	maxKeys    int
	tolerance  float64

	clk clock.Clock
}

// WithAlgorithm chooses the adaptive limit's algorithm. Default Gradient2.
func WithAlgorithm(a Algorithm) Option { return func(c *config) { c.alg = a } }

// WithLimits bounds the concurrency limit: 1 <= min <= max <= 1000000.
// Default 1..1000. WithLimits(n, n) with WithInitialLimit(n) is a fixed
// limit of n.
func WithLimits(min, max int) Option { return func(c *config) { c.min, c.max = min, max } }

// WithInitialLimit is the limit before any latency is measured: within
// WithLimits. Default 20.
func WithInitialLimit(n int) Option { return func(c *config) { c.initial = n } }

// WithWindow makes the algorithm see one sample per window of d (the mean
// latency, the most requests in flight, whether any was dropped) once the
// window holds minSamples requests, instead of one per request; requests
// faster than 100µs are left out of windows. d = 0 updates on every request.
// d must be 0 or 1ms..1m, minSamples 1..100000. Default: 100ms and 10 for
// Gradient2 — a server sees enough requests to measure a tenth of a second,
// and a limit that moves ten times a second follows a burst — and every
// request for Vegas and AIMD.
func WithWindow(d time.Duration, minSamples int) Option {
	return func(c *config) { c.window, c.minSamples, c.windowSet = d, minSamples, true }
}

// WithMaxQueue bounds how many requests wait for a slot at once. A request
// that finds the queue full takes the place of the least important waiter
// (lowest criticality, then a caller over its fair share, then the oldest) if
// it is more important than that one, which is shed; otherwise it is shed
// itself. 0 sheds every request over the limit at once. Must be 0..100000.
// Default 100.
func WithMaxQueue(n int) Option { return func(c *config) { c.maxQueue = n } }

// WithCoDel sets the queue's CoDel target and interval (Facebook's "Fail at
// Scale"), kept per criticality: while the server has emptied a level's
// queue in good time (its last waiter served within target) at some time in
// the last interval, a request may wait up to interval; once it has not, the
// queue is congested, a request may wait only target (at least three mean
// gaps between releases), and waiters are served newest first. A queue
// emptied by shedding or by a late serve stays congested until a request is
// served in time, or until it has stayed empty for an interval (docs/loadshed.md).
// Must be 0 < target < interval <= 10s. Default 5ms and 100ms.
func WithCoDel(target, interval time.Duration) Option {
	return func(c *config) { c.target, c.interval = target, interval }
}

// WithRetryAfter is the delay a shed request is told to wait before trying
// again (paved.RetryAfter of ErrShed): the server adapters send it as
// Retry-After (whole seconds, rounded up) or grpc-retry-pushback-ms, and a
// paved client classifies the answer as Overload, which its retry waits for
// and its Throttle counts. Must be 0..1h; 0 sends no hint. Default 1s.
func WithRetryAfter(d time.Duration) Option { return func(c *config) { c.retryAfter = d } }

// WithFairShare tunes the per-caller fair share (paved.CallInfo.Key; see the
// Shedder's doc): usage is the time each key's requests held a slot, decayed
// over window; a key is over its share when its usage exceeds
// (1+tolerance) times the mean over the keys seen recently. At most maxKeys
// keys are tracked; further keys are treated as within their share until
// idle ones are dropped. window must be 100ms..1h, maxKeys 1..10000000,
// tolerance 0..10. Default 10s, 10000 and 0.1.
func WithFairShare(window time.Duration, maxKeys int, tolerance float64) Option {
	return func(c *config) { c.fairWindow, c.maxKeys, c.tolerance = window, maxKeys, tolerance }
}

// WithClock sets the clock that times latency, queue waits and usage. For
// tests; default clock.Real().
func WithClock(clk clock.Clock) Option { return func(c *config) { c.clk = clk } }

func newConfig(opts []Option) (config, error) {
	c := config{
		initial: DefaultInitialLimit, min: DefaultMinLimit, max: DefaultMaxLimit,
		maxQueue: DefaultMaxQueue, target: DefaultTarget, interval: DefaultInterval,
		retryAfter: DefaultRetryAfter,
		fairWindow: DefaultFairWindow, maxKeys: DefaultMaxKeys, tolerance: DefaultFairTolerance,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	switch {
	case c.maxQueue < 0 || c.maxQueue > 100_000:
		return c, fmt.Errorf("loadshed: MaxQueue must be 0..100000, got %d", c.maxQueue)
	case c.target <= 0 || c.target >= c.interval || c.interval > 10*time.Second:
		return c, fmt.Errorf("loadshed: CoDel target and interval must be 0 < target < interval <= 10s, got %v and %v", c.target, c.interval)
	case c.retryAfter < 0 || c.retryAfter > time.Hour:
		return c, fmt.Errorf("loadshed: RetryAfter must be 0..1h, got %v", c.retryAfter)
	case c.fairWindow < 100*time.Millisecond || c.fairWindow > time.Hour:
		return c, fmt.Errorf("loadshed: FairShare window must be 100ms..1h, got %v", c.fairWindow)
	case c.maxKeys < 1 || c.maxKeys > 10_000_000:
		return c, fmt.Errorf("loadshed: FairShare maxKeys must be 1..10000000, got %d", c.maxKeys)
	case !(c.tolerance >= 0 && c.tolerance <= 10):
		return c, fmt.Errorf("loadshed: FairShare tolerance must be 0..10, got %v", c.tolerance)
	}
	return c, nil
}

// serverGradient2 is Netflix's Gradient2 with a tighter tolerance.
var serverGradient2 = func() limit.Gradient2Config {
	c := limit.DefaultGradient2
	c.Tolerance = 1.0
	return c
}()

// limiter builds the adaptive limit of the options.
func (c *config) limiter() (*limit.Limiter, error) {
	if c.alg < Gradient2 || c.alg > AIMD {
		return nil, fmt.Errorf("loadshed: Algorithm must be Gradient2, Vegas or AIMD, got %v", c.alg)
	}
	lc := limit.Config{Initial: c.initial, Min: c.min, Max: c.max}
	if err := lc.Validate("loadshed: "); err != nil {
		return nil, err
	}
	switch {
	case !c.windowSet && c.alg == Gradient2:
		lc.Window = limit.Window{Min: defaultLimitWindowMin, Max: defaultLimitWindowMin, MinSamples: 10, MinRTT: limit.DefaultWindow.MinRTT}
	case c.windowSet && c.window != 0:
		if c.window < time.Millisecond || c.window > time.Minute {
			return nil, fmt.Errorf("loadshed: Window must be 0 or 1ms..1m, got %v", c.window)
		}
		if c.minSamples < 1 || c.minSamples > 100000 {
			return nil, fmt.Errorf("loadshed: Window min samples must be 1..100000, got %d", c.minSamples)
		}
		lc.Window = limit.Window{Min: c.window, Max: c.window, MinSamples: c.minSamples, MinRTT: limit.DefaultWindow.MinRTT}
	}
	alg, err := limit.NewAlgorithm(limit.Kind(c.alg), serverGradient2)
	if err != nil {
		return nil, err
	}
	l, err := limit.New(alg, lc, c.clk)
	if err != nil {
		return nil, fmt.Errorf("loadshed: %w", err)
	}
	return l, nil
}
