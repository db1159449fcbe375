package redisrate

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"golang.org/x/time/rate"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/internal/gcra"
	"github.com/paved-go/paved/internal/ratekey"
	"github.com/paved-go/paved/internal/redisutil"
	"github.com/paved-go/paved/ratelimit"
	"github.com/paved-go/paved/telemetry"
)

// Limiter is one rate limit per caller shared by every replica of a service
// through Redis: GCRA in one Lua script per decision, on Redis's clock. Make
// one with New; it is a paved.Middleware and safe for concurrent use. See
// the package doc.
type Limiter struct {
	cfg      config
	c        redis.UniversalClient // bounded by the decision timeout: see redisutil.Bounded
	own      *redis.ClusterClient  // made by New, closed by Close
	args     []any                 // interval and limit, µs, as the script takes them
	interval int64                 // µs
	limit    int64                 // µs
	quota    int64
	window   time.Duration
	local    *ratelimit.Keyed // the fail-open fallback
	attrs    []attribute.KeyValue
	origin   time.Time
	// downUntil is, while Redis is not asked, when it will be again (since
	// origin on cfg.clk, never 0); 0 while Redis decides.
	downUntil atomic.Int64
}

var _ paved.Middleware = (*Limiter)(nil)

// Decision is what the limit decided for one call.
type Decision struct {
	// Allowed says whether the call is admitted.
	Allowed bool
	// Status is the caller's quota after the decision.
	Status ratelimit.Status
	// RetryAfter is, when refused, the time until the call would be admitted.
	RetryAfter time.Duration
	// Local is set when Redis could not decide and the fail-open fallback did.
	Local bool
}

// New returns a limit of r calls per second, up to burst at once, per caller,
// shared by every Limiter with the same key prefix and name on the same
// Redis (or Redis Cluster). It returns an error naming the field when an
// argument or option is out of range: client must not be nil, r must be
// > 0 and at most 1e6, burst at least 1.
//
// The client is the caller's and is never closed by the Limiter; close it
// after Close.
func New(client redis.UniversalClient, r rate.Limit, burst int, opts ...Option) (*Limiter, error) {
	if client == nil {
		return nil, errors.New("redisrate: client must not be nil")
	}
	cfg, err := newConfig(r, burst, opts)
	if err != nil {
		return nil, err
	}
	common := []ratelimit.Option{
		ratelimit.WithName(cfg.name), ratelimit.WithMaxKeyLength(cfg.maxKeyLn),
		ratelimit.WithClock(cfg.clk), ratelimit.WithKeyFunc(cfg.keyFunc), ratelimit.WithMaxKeys(cfg.maxKeys),
	}
	if cfg.window != 0 {
		common = append(common, ratelimit.WithWindow(cfg.window))
	}
	// The fleet's limit, in memory, only to validate the options it shares
	// with package ratelimit and to know the policy it advertises.
	fleet, err := ratelimit.PerKey(r, burst, common...)
	if err != nil {
		return nil, errors.New("redisrate" + err.Error()[len("ratelimit"):])
	}
	policy := fleet.Status("")
	replicas := max(1, cfg.replicas)
	local, err := ratelimit.PerKey(r/rate.Limit(replicas), (burst+replicas-1)/replicas, common...)
	if err != nil {
		return nil, errors.New("redisrate" + err.Error()[len("ratelimit"):])
	}
	interval := max(1, int64(1e6/float64(r)+0.5))
	l := &Limiter{
		cfg: cfg, interval: interval, limit: interval * int64(burst),
		quota: policy.Quota, window: policy.Window, local: local,
		attrs:  []attribute.KeyValue{attribute.String(telemetry.AttrRateLimitPolicy, cfg.name)},
		origin: cfg.clk.Now(),
	}
	l.args = []any{strconv.FormatInt(l.interval, 10), strconv.FormatInt(l.limit, 10)}
	l.c, l.own = redisutil.Bounded(client, cfg.timeout, 0)
	return l, nil
}

// MustNew is New that panics on an invalid argument.
func MustNew(client redis.UniversalClient, r rate.Limit, burst int, opts ...Option) *Limiter {
	l, err := New(client, r, burst, opts...)
	if err != nil {
		panic(err)
	}
	return l
}

// Close releases the client New made for itself, if any (for a
// ClusterClient without ContextTimeoutEnabled). It does not close the
// caller's client. Decisions after Close fail to the fallback.
func (l *Limiter) Close() error {
	if l.own != nil {
		return l.own.Close()
	}
	return nil
}

