package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"golang.org/x/time/rate"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/ratekey"
)

// Keyed is a server-side rate limit per caller: each key (the caller's key
// the server adapters put on the call, or WithKeyFunc's) has a limit of its
// own, r per second with bursts of up to burst. Make one with PerKey; it is a
// paved.Middleware and safe for concurrent use.
//
// Each key's state is one number, GCRA's theoretical arrival time (the
// generic cell rate algorithm: the same token bucket as rate.Limiter's, kept
// as the time at which the bucket would be full again), so a caller costs
// about 120 bytes with its key, and a caller whose bucket is full again
// costs nothing: its entry is dropped. At most MaxKeys callers are kept
// (default 100000, the least recently used dropped beyond it), and keys
// longer than MaxKeyLength or not plain printable ASCII are kept as
// 23-byte digests, so callers inventing keys cannot exhaust memory
// (BenchmarkPerKeyDistinctKeys: a million distinct keys stay within the
// bound).
//
// A call over its caller's limit is refused at once with a *LimitedError
// (ErrLimited, paved.ErrRejected) carrying the wait as its RetryAfter, which
// pavedhttp answers with 429, Retry-After and the RateLimit fields, and
// pavedgrpc with RESOURCE_EXHAUSTED and grpc-retry-pushback-ms. WithMaxWait
// lets calls wait instead, within their deadline. An admitted call's Status
// reaches the handler (AppendStatuses), so successful responses carry the
// RateLimit fields too.
type Keyed struct {
	cfg      config
	interval int64 // ns per token: GCRA's emission interval T
	limit    int64 // burst × T: how far ahead of now a key's tat may run
	origin   time.Time
	attrs    []attribute.KeyValue
	keyFunc  func(ctx context.Context) string

	mu   sync.Mutex
	m    map[string]*keyEntry
	head keyEntry // sentinel of the LRU list: head.next is the most recent
}

type keyEntry struct {
	key        string
	tat        int64 // since origin; the bucket is full at and after tat
	prev, next *keyEntry
}

var _ paved.Middleware = (*Keyed)(nil)

// PerKey returns a limit of r calls per second, up to burst at once, for each
// caller key. It returns an error naming the field when r, burst or an
// option is out of range (r > 0 and at most 1e9, burst 1..1e9).
func PerKey(r rate.Limit, burst int, opts ...Option) (*Keyed, error) {
	cfg, err := newConfig(r, burst, true, opts)
	if err != nil {
		return nil, err
	}
	interval := max(1, int64(math.Round(float64(time.Second)/float64(r))))
	k := &Keyed{
		cfg: cfg, interval: interval, limit: interval * int64(burst),
		origin: cfg.clk.Now(), attrs: policyAttrs(cfg.name), keyFunc: cfg.keyFunc,
		m: make(map[string]*keyEntry),
	}
	if k.limit/int64(burst) != interval { // burst × T overflows: nearly unlimited
		k.limit = math.MaxInt64 / 4
	}
	k.head.prev, k.head.next = &k.head, &k.head
	return k, nil
}

// MustPerKey is PerKey that panics on an invalid argument.
func MustPerKey(r rate.Limit, burst int, opts ...Option) *Keyed {
	k, err := PerKey(r, burst, opts...)
	if err != nil {
		panic(err)
	}
	return k
}

// Wrap returns next behind each caller's limit. The returned Op is safe for
// concurrent use.
func (k *Keyed) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		st, err := k.admit(ctx, k.key(ctx))
		if err != nil {
			return err
		}
		return next(withStatus(ctx, st))
	}
}

func (k *Keyed) key(ctx context.Context) string {
	if k.keyFunc != nil {
		return k.keyFunc(ctx)
	}
	if c := paved.CallFrom(ctx); c != nil {
		return c.Key()
	}
	return ""
}

// Allow reports whether a call of key is admitted now, taking its token if
// so, with the key's Status after the decision. It never waits.
func (k *Keyed) Allow(key string) (bool, Status) {
	now := int64(k.cfg.clk.Since(k.origin))
	ok, _, st := k.take(ratekey.Normalize(key, k.cfg.maxKeyLn), now, 0)
	return ok, st
}

