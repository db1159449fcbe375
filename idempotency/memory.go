package idempotency

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/paved-go/paved/clock"
)

// Memory store defaults.
const (
	DefaultMemoryMaxRecords = 100_000
	DefaultMemoryMaxBytes   = 256 << 20
)

// MemoryStore is a Store in this process's memory: the default store of a
// Guard, good for one server instance (several instances need a shared
// store: redisstore, pgstore). It is bounded: at most MaxRecords records and
// MaxBytes bytes of stored responses. Records are dropped when their lease
// or retention passes (a few at each claim, all of them when full); when it
// is full of live records a Claim fails with ErrStoreFull, so the Guard
// refuses the request rather than forgetting a key that might be retried —
// forgetting it would run the request twice.
//
// Its zero value is not usable; make one with NewMemoryStore. It is safe for
// concurrent use: one mutex, held for a map lookup and a heap update.
type MemoryStore struct {
	clk        clock.Clock
	maxRecords int
	maxBytes   int64

	mu    sync.Mutex
	recs  map[memKey]*memRecord
	queue expiryQueue
	bytes int64
}

type memKey struct{ scope, key string }

type memRecord struct {
	k       memKey
	fp      string
	token   string // "" once done
	result  []byte
	expires int64 // Unix nanoseconds: cheaper to compare than a time.Time
	index   int   // in queue
}

// MemoryOption configures a MemoryStore.
type MemoryOption func(*memConfig)

type memConfig struct {
	clk        clock.Clock
	maxRecords int
	maxBytes   int64
}

// WithMaxRecords bounds how many records the store keeps. Must be
// 1..100000000. Default 100000.
func WithMaxRecords(n int) MemoryOption { return func(c *memConfig) { c.maxRecords = n } }

// WithMaxBytes bounds the bytes of stored responses the store keeps. Must
// be 1024..68719476736 (64 GiB). Default 256 MiB.
func WithMaxBytes(n int64) MemoryOption { return func(c *memConfig) { c.maxBytes = n } }

// WithMemoryClock sets the clock leases and retention are measured on. For
// tests; default clock.Real().
func WithMemoryClock(clk clock.Clock) MemoryOption { return func(c *memConfig) { c.clk = clk } }

// NewMemoryStore returns an empty MemoryStore. It panics when an option is
// out of range (a programmer error); NewMemoryStoreE returns the error.
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	s, err := NewMemoryStoreE(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// NewMemoryStoreE is NewMemoryStore returning an error naming the option and
// its allowed range when one is invalid.
func NewMemoryStoreE(opts ...MemoryOption) (*MemoryStore, error) {
	c := memConfig{maxRecords: DefaultMemoryMaxRecords, maxBytes: DefaultMemoryMaxBytes}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	switch {
	case c.maxRecords < 1 || c.maxRecords > 100_000_000:
		return nil, fmt.Errorf("idempotency: MaxRecords must be 1..100000000, got %d", c.maxRecords)
	case c.maxBytes < 1024 || c.maxBytes > 64<<30:
		return nil, fmt.Errorf("idempotency: MaxBytes must be 1024..68719476736, got %d", c.maxBytes)
	}
	return &MemoryStore{clk: c.clk, maxRecords: c.maxRecords, maxBytes: c.maxBytes, recs: make(map[memKey]*memRecord)}, nil
}

var _ Store = (*MemoryStore)(nil)

// sweepPerClaim bounds the expired records a claim drops, so no claim pays
// for a large backlog; a full store drops them all.
const sweepPerClaim = 8

// Claim implements Store.
func (s *MemoryStore) Claim(ctx context.Context, c Claim) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	now := s.clk.Now().UnixNano()
	k := memKey{c.Scope, c.Key}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now, sweepPerClaim)
	if r, ok := s.recs[k]; ok {
		if now < r.expires {
			if r.token != "" {
				return Record{State: StateInFlight, Fingerprint: r.fp}, nil
			}
			return Record{State: StateDone, Fingerprint: r.fp, Result: r.result}, nil
		}
		s.removeLocked(r)
	}
	if len(s.recs) >= s.maxRecords {
		s.sweepLocked(now, len(s.recs))
		if len(s.recs) >= s.maxRecords {
			return Record{}, ErrStoreFull
		}
	}
	r := &memRecord{k: k, fp: c.Fingerprint, token: c.Token, expires: now + int64(c.Lease)}
	s.recs[k] = r
	heap.Push(&s.queue, r)
	return Record{State: StateClaimed}, nil
}

// Complete implements Store.
func (s *MemoryStore) Complete(ctx context.Context, scope, key, token string, result []byte, retention time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.clk.Now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[memKey{scope, key}]
	if !ok || r.token == "" || r.token != token || now >= r.expires {
		return ErrLeaseLost
	}
	n := int64(len(result))
	if s.bytes+n > s.maxBytes {
		s.sweepLocked(now, len(s.recs))
		if s.bytes+n > s.maxBytes {
			return ErrStoreFull
		}
	}
	r.token, r.result, r.expires = "", result, now+int64(retention)
	s.bytes += n
	heap.Fix(&s.queue, r.index)
	return nil
}

// Release implements Store.
func (s *MemoryStore) Release(ctx context.Context, scope, key, token string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[memKey{scope, key}]
	if !ok || r.token == "" || r.token != token {
		return ErrLeaseLost
	}
	s.removeLocked(r)
	return nil
}

// Len returns how many records the store holds, expired ones not yet
// dropped included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recs)
}

// sweepLocked drops up to n records whose time has passed, soonest first.
func (s *MemoryStore) sweepLocked(now int64, n int) {
	for ; n > 0 && len(s.queue) > 0 && now >= s.queue[0].expires; n-- {
		s.removeLocked(s.queue[0])
	}
}

func (s *MemoryStore) removeLocked(r *memRecord) {
	heap.Remove(&s.queue, r.index)
	delete(s.recs, r.k)
	s.bytes -= int64(len(r.result))
}

// expiryQueue is a min-heap of records by expiry.
type expiryQueue []*memRecord

func (q expiryQueue) Len() int           { return len(q) }
func (q expiryQueue) Less(i, j int) bool { return q[i].expires < q[j].expires }
func (q expiryQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *expiryQueue) Push(x any) {
	r := x.(*memRecord)
	r.index = len(*q)
	*q = append(*q, r)
}
func (q *expiryQueue) Pop() any {
	old := *q
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return r
}
