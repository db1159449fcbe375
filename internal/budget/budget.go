// Package budget is the retry budget that retry and hedge share: over a
// sliding window, extra attempts may add at most Ratio of the calls made, plus
// a floor of MinPerSecond per second of the window, so an outage cannot
// multiply the load on a struggling dependency (REFERENCE.md, "Retry budgets";
// the Linkerd/Finagle budget, with the window of Envoy's and gRPC's concerns).
//
// Budget is built for its success path: RecordCall is one atomic add, and only
// every 64th call reads the clock. The rare withdrawals (a retry or a hedge,
// which wait anyway) take a mutex, so the bound holds exactly under
// concurrency: retries in any window <= Ratio*calls + MinPerSecond*window.
package budget

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved/internal/clock"
)

// Config is a budget's shape. Defaults: Ratio 0.1, MinPerSecond 10, Window 10s.
type Config struct {
	Ratio        float64       // extra attempts per call, 0..1
	MinPerSecond float64       // extra attempts always allowed per second, >= 0
	Window       time.Duration // how far back calls and retries count, 1s..1h, whole seconds
}

// DefaultConfig is the paved default.
var DefaultConfig = Config{Ratio: 0.1, MinPerSecond: 10, Window: 10 * time.Second}

// Validate reports the first out-of-range field, named as prefix+field.
func (c Config) Validate(prefix string) error {
	switch {
	case !(c.Ratio >= 0 && c.Ratio <= 1):
		return fmt.Errorf("%sBudget ratio must be 0..1, got %v", prefix, c.Ratio)
	case !(c.MinPerSecond >= 0) || math.IsInf(c.MinPerSecond, 0):
		return fmt.Errorf("%sBudget min_per_second must be >= 0, got %v", prefix, c.MinPerSecond)
	case c.Window < time.Second || c.Window > time.Hour || c.Window%time.Second != 0:
		return fmt.Errorf("%sBudget window must be whole seconds in 1s..1h, got %v", prefix, c.Window)
	}
	return nil
}

// sampleMask: every (mask+1)th call reads the clock to start a new second.
const sampleMask = 63

// Budget counts calls and extra attempts per second in a ring of one-second
// slots. It is safe for concurrent use.
type Budget struct {
	calls   atomic.Int64 // cumulative calls
	lastSec atomic.Int64 // the newest second a slot was started for

	ratio, floor float64
	clock        clock.Clock
	origin       time.Time

	mu    sync.Mutex
	slots []slot
}

// slot is one second of the window: the cumulative call count when it
// started (calls in the window = calls now - callsAt of its oldest slot) and
// the extra attempts it allowed. Guarded by Budget.mu.
type slot struct {
	sec     int64 // seconds since origin, plus 1; 0 = never used
	callsAt int64
	retries int64
}

// New returns a Budget for cfg, which must be valid (Config.Validate), timed by c.
func New(cfg Config, c clock.Clock) *Budget {
	w := int64(cfg.Window / time.Second)
	return &Budget{
		ratio:  cfg.Ratio,
		floor:  cfg.MinPerSecond * float64(w),
		clock:  c,
		origin: c.Now(),
		slots:  make([]slot, w),
	}
}

func (b *Budget) second() int64 { return int64(b.clock.Since(b.origin)/time.Second) + 1 }

// RecordCall counts a call (its first attempt). Cheap: one atomic add.
func (b *Budget) RecordCall() {
	if b.calls.Add(1)&sampleMask == 0 {
		if sec := b.second(); b.lastSec.Load() != sec {
			b.mu.Lock()
			b.rotateLocked(sec)
			b.mu.Unlock()
		}
	}
}

func (b *Budget) rotateLocked(sec int64) *slot {
	s := &b.slots[sec%int64(len(b.slots))]
	if s.sec != sec {
		*s = slot{sec: sec, callsAt: b.calls.Load()}
	}
	if sec > b.lastSec.Load() {
		b.lastSec.Store(sec)
	}
	return s
}

// Withdraw asks for one extra attempt (a retry or a hedge) and counts it if
// allowed.
func (b *Budget) Withdraw() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	sec := b.second()
	cur := b.rotateLocked(sec)
	calls, retries := b.windowLocked(sec)
	if float64(retries+1) > b.ratio*float64(calls)+b.floor {
		return false
	}
	cur.retries++
	return true
}

// Reserve is Withdraw for an extra attempt that may yet not happen (a retry
// about to wait its backoff): it also returns a receipt that Refund takes back
// if the attempt is abandoned, so a caller that gives up during the wait spends
// nothing, while calls waiting at once can never overspend the budget.
func (b *Budget) Reserve() (receipt int64, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sec := b.second()
	cur := b.rotateLocked(sec)
	calls, retries := b.windowLocked(sec)
	if float64(retries+1) > b.ratio*float64(calls)+b.floor {
		return 0, false
	}
	cur.retries++
	return sec, true
}

// Refund returns the extra attempt a Reserve counted, if its second is still
// in the window.
func (b *Budget) Refund(receipt int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.slots {
		if s := &b.slots[i]; s.sec == receipt && s.retries > 0 {
			s.retries--
			return
		}
	}
}

// windowLocked returns the calls and extra attempts of the window ending at sec.
// Calls made before the oldest slot started are not counted: the estimate
// errs toward fewer retries.
func (b *Budget) windowLocked(sec int64) (calls, retries int64) {
	oldest := int64(-1)
	w := int64(len(b.slots))
	for i := range b.slots {
		s := &b.slots[i]
		if s.sec == 0 || s.sec <= sec-w {
			continue
		}
		retries += s.retries
		if oldest < 0 || s.callsAt < oldest {
			oldest = s.callsAt
		}
	}
	return b.calls.Load() - oldest, retries
}

// Stats returns the calls and extra attempts the current window holds, for
// tests and telemetry.
func (b *Budget) Stats() (calls, retries int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sec := b.second()
	b.rotateLocked(sec)
	return b.windowLocked(sec)
}