// Status returns key's state now, taking nothing.
func (k *Keyed) Status(key string) Status {
	now := int64(k.cfg.clk.Since(k.origin))
	key = ratekey.Normalize(key, k.cfg.maxKeyLn)
	k.mu.Lock()
	tat := now
	if e, ok := k.m[key]; ok && e.tat > now {
		tat = e.tat
	}
	k.mu.Unlock()
	return k.status(now, tat)
}

// Len returns how many keys hold state now (full buckets not yet dropped
// included).
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}

func (k *Keyed) admit(ctx context.Context, key string) (Status, error) {
	key = ratekey.Normalize(key, k.cfg.maxKeyLn)
	clk := k.cfg.clk
	now := int64(clk.Since(k.origin))
	budget := k.cfg.maxWait
	if dl, ok := ctx.Deadline(); ok && budget > 0 {
		// Waiting up to the deadline leaves no time for the call itself.
		budget = min(budget, dl.Sub(clk.Now())-1)
	}
	ok, wait, st := k.take(key, now, budget)
	if ok {
		if wait > 0 {
			if err := clock.Sleep(ctx, clk, wait); err != nil {
				k.giveBack(key)
				return st, err
			}
		}
		return st, nil
	}
	err := NewLimitedError(st, wait)
	emitLimited(ctx, err, wait, k.attrs)
	return st, err
}

// take decides for key at now: it admits the call when its bucket has a
// token, or when the token comes within budget (then wait is how long the
// call must wait for it); otherwise it refuses, and wait is the time until
// a token comes. st is the key's Status after the decision.
func (k *Keyed) take(key string, now int64, budget time.Duration) (ok bool, wait time.Duration, st Status) {
	k.mu.Lock()
	e, found := k.m[key]
	tat := now
	if found && e.tat > now {
		tat = e.tat
	}
	next := tat + k.interval // the tat if this call is admitted
	// Admitted now when next - now <= limit; else it must wait for the excess.
	wait = time.Duration(next - now - k.limit)
	if wait <= 0 || wait <= budget {
		ok = true
		if !found {
			e = &keyEntry{key: key, tat: next}
			k.m[key] = e
			k.pushFront(e)
			k.evict(now)
		} else {
			e.tat = next
			k.moveToFront(e)
		}
		tat = next
	}
	k.mu.Unlock()
	st = k.status(now, tat)
	if !ok {
		st.Remaining = 0
		st.Reset = max(st.Reset, wait)
	}
	return ok, max(wait, 0), st
}

// giveBack returns the token of a call that gave up waiting for it.
func (k *Keyed) giveBack(key string) {
	k.mu.Lock()
	if e, ok := k.m[key]; ok {
		e.tat -= k.interval
	}
	k.mu.Unlock()
}

// status is the Status of a key whose tat is tat (>= now).
func (k *Keyed) status(now, tat int64) Status {
	s := Status{Policy: k.cfg.name, Quota: k.cfg.quota(), Window: k.cfg.window}
	ahead := tat - now // how far the bucket is from full, as time
	free := k.limit - ahead
	s.Remaining = max(0, free/k.interval)
	if s.Remaining > 0 {
		s.Reset = time.Duration(ahead)
	} else {
		s.Reset = time.Duration(k.interval - free) // until the next token
	}
	return s
}

// evict drops, from the cold end, entries whose bucket is full again (they
// carry no state), and the least recently used while there are more than
// MaxKeys. Called with mu held, after an insert.
func (k *Keyed) evict(now int64) {
	for e := k.head.prev; e != &k.head; e = k.head.prev {
		if e.tat > now && len(k.m) <= k.cfg.maxKeys {
			return
		}
		k.unlink(e)
		delete(k.m, e.key)
	}
}

func (k *Keyed) pushFront(e *keyEntry) {
	e.prev, e.next = &k.head, k.head.next
	k.head.next.prev = e
	k.head.next = e
}

func (k *Keyed) unlink(e *keyEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (k *Keyed) moveToFront(e *keyEntry) {
	if k.head.next == e {
		return
	}
	k.unlink(e)
	k.pushFront(e)
}
