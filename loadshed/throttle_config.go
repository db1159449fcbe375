package loadshed

import (
	"fmt"
	"math"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
)

// Throttle defaults, as Google's SRE book gives them ("Handling Overload").
const (
	DefaultK                    = 2.0
	DefaultThrottleWindow       = 2 * time.Minute
	DefaultMaxRejectProbability = 0.9
	DefaultMinRate              = 1.0
)

// ThrottleOption configures a Throttle (NewThrottle).
type ThrottleOption func(*throttleConfig)

type throttleConfig struct {
	k        float64
	window   time.Duration
	maxP     float64
	minRate  float64
	minReq   int64 // minRate over the window
	accepted func(paved.Outcome) bool
	clk      clock.Clock
	seed     uint64
	seeded   bool
}

// WithK sets the multiplier K: the Throttle starts refusing once the
// requests in the window exceed K times the accepts. Must be 1..10. Default
// 2, the SRE book's: the dependency is sent about twice what it accepts.
func WithK(k float64) ThrottleOption { return func(c *throttleConfig) { c.k = k } }

// WithThrottleWindow is how much history the Throttle weighs, kept in 60
// buckets. Must be 1s..1h. Default 2m.
func WithThrottleWindow(d time.Duration) ThrottleOption {
	return func(c *throttleConfig) { c.window = d }
}

// WithMaxRejectProbability caps the probability of a local refusal, so that
// some calls always reach the dependency and its recovery is seen. Must be in
// [0, 1]; 1 removes the cap (the SRE book's formula alone). Default 0.9.
func WithMaxRejectProbability(p float64) ThrottleOption {
	return func(c *throttleConfig) { c.maxP = p }
}

// WithMinRate is the request rate, per second over the window, below which
// the Throttle refuses nothing (Envoy's admission control has the same
// rps_threshold): a client that quiet is not what overloads the dependency,
// and refusing its calls on a handful of answers (one overload answer alone
// makes the formula 0.5) would serve it worse than a plain retry loop. Must
// be 0..1000000; 0 applies the formula from the first request. Default 1: 120
// requests in the default two-minute window.
func WithMinRate(perSecond float64) ThrottleOption {
	return func(c *throttleConfig) { c.minRate = perSecond }
}

// WithAcceptedFunc decides which outcomes count as the dependency accepting
// the call. It is asked about every outcome but Canceled and Rejected, which
// are not counted at all; Success is passed as paved.OutcomeSuccess. Default:
// everything but Overload and Transient. A nil f keeps the default.
func WithAcceptedFunc(f func(paved.Outcome) bool) ThrottleOption {
	return func(c *throttleConfig) {
		if f != nil {
			c.accepted = f
		}
	}
}

// WithThrottleClock sets the clock the window ages on. For tests; default
// clock.Real().
func WithThrottleClock(clk clock.Clock) ThrottleOption {
	return func(c *throttleConfig) { c.clk = clk }
}

// WithThrottleRandSeed seeds the random draw of each refusal. For tests;
// default a random seed.
func WithThrottleRandSeed(seed uint64) ThrottleOption {
	return func(c *throttleConfig) { c.seed, c.seeded = seed, true }
}

func defaultAccepted(o paved.Outcome) bool {
	return o != paved.OutcomeOverload && o != paved.OutcomeTransient
}

func newThrottleConfig(opts []ThrottleOption) (throttleConfig, error) {
	c := throttleConfig{
		k:        DefaultK,
		window:   DefaultThrottleWindow,
		maxP:     DefaultMaxRejectProbability,
		minRate:  DefaultMinRate,
		accepted: defaultAccepted,
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
	case !(c.k >= 1 && c.k <= 10):
		return c, fmt.Errorf("loadshed: K must be 1..10, got %v", c.k)
	case c.window < time.Second || c.window > time.Hour:
		return c, fmt.Errorf("loadshed: ThrottleWindow must be 1s..1h, got %v", c.window)
	case !(c.maxP >= 0 && c.maxP <= 1):
		return c, fmt.Errorf("loadshed: MaxRejectProbability must be in [0, 1], got %v", c.maxP)
	case !(c.minRate >= 0 && c.minRate <= 1e6):
		return c, fmt.Errorf("loadshed: MinRate must be 0..1000000, got %v", c.minRate)
	}
	c.minReq = int64(math.Ceil(c.minRate * c.window.Seconds()))
	return c, nil
}
