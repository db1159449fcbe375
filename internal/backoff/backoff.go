// Package backoff computes retry delays: exponential backoff with the jitter
// modes of the AWS Architecture Blog's "Exponential Backoff and Jitter"
// (docs/reference.md, "Retry and backoff"). It serves retry and is kept
// internal until it deserves an API, as grpc-go does with its own.
package backoff

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Jitter selects how a delay is randomized.
type Jitter uint8

// Jitter modes.
const (
	// Full: U(0, d). Least total work under contention; the default.
	Full Jitter = iota
	// Equal: d/2 + U(0, d/2).
	Equal
	// Decorrelated: min(max, U(base, 3*previous)), the previous starting at base.
	Decorrelated
	// None: d exactly. Synchronizes clients; only for tests and special cases.
	None
)

// String returns the mode's name as configuration spells it.
func (j Jitter) String() string {
	switch j {
	case Full:
		return "full"
	case Equal:
		return "equal"
	case Decorrelated:
		return "decorrelated"
	case None:
		return "none"
	}
	return "unknown"
}

// Exponential returns min(max, base * 2^(n-1)) for retry n >= 1, without
// overflowing.
func Exponential(base, max time.Duration, n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := base
	for i := 1; i < n; i++ {
		if d >= max/2 {
			return max
		}
		d *= 2
	}
	return min(d, max)
}

// Rand is the randomness Delay draws from: a uniform int64 in [0, n).
type Rand interface {
	Int64N(n int64) int64
}

// Global is the runtime's concurrency-safe source (math/rand/v2's top-level
// functions): no lock, no shared state to contend on.
type Global struct{}

// Int64N returns rand.Int64N(n).
func (Global) Int64N(n int64) int64 { return rand.Int64N(n) }

// Locked makes a seeded *rand.Rand (which is not safe for concurrent use)
// usable by concurrent calls, for deterministic tests.
type Locked struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewLocked returns a Locked drawing from src.
func NewLocked(src rand.Source) *Locked { return &Locked{r: rand.New(src)} }

// Int64N returns a uniform int64 in [0, n).
func (l *Locked) Int64N(n int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Int64N(n)
}

// uniform returns U(lo, hi), hi included when it can be; lo when hi <= lo.
func uniform(r Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
}

// Delay returns the wait before retry n (n >= 1) in mode j. prev is the
// previous delay this call waited (0 before the first retry); only
// Decorrelated uses it. The result is always in [0, max].
func Delay(j Jitter, base, max time.Duration, n int, prev time.Duration, r Rand) time.Duration {
	switch j {
	case Equal:
		d := Exponential(base, max, n)
		return d/2 + uniform(r, 0, d-d/2)
	case Decorrelated:
		if prev < base {
			prev = base
		}
		hi := max
		if prev <= max/3 {
			hi = min(3*prev, max)
		}
		return min(uniform(r, min(base, max), hi), max)
	case None:
		return Exponential(base, max, n)
	}
	return uniform(r, 0, Exponential(base, max, n))
}
