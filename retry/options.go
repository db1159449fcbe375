package retry

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/backoff"
	"github.com/paved-go/paved/internal/budget"
)

// Jitter selects how backoff delays are randomized (docs/reference.md, "Retry and
// backoff"; AWS Architecture Blog, "Exponential Backoff and Jitter").
type Jitter = backoff.Jitter

// Jitter modes. With d = min(max, base * 2^(n-1)) for retry n:
const (
	JitterFull         = backoff.Full         // U(0, d); the default
	JitterEqual        = backoff.Equal        // d/2 + U(0, d/2)
	JitterDecorrelated = backoff.Decorrelated // min(max, U(base, 3*previous delay))
	JitterNone         = backoff.None         // d
)

// BackoffFunc computes the delay before retry n (n = 1 before the second
// attempt); prev is the delay waited before the previous retry (0 for the
// first). A result above the configured maximum is cut to it; a negative one
// is 0. It must be safe for concurrent use.
type BackoffFunc func(n int, prev time.Duration) time.Duration

// Option configures a Retry.
type Option func(*config)

type config struct {
	maxAttempts int
	base, max   time.Duration
	jitter      Jitter
	backoffFn   BackoffFunc
	budget      budget.Config
	noBudget    bool
	shared      bool // WithSharedBudget
	minAttempt  time.Duration
	clock       clock.Clock
	rand        backoff.Rand
}

func newConfig(opts []Option) (config, error) {
	c := config{
		maxAttempts: 3,
		base:        100 * time.Millisecond,
		max:         10 * time.Second,
		jitter:      JitterFull,
		budget:      budget.RetryConfig,
		minAttempt:  time.Millisecond,
		clock:       clock.Real(),
		rand:        backoff.Global{},
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	switch {
	case c.maxAttempts < 1 || c.maxAttempts > 10:
		return c, fmt.Errorf("retry: MaxAttempts must be 1..10, got %d", c.maxAttempts)
	case c.base <= 0:
		return c, fmt.Errorf("retry: Backoff base must be > 0, got %v", c.base)
	case c.max < c.base:
		return c, fmt.Errorf("retry: Backoff max must be >= base (%v), got %v", c.base, c.max)
	case c.jitter > JitterNone:
		return c, fmt.Errorf("retry: Jitter must be full, equal, decorrelated or none, got %d", c.jitter)
	case c.minAttempt < 0:
		return c, fmt.Errorf("retry: MinAttemptTime must be >= 0, got %v", c.minAttempt)
	case c.clock == nil:
		return c, fmt.Errorf("retry: Clock must not be nil")
	case c.rand == nil:
		return c, fmt.Errorf("retry: Rand must not be nil")
	}
	if !c.noBudget {
		if err := c.budget.Validate("retry: "); err != nil {
			return c, err
		}
	}
	return c, nil
}

// WithMaxAttempts sets how many attempts a call may make in all, the first
// included: 1..10, default 3. 1 disables retrying.
func WithMaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = n } }

// WithBackoff sets the exponential backoff: the delay before retry n is
// min(max, base * 2^(n-1)), then jittered. Default base 100ms, max 10s. max
// also caps server pushback.
func WithBackoff(base, max time.Duration) Option {
	return func(c *config) { c.base, c.max = base, max }
}

// WithJitter sets the jitter mode. Default JitterFull, which does the least
// total work under contention; JitterNone synchronizes clients into waves.
func WithJitter(j Jitter) Option { return func(c *config) { c.jitter = j } }

// WithBackoffFunc replaces the exponential backoff and jitter with f. The
// maximum of WithBackoff still caps f's result and server pushback.
func WithBackoffFunc(f BackoffFunc) Option { return func(c *config) { c.backoffFn = f } }

// WithBudget sets the retry budget (see the package doc): every call the
// dependency answers earns ratio (0..1) retries, and minPerSecond (0..1000)
// retries per second, spread evenly, are always allowed. Default ratio 0.2,
// minPerSecond 1. The budget belongs to the pipeline the Retry is built into
// (one per Wrap).
func WithBudget(ratio, minPerSecond float64) Option {
	return func(c *config) {
		c.noBudget = false
		c.budget.Ratio, c.budget.MinPerSecond = ratio, minPerSecond
	}
}

// WithBudgetCapacity sets how many retries the budget saves up, and starts
// with: 1..1000000, default 20. It is how many failed retries a sudden outage gets
// before only the floor (WithBudget's minPerSecond) is left.
func WithBudgetCapacity(retries float64) Option {
	return func(c *config) {
		c.noBudget = false
		c.budget.Capacity = retries
	}
}

// WithoutBudget turns the retry budget off: every retryable failure may be
// retried up to MaxAttempts. Only for dependencies that cannot be overloaded
// by their callers.
func WithoutBudget() Option { return func(c *config) { c.noBudget = true } }

// WithMinAttemptTime sets the least time an attempt needs to be worth
// making: a retry is not started when the caller's deadline leaves less than
// the delay plus this. Default 1ms, which only avoids attempts that are sure
// to time out; set it to the dependency's typical latency to save more.
func WithMinAttemptTime(d time.Duration) Option { return func(c *config) { c.minAttempt = d } }

// WithClock makes the retry wait and read deadlines on c. For tests
// (clock.NewFake); default clock.Real().
func WithClock(c clock.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithRand makes jitter draw from src, under a mutex. For deterministic tests
// (rand.NewPCG(seed1, seed2)); the default is math/rand/v2's concurrency-safe
// global source.
func WithRand(src rand.Source) Option {
	return func(c *config) {
		if src == nil {
			c.rand = nil
			return
		}
		c.rand = backoff.NewLocked(src)
	}
}