// Wrap returns next behind each caller's fleet-wide limit. A refused call
// gets a *ratelimit.LimitedError (ratelimit.ErrLimited, paved.ErrRejected)
// with its wait as RetryAfter; an admitted one carries its Status to the
// handler (ratelimit.AppendStatuses), for the RateLimit fields.
func (l *Limiter) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		d, err := l.Allow(ctx, l.key(ctx))
		if err != nil {
			return err
		}
		if !d.Allowed {
			err := ratelimit.NewLimitedError(d.Status, d.RetryAfter)
			paved.Emit(ctx, telemetry.Event{Name: telemetry.EventRateLimited, Policy: "ratelimit", Delay: d.RetryAfter, Err: err, Attrs: l.attrs})
			return err
		}
		return next(ratelimit.ContextWithStatus(ctx, d.Status))
	}
}

func (l *Limiter) key(ctx context.Context) string {
	if l.cfg.keyFunc != nil {
		return l.cfg.keyFunc(ctx)
	}
	if c := paved.CallFrom(ctx); c != nil {
		return c.Key()
	}
	return ""
}

// Allow decides one call of key, taking its token when admitted. It asks
// Redis, within the decision timeout; when Redis cannot answer, the
// fallback decides (Decision.Local) or, failing closed, Allow returns a
// paved.NewRejection of ErrUnavailable. It returns ctx's error when ctx
// ends first.
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	if u := l.downUntil.Load(); u != 0 {
		if rest := time.Duration(u - l.now()); rest > 0 {
			return l.fallback(key, rest)
		}
	}
	c, callerBound := l.client(ctx)
	rctx, cancel := context.WithTimeout(ctx, l.cfg.timeout)
	res, err := gcraScript.Run(rctx, c, []string{l.storeKey(key)}, l.args...).Int64Slice()
	cancel()
	if err == nil && len(res) != 2 {
		err = errors.New("redisrate: unexpected script reply")
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return Decision{}, cerr // the caller gave up; Redis may be fine
		}
		if callerBound && paved.IsTimeout(err) {
			// The caller's deadline, as the read timeout it was given:
			// Redis may be fine.
			return Decision{}, context.DeadlineExceeded
		}
		l.storeFailed(ctx, err)
		return l.fallback(key, l.cfg.retry)
	}
	if l.downUntil.Load() != 0 && l.downUntil.Swap(0) != 0 {
		paved.Emit(ctx, telemetry.Event{Name: EventStoreRestored, Policy: "ratelimit", Attrs: l.attrs})
	}
	allowed, ahead := res[0] == 1, res[1]
	r, reset := gcra.Remaining(l.interval, l.limit, ahead)
	d := Decision{Allowed: allowed, Status: ratelimit.Status{
		Policy: l.cfg.name, Quota: l.quota, Window: l.window,
		Remaining: r, Reset: time.Duration(reset) * time.Microsecond,
	}}
	if !allowed {
		d.RetryAfter = time.Duration(ahead+l.interval-l.limit) * time.Microsecond
		d.Status.Remaining = 0
		d.Status.Reset = max(d.Status.Reset, d.RetryAfter)
	}
	return d, nil
}

// client is the client to decide with for a caller whose context is ctx,
// and whether its timeout is the caller's deadline. go-redis ignores context
// deadlines unless ContextTimeoutEnabled is set, so for a *redis.Client
// without it, a deadline sooner than the decision timeout becomes the read
// and write timeout of a view made for this decision (WithTimeout, sharing
// the pool).
func (l *Limiter) client(ctx context.Context) (redis.UniversalClient, bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return l.c, false
	}
	rest := time.Until(dl)
	if rest >= l.cfg.timeout {
		return l.c, false
	}
	if rc, ok := l.c.(*redis.Client); ok && !rc.Options().ContextTimeoutEnabled {
		return rc.WithTimeout(max(rest, time.Millisecond)), true
	}
	return l.c, false
}

// storeKey is key's Redis key: the prefix, the caller's key as the Redis
// Cluster hash tag (so every key of one caller is in one slot), and the
// limit's name.
func (l *Limiter) storeKey(key string) string {
	return l.cfg.prefix + "{" + ratekey.Normalize(key, l.cfg.maxKeyLn) + "}:" + l.cfg.name
}

func (l *Limiter) now() int64 { return int64(l.cfg.clk.Since(l.origin)) }

// storeFailed stops asking Redis for StoreRetry, reporting the outage once.
func (l *Limiter) storeFailed(ctx context.Context, err error) {
	if l.downUntil.Swap(max(1, l.now()+int64(l.cfg.retry))) == 0 {
		paved.Emit(ctx, telemetry.Event{Name: EventStoreUnavailable, Policy: "ratelimit", Err: err, Attrs: l.attrs})
	}
}

// fallback decides while Redis cannot: the local share of the limit, or a
// refusal when failing closed. rest is how long until Redis is asked again.
func (l *Limiter) fallback(key string, rest time.Duration) (Decision, error) {
	if l.cfg.failClosed {
		return Decision{}, paved.NewRejection(ErrUnavailable, rest)
	}
	ok, st := l.local.Allow(key)
	d := Decision{Allowed: ok, Status: st, Local: true}
	if !ok {
		d.RetryAfter = st.Reset
	}
	return d, nil
}
