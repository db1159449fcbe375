package breaker

import (
	"container/list"
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/paved-go/paved"
)

// Keyed is a set of breakers, one per key, made by PerKey. It is a
// paved.Middleware and safe for concurrent use.
type Keyed struct {
	keyFunc func(ctx context.Context) string
	cfg     config
	seed    maphash.Seed
	origin  time.Time // keyedEntry.last is a duration since it (monotonic)

	mu  sync.Mutex
	lru *list.List // of *keyedEntry, most recently used first
	m   map[string]*list.Element
}

type keyedEntry struct {
	key  string
	b    *Breaker
	last int64 // when it was last used: cfg.clk.Since(Keyed.origin)
}

var _ paved.Middleware = (*Keyed)(nil)

// PerKey returns a middleware that keeps a breaker per key, keyFunc(ctx)
// telling the key of each call (a host, an operation: paved.CallFrom(ctx).
// Operation()). Breakers are created on demand with opts and named after
// their key. At most MaxKeys are kept (default 1024; the least recently used
// is evicted, losing its state) and one unused for IdleTimeout (default 10m)
// is dropped, so hostile or high-cardinality keys cannot exhaust memory.
// Per-key breakers report events but not the resilience.breaker.state gauge.
// keyFunc must not be nil.
func PerKey(keyFunc func(ctx context.Context) string, opts ...Option) (*Keyed, error) {
	if keyFunc == nil {
		return nil, errors.New("breaker: PerKey keyFunc must not be nil")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	cfg.noGauge = true
	return &Keyed{keyFunc: keyFunc, cfg: cfg, seed: maphash.MakeSeed(), origin: cfg.clk.Now(),
		lru: list.New(), m: map[string]*list.Element{}}, nil
}

// MustPerKey is PerKey that panics on an invalid option.
func MustPerKey(keyFunc func(ctx context.Context) string, opts ...Option) *Keyed {
	k, err := PerKey(keyFunc, opts...)
	if err != nil {
		panic(err)
	}
	return k
}

// Wrap returns next guarded by the breaker of each call's key.
func (k *Keyed) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		return k.get(k.keyFunc(ctx)).run(ctx, next)
	}
}

// Breaker returns the breaker of key, creating it if needed, for manual
// control (ForceOpen) and inspection.
func (k *Keyed) Breaker(key string) *Breaker { return k.get(key) }

// Len returns how many breakers are kept now, idle ones not yet dropped
// included.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lru.Len()
}

func (k *Keyed) get(key string) *Breaker {
	k.mu.Lock()
	defer k.mu.Unlock()
	// Read under the lock, so the list's order agrees with last.
	now := int64(k.cfg.clk.Since(k.origin))
	if el, ok := k.m[key]; ok {
		e := el.Value.(*keyedEntry)
		if now-e.last <= int64(k.cfg.idle) {
			e.last = now
			k.lru.MoveToFront(el)
			return e.b
		}
		// Idle: drop it here rather than leave it to the sweep, which stops at
		// the first entry still in use and may not reach it. Left in the list,
		// its later eviction would delete the new entry's mapping.
		k.lru.Remove(el)
		delete(k.m, key)
	}
	// Drop idle breakers from the cold end, then make room.
	for el := k.lru.Back(); el != nil; el = k.lru.Back() {
		if e := el.Value.(*keyedEntry); now-e.last > int64(k.cfg.idle) || k.lru.Len() >= k.cfg.maxKeys {
			k.lru.Remove(el)
			delete(k.m, e.key)
			continue
		}
		break
	}
	cfg := k.cfg
	// Distinct seeds, so breakers of different keys jitter differently even
	// when a test fixes the seed.
	cfg.seed ^= maphash.String(k.seed, key)
	e := &keyedEntry{key: key, b: newBreaker(key, cfg), last: now}
	k.m[key] = k.lru.PushFront(e)
	return e.b
}
