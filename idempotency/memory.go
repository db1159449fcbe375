package idempotency

import (
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

	mu     sync.Mutex
	recs   map[memKey]*memRecord
	queues []*expiryQueue // one per duration seen: see expiryQueue
	bytes  int64
}

type memKey struct{ scope, key string }

type memRecord struct {
	k       memKey
	fp      string
	token   string // "" once done
	result  []byte
	expires int64 // Unix nanoseconds: cheaper to compare than a time.Time
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
	s.queue(c.Lease).push(r)
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
	s.queue(retention).push(r) // its lease's entry goes stale
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

// sweepLocked drops up to n records whose time has passed.
func (s *MemoryStore) sweepLocked(now int64, n int) {
	for _, q := range s.queues {
		for n > 0 {
			e, ok := q.popExpired(now)
			if !ok {
				break
			}
			if cur, live := s.recs[e.r.k]; live && cur == e.r && e.r.expires == e.expires {
				s.removeLocked(e.r)
				n--
			}
		}
	}
}

func (s *MemoryStore) removeLocked(r *memRecord) {
	delete(s.recs, r.k)
	s.bytes -= int64(len(r.result))
}

// queue returns the expiry queue of records kept for d.
func (s *MemoryStore) queue(d time.Duration) *expiryQueue {
	for _, q := range s.queues {
		if q.d == d {
			return q
		}
	}
	q := &expiryQueue{d: d}
	s.queues = append(s.queues, q)
	return q
}

// expiryQueue holds the records kept for one duration, in the order they
// were given it, which is the order they expire in: a FIFO does what a
// heap would, in O(1). A record moves queue when it completes (lease to
// retention); the entry it leaves is stale, known by its expiry no longer
// being the record's, and dropped when it reaches the head. Guards use one
// lease and one retention, so a store has a queue or two per Guard.
type expiryQueue struct {
	d       time.Duration
	entries []expiryEntry
	head    int
}

type expiryEntry struct {
	r       *memRecord
	expires int64
}

func (q *expiryQueue) push(r *memRecord) {
	if q.head > 64 && q.head*2 > len(q.entries) { // reuse the room the head left
		n := copy(q.entries, q.entries[q.head:])
		clear(q.entries[n:])
		q.entries, q.head = q.entries[:n], 0
	}
	q.entries = append(q.entries, expiryEntry{r, r.expires})
}

// popExpired removes and returns the head entry if its time has passed.
func (q *expiryQueue) popExpired(now int64) (expiryEntry, bool) {
	if q.head == len(q.entries) || q.entries[q.head].expires > now {
		return expiryEntry{}, false
	}
	e := q.entries[q.head]
	q.entries[q.head] = expiryEntry{}
	q.head++
	return e, true
}
