package ratelimit

import (
	"context"
	"fmt"
	"math"
	"time"

	"golang.org/x/time/rate"

	"github.com/paved-go/paved/clock"
)

// Defaults.
const (
	// DefaultMaxWait is how long New's limiter lets a call wait for a token.
	DefaultMaxWait = time.Second
	// DefaultMaxKeys is how many callers PerKey keeps state for.
	DefaultMaxKeys = 100_000
	// DefaultMaxKeyLength is the longest key PerKey stores as it is; longer
	// ones are stored as a fixed-size digest.
	DefaultMaxKeyLength = 256
	// DefaultName is the policy name in the RateLimit fields.
	DefaultName = "default"
)

// Bounds of the options, as the errors of New and PerKey state them.
const (
	maxRate  = 1e9 // one event per nanosecond
	maxBurst = 1_000_000_000
	maxWait  = time.Hour
)

// Option configures a Limiter (New) or a Keyed limiter (PerKey). Options that
// do not apply to one (WithMaxKeys on New) are ignored by it.
type Option func(*config)

type config struct {
	rate     rate.Limit
	burst    int
	maxWait  time.Duration
	waitSet  bool
	clk      clock.Clock
	name     string
	window   time.Duration
	feedback bool
	keyFunc  func(ctx context.Context) string
	maxKeys  int
	maxKeyLn int
}

// WithMaxWait is the longest a call may wait for its turn: a call that would
// wait longer — or past its context's deadline — is refused at once with
// ErrLimited, its reservation given back, and the wait it would have needed
// as the RetryAfter hint. Must be 0..1h; 0 is WithFailFast. Default
// DefaultMaxWait (1s) for New; 0 for PerKey, whose refusals a server
// answers with 429 rather than holding the request.
func WithMaxWait(d time.Duration) Option {
	return func(c *config) { c.maxWait, c.waitSet = d, true }
}

// WithFailFast refuses every call that finds no token at once, instead of
// waiting: WithMaxWait(0).
func WithFailFast() Option { return WithMaxWait(0) }

// WithClock sets the clock the limiter reads and waits on. For tests;
// default clock.Real().
func WithClock(clk clock.Clock) Option { return func(c *config) { c.clk = clk } }

// WithName names the limit in the RateLimit-Policy and RateLimit fields the
// server adapters send. Must be 1..64 printable ASCII characters other than
// '"' and '\'. Default "default".
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithWindow is the window the RateLimit-Policy field advertises the quota
// over, in whole seconds: the quota is rate × window. Must be 1s..24h, whole
// seconds. Default: the shortest whole number of seconds in which the rate
// refills at least the burst.
func WithWindow(d time.Duration) Option { return func(c *config) { c.window = d } }

// WithServerFeedback(false) stops New's limiter from slowing down on what
// the server says about the caller's quota. By default, when a response
// through pavedhttp's Transport carries RateLimit fields (or a 429 carries
// Retry-After), the limiter admits no more calls than the server said remain
// until its reset time: with "r=0;t=30", the next call waits up to its max
// wait and deadline, or is refused at once, instead of spending a 429.
// PerKey ignores it.
func WithServerFeedback(enabled bool) Option { return func(c *config) { c.feedback = enabled } }

// WithKeyFunc tells PerKey each call's key. Default: the caller's key the
// server adapters put on the call (paved.CallFrom(ctx).Key(), from
// pavedhttp.WithKeyFunc or pavedgrpc.WithKeyFunc). Calls without a key
// share one limit of their own. A nil f keeps the default. New ignores it.
func WithKeyFunc(f func(ctx context.Context) string) Option {
	return func(c *config) { c.keyFunc = f }
}

// WithMaxKeys bounds how many callers PerKey keeps state for; beyond it the
// least recently used caller's state is dropped (it starts again with a full
// burst). A caller whose bucket is full again carries no state and is
// dropped first, so idle callers never hold memory. Must be 1..16777216.
// Default 100000 (about 12 MB at most, see PerKey). New ignores it.
func WithMaxKeys(n int) Option { return func(c *config) { c.maxKeys = n } }

// WithMaxKeyLength is the longest key PerKey keeps as it is. A longer key,
// or one with bytes other than printable ASCII (or '#', '{', '}'), is kept as
// a 23-byte digest of itself (SHA-256), so hostile keys cost no more memory
// than short ones and never collide with a plain key. Must be 16..4096.
// Default 256. New ignores it.
func WithMaxKeyLength(n int) Option { return func(c *config) { c.maxKeyLn = n } }

func newConfig(r rate.Limit, burst int, keyed bool, opts []Option) (config, error) {
	c := config{
		rate:     r,
		burst:    burst,
		maxWait:  DefaultMaxWait,
		name:     DefaultName,
		feedback: true,
		maxKeys:  DefaultMaxKeys,
		maxKeyLn: DefaultMaxKeyLength,
	}
	if keyed {
		c.maxWait = 0
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
		return c, fmt.Errorf("ratelimit: rate must be > 0 and <= 1e9 per second, got %v", float64(c.rate))
	case c.burst < 1 || c.burst > maxBurst:
		return c, fmt.Errorf("ratelimit: burst must be 1..1000000000, got %d", c.burst)
	case c.maxWait < 0 || c.maxWait > maxWait:
		return c, fmt.Errorf("ratelimit: MaxWait must be 0..1h, got %v", c.maxWait)
	case !validName(c.name):
		return c, fmt.Errorf("ratelimit: Name must be 1..64 printable ASCII characters other than '\"' and '\\', got %q", c.name)
	case c.window != 0 && (c.window < time.Second || c.window > 24*time.Hour || c.window%time.Second != 0):
		return c, fmt.Errorf("ratelimit: Window must be whole seconds in 1s..24h, got %v", c.window)
	case c.maxKeys < 1 || c.maxKeys > 1<<24:
		return c, fmt.Errorf("ratelimit: MaxKeys must be 1..16777216, got %d", c.maxKeys)
	case c.maxKeyLn < 16 || c.maxKeyLn > 4096:
		return c, fmt.Errorf("ratelimit: MaxKeyLength must be 16..4096, got %d", c.maxKeyLn)
	}
	if c.window == 0 {
		c.window = ceilSeconds(time.Duration(float64(c.burst) / float64(c.rate) * float64(time.Second)))
		if c.window > 24*time.Hour {
			c.window = 24 * time.Hour
		}
	}
	return c, nil
}

// validName reports whether name can be a structured-field String without
// escapes (RFC 9651 §3.3.3).
func validName(name string) bool {
	if len(name) < 1 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// quota is the Quota field of the config's Status: the rate over the window.
func (c *config) quota() int64 {
	q := int64(math.Floor(float64(c.rate) * c.window.Seconds()))
	return max(q, 1)
}
