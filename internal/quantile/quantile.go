// Package quantile tracks a quantile (such as p95) of recent latencies, for
// the adaptive hedging delay: "hedge when an attempt is slower than 95% of
// recent ones" needs no hand-tuned number (docs/reference.md, "Hedging"; The
// Tail at Scale, Dean and Barroso 2013).
//
// Record is lock-free: one atomic add and one atomic store into a ring of the
// last Window samples. Every 64th sample one caller sorts a copy of the ring
// (about 20 µs for 512 samples, so ~300 ns amortized per sample) and caches
// the quantile, which Quantile reads with one atomic load.
package quantile

import (
	"math"
	"slices"
	"sync/atomic"
	"time"
)

// recomputeEvery is how many samples pass between recomputations.
const recomputeEvery = 64

// Tracker is safe for concurrent use.
type Tracker struct {
	q          float64
	minSamples uint64
	n          atomic.Uint64
	ring       []atomic.Int64
	cached     atomic.Int64 // 0 until minSamples were recorded
	computing  atomic.Bool
}

// New returns a Tracker of quantile q (0 < q < 1) over the last window
// samples, which reports nothing until minSamples (1..window) were recorded.
func New(q float64, window, minSamples int) *Tracker {
	return &Tracker{q: q, minSamples: uint64(minSamples), ring: make([]atomic.Int64, window)}
}

// Record adds a sample.
func (t *Tracker) Record(d time.Duration) {
	if d <= 0 {
		d = 1 // 0 means "not ready" in cached
	}
	i := t.n.Add(1)
	t.ring[(i-1)%uint64(len(t.ring))].Store(int64(d))
	if i >= t.minSamples && (i == t.minSamples || i%recomputeEvery == 0) {
		t.recompute(i)
	}
}

func (t *Tracker) recompute(n uint64) {
	if !t.computing.CompareAndSwap(false, true) {
		return // another caller is at it; the next round will catch up
	}
	defer t.computing.Store(false)
	size := min(n, uint64(len(t.ring)))
	s := make([]int64, 0, size)
	for i := range size {
		// A slot is claimed (n.Add) before it is stored, so a concurrent
		// recorder's slot may still be empty. Samples are never 0 (Record
		// clamps them to 1): a 0 is such a slot, not a sample.
		if v := t.ring[i].Load(); v > 0 {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return
	}
	slices.Sort(s)
	idx := int(math.Ceil(t.q*float64(len(s)))) - 1
	idx = max(0, min(idx, len(s)-1))
	t.cached.Store(s[idx])
}

// Quantile returns the cached quantile, and false until enough samples were
// recorded.
func (t *Tracker) Quantile() (time.Duration, bool) {
	v := t.cached.Load()
	return time.Duration(v), v > 0
}

// Count returns how many samples were recorded in all.
func (t *Tracker) Count() int { return int(t.n.Load()) }
