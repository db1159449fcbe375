package hedge

import (
	"fmt"
	"time"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/budget"
)

// Option configures a Hedge.
type Option func(*config)

type config struct {
	adaptive    bool
	delay       time.Duration // fixed delay, or the fallback until enough samples
	quantile    float64
	minSamples  int
	maxHedges   int
	maxPushback time.Duration
	budget      budget.Config
	noBudget    bool
	shared      bool // WithSharedState
	clock       clock.Clock
}

// window is how many recent attempt latencies the adaptive delay looks at.
const window = 512

func newConfig(opts []Option) (config, error) {
	c := config{
		adaptive:    true,
		delay:       100 * time.Millisecond,
		quantile:    0.95,
		minSamples:  100,
		maxHedges:   1,
		maxPushback: 10 * time.Second,
		budget:      budget.HedgeConfig,
		clock:       clock.Real(),
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	switch {
	case c.delay <= 0:
		return c, fmt.Errorf("hedge: Delay must be > 0, got %v", c.delay)
	case c.adaptive && !(c.quantile > 0 && c.quantile < 1):
		return c, fmt.Errorf("hedge: Quantile must be in (0, 1), got %v", c.quantile)
	case c.adaptive && (c.minSamples < 1 || c.minSamples > window):
		return c, fmt.Errorf("hedge: MinSamples must be 1..%d, got %d", window, c.minSamples)
	case c.maxHedges < 1 || c.maxHedges > 4:
		return c, fmt.Errorf("hedge: MaxHedges must be 1..4, got %d", c.maxHedges)
	case c.maxPushback < time.Millisecond || c.maxPushback > time.Hour:
		return c, fmt.Errorf("hedge: MaxPushback must be 1ms..1h, got %v", c.maxPushback)
	case c.clock == nil:
		return c, fmt.Errorf("hedge: Clock must not be nil")
	}
	if !c.noBudget {
		if err := c.budget.Validate("hedge: "); err != nil {
			return c, err
		}
	}
	return c, nil
}

// WithDelay makes the hedging delay fixed: another attempt starts when the
// previous one has not succeeded after d (> 0). Replaces the default adaptive
// delay.
func WithDelay(d time.Duration) Option {
	return func(c *config) { c.adaptive, c.delay = false, d }
}

// WithAdaptiveDelay makes the hedging delay the quantile q (0 < q < 1) of the
// last 512 attempt latencies, once minSamples (1..512) were seen; until then
// it is fallback (> 0). The default is WithAdaptiveDelay(0.95, 100, 100ms).
func WithAdaptiveDelay(q float64, minSamples int, fallback time.Duration) Option {
	return func(c *config) {
		c.adaptive, c.quantile, c.minSamples, c.delay = true, q, minSamples, fallback
	}
}

// WithMaxHedges sets how many extra attempts a call may start: 1..4 (gRFC A6
// caps attempts at 5), default 1.
func WithMaxHedges(n int) Option { return func(c *config) { c.maxHedges = n } }

// WithBudget sets the budget hedges spend (see the package doc): every call
// the dependency answers earns ratio (0..1) hedges, and minPerSecond
// (0..1000) hedges per second, spread evenly, are always allowed. Default
// ratio 0.1, minPerSecond 1.
func WithBudget(ratio, minPerSecond float64) Option {
	return func(c *config) {
		c.noBudget = false
		c.budget.Ratio, c.budget.MinPerSecond = ratio, minPerSecond
	}
}

// WithBudgetCapacity sets how many hedges the budget saves up, and starts
// with: 1..1000000, default 20.
func WithBudgetCapacity(hedges float64) Option {
	return func(c *config) {
		c.noBudget = false
		c.budget.Capacity = hedges
	}
}

// WithoutBudget lets every call hedge up to MaxHedges.
func WithoutBudget() Option { return func(c *config) { c.noBudget = true } }

// WithMaxPushback caps how long a server's pushback (Retry-After, a positive
// grpc-retry-pushback-ms) postpones the next hedge, as retry's maximum
// backoff caps it for retries: 1ms..1h, default 10s. A pushback of hours
// would otherwise hold a caller without a deadline that long.
func WithMaxPushback(d time.Duration) Option { return func(c *config) { c.maxPushback = d } }

// WithClock makes the hedge time its delays and latencies on c. For tests
// (clock.NewFake); default clock.Real().
func WithClock(c clock.Clock) Option { return func(cfg *config) { cfg.clock = c } }
