package breaker

import (
	"fmt"
	"time"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/telemetry"
)

// Defaults, as docs/design.md's pipeline defaults give them.
const (
	DefaultFailureRatio   = 0.5
	DefaultMinCalls       = 20
	DefaultWindow         = 10 * time.Second
	DefaultOpenDuration   = 5 * time.Second
	DefaultJitter         = 0.2
	DefaultHalfOpenProbes = 5
	DefaultMaxKeys        = 1024
	DefaultIdleTimeout    = 10 * time.Minute
)

// Option configures a Breaker (New) or a Keyed set of breakers (PerKey).
type Option func(*config)

type config struct {
	ratio       float64
	minCalls    int
	window      time.Duration
	consecutive int
	openFor     time.Duration
	jitter      float64
	probes      int
	slow        time.Duration
	tel         *telemetry.Telemetry
	telSet      bool // WithTelemetry was given
	clk         clock.Clock
	seed        uint64
	seeded      bool
	onOutcome   []func(failed bool)
	overload    bool // count Overload outcomes as failures
	maxKeys     int
	idle        time.Duration
	noGauge     bool // PerKey: per-key gauges would explode cardinality
}

// WithFailureRatio trips the breaker when at least ratio of the calls in the
// window failed (and at least MinCalls completed). Must be in (0, 1].
// Default 0.5.
func WithFailureRatio(ratio float64) Option { return func(c *config) { c.ratio = ratio } }

// WithMinCalls is how many calls must have completed in the window before the
// failure ratio means anything. Must be 1..1000000. Default 20.
func WithMinCalls(n int) Option { return func(c *config) { c.minCalls = n } }

// WithWindow is the rolling window over which the failure ratio is computed,
// kept in 10 buckets (gobreaker's BucketPeriod is window/10). Must be
// 10ms..1h. Default 10s.
func WithWindow(d time.Duration) Option { return func(c *config) { c.window = d } }

// WithConsecutiveFailures also trips the breaker after n failures in a row,
// whatever the ratio. Must be 0..1000000; 0 disables this trip mode.
// Default 0.
func WithConsecutiveFailures(n int) Option { return func(c *config) { c.consecutive = n } }

// WithOpenDuration is how long the breaker stays open before it admits probe
// calls, before jitter. Must be 1ms..1h. Default 5s.
func WithOpenDuration(d time.Duration) Option { return func(c *config) { c.openFor = d } }

// WithJitter spreads each open period uniformly over
// OpenDuration*(1±jitter), so a fleet of breakers that opened together does
// not probe in lockstep. Must be 0..0.5. Default 0.2.
func WithJitter(fraction float64) Option { return func(c *config) { c.jitter = fraction } }

// WithHalfOpenProbes is how many calls a half-open breaker admits, and how
// many must succeed in a row to close it. Must be 1..1000. Default 5.
func WithHalfOpenProbes(n int) Option { return func(c *config) { c.probes = n } }

// WithSlowCallThreshold makes a successful call that took longer than d count
// as a failure (resilience4j's slow-call rate). Must be >= 0; 0 disables it.
// Default 0.
func WithSlowCallThreshold(d time.Duration) Option { return func(c *config) { c.slow = d } }

// WithTelemetry is where state changes are reported outside a call (forced
// states, fleet-wide trips) and where the resilience.breaker.state gauge is
// recorded. Events that happen during a call go to the call's pipeline via
// paved.Emit. Default: the telemetry of the first pipeline the breaker runs
// in (before its first call, the global OpenTelemetry providers).
func WithTelemetry(t *telemetry.Telemetry) Option { return func(c *config) { c.tel = t } }

// WithClock sets the clock that times open periods and slow calls. For tests;
// default clock.Real(). gobreaker's own window buckets use the real clock.
func WithClock(clk clock.Clock) Option { return func(c *config) { c.clk = clk } }

// WithRandSeed seeds the jitter's random source. For tests; default a random
// seed.
func WithRandSeed(seed uint64) Option {
	return func(c *config) { c.seed, c.seeded = seed, true }
}

