package redisrate

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/ratelimit"
)

// Defaults.
const (
	DefaultKeyPrefix       = "paved:ratelimit:"
	DefaultDecisionTimeout = 50 * time.Millisecond
	DefaultStoreRetry      = time.Second
)

// Option configures a Limiter.
type Option func(*config)

type config struct {
	rate       rate.Limit
	burst      int
	prefix     string
	name       string
	window     time.Duration
	keyFunc    func(ctx context.Context) string
	maxKeyLn   int
	timeout    time.Duration
	retry      time.Duration
	failClosed bool
	replicas   int
	clk        clock.Clock
	maxKeys    int
}

// WithKeyPrefix starts every Redis key. It must not contain '{' or '}': each
// key's Redis Cluster hash tag is the caller's key (see the package doc).
// Default "paved:ratelimit:".
func WithKeyPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithName names the limit: in the RateLimit fields, and in its Redis keys,
// so limits of different names never share state. The rules of
// ratelimit.WithName apply. Default "default".
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithWindow is the window the RateLimit-Policy field advertises, as
// ratelimit.WithWindow.
func WithWindow(d time.Duration) Option { return func(c *config) { c.window = d } }

// WithKeyFunc tells each call's key. Default: the caller's key the server
// adapters put on the call (paved.CallFrom(ctx).Key()). Calls without a key
// share one limit. A nil f keeps the default.
func WithKeyFunc(f func(ctx context.Context) string) Option { return func(c *config) { c.keyFunc = f } }

// WithMaxKeyLength is the longest caller key used in a Redis key as it is;
// longer keys, and keys with bytes other than printable ASCII (or '#', '{',
// '}'), become a 23-byte digest, the same on every replica. Must be
// 16..4096. Default 256.
func WithMaxKeyLength(n int) Option { return func(c *config) { c.maxKeyLn = n } }

// WithDecisionTimeout bounds each decision's round trip to Redis, against a
// Redis that is slow or hung; past it, the decision is the fallback's
// (WithFailOpen, WithFailClosed). Must be 1ms..10s. Default 50ms. A caller's
// deadline sooner than it bounds the wait too, whether or not the client
// honours context deadlines (ContextTimeoutEnabled), and the caller gets
// context.DeadlineExceeded; Redis is not taken for down.
func WithDecisionTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithStoreRetry is how long, after Redis failed to decide, the fallback
// decides alone before Redis is asked again, so an outage costs each call
// no timeout. Must be 10ms..1m. Default 1s.
func WithStoreRetry(d time.Duration) Option { return func(c *config) { c.retry = d } }

// WithFailOpen makes the limiter, while Redis cannot decide, admit calls
// through a local limit at the fleet's rate and burst divided by replicas,
// the number of instances sharing the limit, so the fleet as a whole stays
// near its limit. This is the default, with replicas 1 (each instance alone
// admits the whole fleet's rate: set replicas to the fleet's size). Must be
// 1..10000.
func WithFailOpen(replicas int) Option {
	return func(c *config) { c.failClosed, c.replicas = false, replicas }
}

// WithFailClosed makes the limiter refuse every call, with ErrUnavailable,
// while Redis cannot decide. Default: fail open.
func WithFailClosed() Option { return func(c *config) { c.failClosed = true } }

// WithClock sets the clock of the fallback and of WithStoreRetry's period.
// For tests; default clock.Real(). Decisions in Redis use Redis's clock.
func WithClock(clk clock.Clock) Option { return func(c *config) { c.clk = clk } }

// WithMaxKeys bounds the callers the fail-open fallback keeps state for, as
// ratelimit.WithMaxKeys. Default ratelimit.DefaultMaxKeys.
func WithMaxKeys(n int) Option { return func(c *config) { c.maxKeys = n } }

const (
	maxRate    = 1e6  // an interval of at least 1µs, the script's unit
	maxLimitUS = 1e15 // burst × interval, µs: exact in Lua's doubles with room to add
)

func newConfig(r rate.Limit, burst int, opts []Option) (config, error) {
	c := config{
		rate: r, burst: burst,
		prefix:   DefaultKeyPrefix,
		name:     ratelimit.DefaultName,
		maxKeyLn: ratelimit.DefaultMaxKeyLength,
		timeout:  DefaultDecisionTimeout,
		retry:    DefaultStoreRetry,
		replicas: 1,
		maxKeys:  ratelimit.DefaultMaxKeys,
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
	case math.IsNaN(float64(c.rate)) || c.rate <= 0 || c.rate > maxRate:
		return c, fmt.Errorf("redisrate: rate must be > 0 and <= 1e6 per second, got %v", float64(c.rate))
	case c.burst < 1 || float64(c.burst)*math.Round(1e6/float64(c.rate)) > maxLimitUS:
		return c, fmt.Errorf("redisrate: burst must be >= 1 and burst/rate at most 1e9 seconds, got %d", c.burst)
	case strings.ContainsAny(c.prefix, "{}"):
		return c, fmt.Errorf("redisrate: KeyPrefix must not contain '{' or '}', got %q", c.prefix)
	case c.timeout < time.Millisecond || c.timeout > 10*time.Second:
		return c, fmt.Errorf("redisrate: DecisionTimeout must be 1ms..10s, got %v", c.timeout)
	case c.retry < 10*time.Millisecond || c.retry > time.Minute:
		return c, fmt.Errorf("redisrate: StoreRetry must be 10ms..1m, got %v", c.retry)
	case !c.failClosed && (c.replicas < 1 || c.replicas > 10000):
		return c, fmt.Errorf("redisrate: FailOpen replicas must be 1..10000, got %d", c.replicas)
	}
	return c, nil
}
