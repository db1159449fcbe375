package loadshed

import (
	"math"
	"sync"
	"time"
)

// fairShare tracks how much of the server each caller key uses — the time
// its requests held a slot — so that, within one criticality, a key using
// more than its share is shed before the others. failsafe-go's
// priority.UsageTracker is the anchor (usage per user over a window, users
// ranked by it when the limiter is overloaded); this one keeps, per key, an
// exponentially decayed sum rather than buckets, which is one float and one
// time per key, and compares each key with the mean of the keys seen
// recently rather than ranking them all, so a lookup is O(1) and no
// periodic calibration is needed.
//
// A key's usage u decays as u·exp(-Δt/τ), τ = window. The total decays the
// same way, so it stays the sum of the keys' usages. A key is over its share
// when u > (1+tolerance)·total/n, n the keys tracked. Keys whose usage has
// decayed below a thousandth of the mean are dropped on the next prune
// (every window/4), so n counts the keys active lately; at most maxKeys are
// tracked, and an untracked key is treated as within its share.
type fairShare struct {
	tau       float64 // window in seconds
	maxKeys   int
	tolerance float64

	mu        sync.Mutex
	keys      map[string]*usage
	total     float64
	totalAt   time.Duration
	nextPrune time.Duration
}

type usage struct {
	u  float64 // slot-seconds, decayed to at
	at time.Duration
}

func newFairShare(window time.Duration, maxKeys int, tolerance float64) *fairShare {
	return &fairShare{
		tau: window.Seconds(), maxKeys: maxKeys, tolerance: tolerance,
		keys: make(map[string]*usage), nextPrune: window / 4,
	}
}

func (f *fairShare) decay(u float64, from, to time.Duration) float64 {
	if to <= from {
		return u
	}
	return u * math.Exp(-(to-from).Seconds()/f.tau)
}

// record adds held, the time a request of key held a slot, at now.
func (f *fairShare) record(key string, held, now time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.total = f.decay(f.total, f.totalAt, now) + held.Seconds()
	f.totalAt = now
	if now >= f.nextPrune {
		f.prune(now)
	}
	e := f.keys[key]
	if e == nil {
		if len(f.keys) >= f.maxKeys {
			return
		}
		e = &usage{at: now}
		f.keys[key] = e
	}
	e.u = f.decay(e.u, e.at, now) + held.Seconds()
	e.at = now
}

// over reports whether key uses more than its share at now.
func (f *fairShare) over(key string, now time.Duration) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now >= f.nextPrune {
		f.prune(now)
	}
	e := f.keys[key]
	if e == nil || len(f.keys) < 2 {
		return false
	}
	mean := f.decay(f.total, f.totalAt, now) / float64(len(f.keys))
	return f.decay(e.u, e.at, now) > (1+f.tolerance)*mean
}

// prune drops the keys whose usage has decayed to nothing next to the mean.
func (f *fairShare) prune(now time.Duration) {
	f.nextPrune = now + time.Duration(f.tau*float64(time.Second)/4)
	if len(f.keys) == 0 {
		return
	}
	total := f.decay(f.total, f.totalAt, now)
	floor := total / float64(len(f.keys)) / 1000
	for k, e := range f.keys {
		if f.decay(e.u, e.at, now) <= floor {
			delete(f.keys, k)
		}
	}
	// The total keeps the usage of the dropped keys, a thousandth of the
	// mean each at most: recomputing it would cost another pass for nothing.
}

// tracked returns how many keys are tracked: for tests.
func (f *fairShare) tracked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.keys)
}