// WithOutcomeFunc calls f after every call the breaker counts (not those it
// rejects or excludes), with whether it counted as a failure. f runs on the
// call path: it must be fast and safe for concurrent use. Each
// WithOutcomeFunc adds a func, called in the order given, so a caller's own
// and redisbreaker's (which shares counts with the fleet) both run. A nil f
// adds nothing. Default none.
func WithOutcomeFunc(f func(failed bool)) Option {
	return func(c *config) {
		if f != nil {
			c.onOutcome = append(c.onOutcome, f)
		}
	}
}

// WithCountOverload(true) makes the breaker count Overload outcomes (429, 503
// with Retry-After, RESOURCE_EXHAUSTED) as failures. By default they are
// excluded: an overloaded server is alive and has said when to come back; the
// retry honours that delay, and client-side throttling is the tool for
// sustained overload. An on/off breaker in front of a server that sheds half
// its load takes the caller's goodput from half to nothing, and its half-open
// probes meet the same "come back later" and open it again. Count overload
// only for a dependency whose overload answers mean it is down.
func WithCountOverload(count bool) Option { return func(c *config) { c.overload = count } }

// WithMaxKeys bounds how many breakers PerKey keeps; the least recently used
// is evicted beyond it. Must be 1..1048576. Default 1024. Ignored by New.
func WithMaxKeys(n int) Option { return func(c *config) { c.maxKeys = n } }

// WithIdleTimeout drops a PerKey breaker not used for d. Must be > 0.
// Default 10m. Ignored by New.
func WithIdleTimeout(d time.Duration) Option { return func(c *config) { c.idle = d } }

func newConfig(opts []Option) (config, error) {
	c := config{
		ratio:    DefaultFailureRatio,
		minCalls: DefaultMinCalls,
		window:   DefaultWindow,
		openFor:  DefaultOpenDuration,
		jitter:   DefaultJitter,
		probes:   DefaultHalfOpenProbes,
		maxKeys:  DefaultMaxKeys,
		idle:     DefaultIdleTimeout,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	c.telSet = c.tel != nil
	if c.tel == nil {
		c.tel = telemetry.New()
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	switch {
	case !(c.ratio > 0 && c.ratio <= 1):
		return c, fmt.Errorf("breaker: FailureRatio must be in (0, 1], got %v", c.ratio)
	case c.minCalls < 1 || c.minCalls > 1_000_000:
		return c, fmt.Errorf("breaker: MinCalls must be 1..1000000, got %d", c.minCalls)
	case c.window < 10*time.Millisecond || c.window > time.Hour:
		return c, fmt.Errorf("breaker: Window must be 10ms..1h, got %v", c.window)
	case c.consecutive < 0 || c.consecutive > 1_000_000:
		return c, fmt.Errorf("breaker: ConsecutiveFailures must be 0..1000000, got %d", c.consecutive)
	case c.openFor < time.Millisecond || c.openFor > time.Hour:
		return c, fmt.Errorf("breaker: OpenDuration must be 1ms..1h, got %v", c.openFor)
	case !(c.jitter >= 0 && c.jitter <= 0.5):
		return c, fmt.Errorf("breaker: Jitter must be 0..0.5, got %v", c.jitter)
	case c.probes < 1 || c.probes > 1000:
		return c, fmt.Errorf("breaker: HalfOpenProbes must be 1..1000, got %d", c.probes)
	case c.slow < 0:
		return c, fmt.Errorf("breaker: SlowCallThreshold must be >= 0, got %v", c.slow)
	case c.maxKeys < 1 || c.maxKeys > 1<<20:
		return c, fmt.Errorf("breaker: MaxKeys must be 1..1048576, got %d", c.maxKeys)
	case c.idle <= 0:
		return c, fmt.Errorf("breaker: IdleTimeout must be > 0, got %v", c.idle)
	}
	return c, nil
}
