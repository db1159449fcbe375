package redisbreaker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/telemetry"
	"github.com/redis/go-redis/v9"
)

// Events this package reports (through the local breaker's telemetry) when
// the fleet's state stops or resumes being shared. package telemetry has no
// names for them.
const (
	EventFleetUnavailable = "breaker_fleet_unavailable"
	EventFleetRestored    = "breaker_fleet_restored"
)

// DefaultSyncPeriod is how often an instance shares its counts and reads the
// fleet's state; every instance opens within about one period of the fleet
// tripping.
const DefaultSyncPeriod = 200 * time.Millisecond

// DefaultKeyPrefix prefixes every Redis key.
const DefaultKeyPrefix = "paved:breaker:"

// Option configures a Breaker.
type Option func(*config)

type config struct {
	period  time.Duration
	timeout time.Duration // bounds each sync: max(period, 100ms)
	prefix  string
	local   []breaker.Option
	onSync  func(SyncResult)
}

// WithSyncPeriod is how often counts are shared and the fleet's state read.
// Must be 10ms..10s. Default 200ms.
func WithSyncPeriod(d time.Duration) Option { return func(c *config) { c.period = d } }

// WithKeyPrefix prefixes the breaker's Redis keys. A prefix whose first '{'
// is directly followed by '}' is rejected by New (it would give every key an
// empty Redis Cluster hash tag); see the package doc for the key layout.
// Default "paved:breaker:".
func WithKeyPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithBreakerOptions configures the local breaker (and the fleet's trip
// rules, which are the local ones: failure ratio, min calls, window, open
// duration).
func WithBreakerOptions(opts ...breaker.Option) Option {
	return func(c *config) { c.local = append(c.local, opts...) }
}

// WithSyncFunc calls f after every sync with Redis, on the background
// goroutine. For tests and diagnostics. Default none.
func WithSyncFunc(f func(SyncResult)) Option { return func(c *config) { c.onSync = f } }

// SyncResult is what one sync with Redis found.
type SyncResult struct {
	// Err is why the sync failed; nil when it succeeded.
	Err error
	// Open is how long the fleet's open state still runs; 0 when closed.
	Open time.Duration
	// Total and Failures are the fleet's counts over the window (0 while open).
	Total, Failures int64
}

// Breaker is a circuit breaker whose trips are shared by a fleet through
// Redis, without Redis on the call path. See the package doc.
type Breaker struct {
	local *breaker.Breaker
	cfg   config
	c     redis.UniversalClient // what syncs use: see syncClient
	own   *redis.ClusterClient  // the Breaker's own client, closed by Close; may be nil
	keys  []string              // the sync script's KEYS: the counts hash and the open key
	th    breaker.Thresholds

	total, failed atomic.Int64

	// Owned by the sync goroutine.
	lastUntil int64
	healthy   bool

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

var _ paved.Middleware = (*Breaker)(nil)

// New returns a Breaker named name (shared by every instance of the fleet
// that uses the same name and key prefix) and starts its background sync
// with client. Call Close to stop it. The Redis connection is not checked:
// an unreachable Redis only means the breaker decides locally. Any name is
// valid; the package doc says how it goes into the keys. client is not
// changed, and stays the caller's to close (after Close): the sync may use a
// view or a copy of it, so as to bound each sync (see the package doc).
//
// The breaker.Options given through WithBreakerOptions apply to the local
// breaker; New adds a breaker.WithOutcomeFunc of its own after them, which
// counts calls for the fleet. Outcome funcs add up, so one given by the
// caller still runs, before the fleet's.
func New(client redis.UniversalClient, name string, opts ...Option) (*Breaker, error) {
	cfg := config{period: DefaultSyncPeriod, prefix: DefaultKeyPrefix}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	switch {
	case client == nil:
		return nil, errors.New("redisbreaker: client must not be nil")
	case cfg.period < 10*time.Millisecond || cfg.period > 10*time.Second:
		return nil, fmt.Errorf("redisbreaker: SyncPeriod must be 10ms..10s, got %v", cfg.period)
	}
	if err := checkPrefix(cfg.prefix); err != nil {
		return nil, err
	}
	// Bound each sync so a slow or hung Redis delays the next sync rather
	// than piling them up, and Close never waits longer than this.
	cfg.timeout = max(cfg.period, 100*time.Millisecond)
	b := &Breaker{cfg: cfg, keys: keys(cfg.prefix, name), healthy: true}
	local, err := breaker.New(name, append(cfg.local, breaker.WithOutcomeFunc(b.count))...)
	if err != nil {
		return nil, err
	}
	b.local = local
	b.th = local.Thresholds()
	// Only once nothing can fail any more: a client of the Breaker's own
	// must not outlive a failed New.
	b.c, b.own = syncClient(client, cfg.timeout)
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.wg.Go(func() { b.loop(ctx) })
	return b, nil
}

// count runs on the call path: two atomic adds at most.
func (b *Breaker) count(failed bool) {
	b.total.Add(1)
	if failed {
		b.failed.Add(1)
	}
}

// Wrap returns next guarded by the local breaker; Redis is never on the call
// path.
func (b *Breaker) Wrap(next paved.Op) paved.Op { return b.local.Wrap(next) }

// State returns the local breaker's state, which follows the fleet's.
func (b *Breaker) State() breaker.State { return b.local.State() }

// Local returns the local breaker, for manual control (ForceOpen) and
// inspection. Forcing it does not force the fleet.
func (b *Breaker) Local() *breaker.Breaker { return b.local }

// Close stops the background sync and waits for it: at most about the sync
// timeout (max(SyncPeriod, 100ms)) for a *redis.Client or a
// *redis.ClusterClient, whatever their options. It closes the client the
// Breaker built for itself, if any, never the caller's. Calls keep working
// (locally) after Close. Safe to call twice; the second call returns nil.
func (b *Breaker) Close() error {
	var err error
	b.closeOnce.Do(func() {
		b.cancel()
		b.wg.Wait()
		if b.own != nil {
			err = b.own.Close()
		}
	})
	return err
}

func (b *Breaker) loop(ctx context.Context) {
	t := time.NewTicker(b.cfg.period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.sync(ctx)
		}
	}
}

func (b *Breaker) sync(ctx context.Context) {
	dt, df := b.total.Swap(0), b.failed.Swap(0)
	sctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	win := int64((b.th.Window + time.Second - 1) / time.Second)
	res, err := syncScript.Run(sctx, b.c, b.keys,
		dt, df, win, b.th.MinCalls, strconv.FormatFloat(b.th.FailureRatio, 'f', -1, 64),
		b.th.OpenDuration.Milliseconds()).Int64Slice()
	if err == nil && len(res) != 4 {
		err = fmt.Errorf("redisbreaker: unexpected script reply %v", res)
	}
	if err != nil {
		if ctx.Err() != nil {
			return // closing
		}
		// The counts of this period are dropped: added later they would land
		// in the wrong second. The local breaker decides alone meanwhile.
		if b.healthy {
			b.healthy = false
			b.local.Report(ctx, telemetry.Event{Name: EventFleetUnavailable, Err: err})
		}
		if b.cfg.onSync != nil {
			b.cfg.onSync(SyncResult{Err: err})
		}
		return
	}
	if !b.healthy {
		b.healthy = true
		b.local.Report(ctx, telemetry.Event{Name: EventFleetRestored})
	}
	r := SyncResult{Open: time.Duration(res[0]) * time.Millisecond, Total: res[2], Failures: res[3]}
	if until := res[1]; r.Open > 0 && until != b.lastUntil {
		// Each fleet open period trips this instance once; after that its
		// own half-open probes decide, as they would alone.
		b.lastUntil = until
		b.local.TripFor(r.Open)
	}
	if b.cfg.onSync != nil {
		b.cfg.onSync(r)
	}
}
