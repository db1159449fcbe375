package idempotency

import (
	"fmt"
	"time"

	"github.com/paved-go/paved/clock"
)

// Defaults.
const (
	// DefaultRetention is how long a completed request's response is kept
	// (Stripe keeps keys at least 24 hours).
	DefaultRetention = 24 * time.Hour
	// DefaultLease is how long a claim holds without completing: a request
	// still running after it can be claimed, and run, again.
	DefaultLease = time.Minute
	// DefaultStoreTimeout bounds every store call.
	DefaultStoreTimeout = time.Second
	// DefaultMaxStoredBytes is the largest response body stored (1 MiB).
	DefaultMaxStoredBytes = 1 << 20
)

// Option configures a Guard (New).
type Option func(*config)

type config struct {
	store        Store
	lease        time.Duration
	retention    time.Duration
	storeTimeout time.Duration
	maxStored    int
	failOpen     bool
	clk          clock.Clock
}

// WithStore sets where claims and responses are kept. Guards on several
// server instances must share one store (redisstore, pgstore) for a key to
// run once across them. Default: a memory store of the Guard's own
// (NewMemoryStore with its defaults), which protects one process only.
func WithStore(s Store) Option { return func(c *config) { c.store = s } }

// WithLease is how long a claim holds while its request runs. A request
// that panics releases its key at once; one whose process dies leaves the
// key in flight (answered with ErrConflict) until the lease expires, after
// which the key can be claimed and run again, and the old holder's late
// completion is refused. So the lease must exceed the longest a guarded
// request runs: one still running after it may be run a second time. Must
// be 1ms..24h. Default 1m.
func WithLease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// WithRetention is how long a completed request's response is kept and
// replayed. Must be at least the lease and at most 8760h (a year). Default
// 24h.
func WithRetention(d time.Duration) Option { return func(c *config) { c.retention = d } }

// WithStoreTimeout bounds every store call, so a hung store cannot hang a
// request: a claim that takes longer fails (see WithFailOpen). Must be
// 1ms..1m. Default 1s.
func WithStoreTimeout(d time.Duration) Option { return func(c *config) { c.storeTimeout = d } }

// WithMaxStoredBytes is the largest response body stored. A larger body
// reaches the first caller whole, but only its status and headers are
// stored: a replay says the body was not kept (Response.BodyOmitted), and
// the request is never run again for it. Must be 0..67108864 (64 MiB).
// Default 1 MiB.
func WithMaxStoredBytes(n int) Option { return func(c *config) { c.maxStored = n } }

// WithFailOpen(true) runs requests without the exactly-once guarantee when
// the store fails or does not answer in time while claiming a key. By
// default the Guard fails closed: the request is refused with ErrUnavailable
// (HTTP 503) and does not run, because running it might run it twice.
func WithFailOpen(open bool) Option { return func(c *config) { c.failOpen = open } }

// WithClock sets the clock that bounds store calls and that the default
// memory store reads. For tests; default clock.Real().
func WithClock(clk clock.Clock) Option { return func(c *config) { c.clk = clk } }

func newConfig(opts []Option) (config, error) {
	c := config{
		lease:        DefaultLease,
		retention:    DefaultRetention,
		storeTimeout: DefaultStoreTimeout,
		maxStored:    DefaultMaxStoredBytes,
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
	case c.lease < time.Millisecond || c.lease > 24*time.Hour:
		return c, fmt.Errorf("idempotency: Lease must be 1ms..24h, got %v", c.lease)
	case c.retention < c.lease || c.retention > 8760*time.Hour:
		return c, fmt.Errorf("idempotency: Retention must be Lease (%v)..8760h, got %v", c.lease, c.retention)
	case c.storeTimeout < time.Millisecond || c.storeTimeout > time.Minute:
		return c, fmt.Errorf("idempotency: StoreTimeout must be 1ms..1m, got %v", c.storeTimeout)
	case c.maxStored < 0 || c.maxStored > 64<<20:
		return c, fmt.Errorf("idempotency: MaxStoredBytes must be 0..67108864, got %d", c.maxStored)
	}
	if c.store == nil {
		c.store = NewMemoryStore(WithMemoryClock(c.clk))
	}
	return c, nil
}
