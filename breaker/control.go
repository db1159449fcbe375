package breaker

import (
	"context"
	"time"
)

// ForceOpen rejects every call with ErrOpen until ForceClosed or Auto, for
// incident response. It reports breaker_opened and the gauge at once.
func (b *Breaker) ForceOpen() {
	if b.mode.Swap(modeForcedOpen) != modeForcedOpen {
		b.report(context.Background(), StateOpen, false)
	}
}

// ForceClosed admits every call without counting it until ForceOpen or Auto.
func (b *Breaker) ForceClosed() {
	if b.mode.Swap(modeForcedClosed) != modeForcedClosed {
		b.report(context.Background(), StateClosed, false)
	}
}

// Auto returns the breaker to automatic control, starting afresh: closed, with
// empty counts and no open period. Calling it on an automatic breaker resets
// it the same way.
func (b *Breaker) Auto() {
	b.openUntil.Store(0)
	b.halfOpenLate.Store(false)
	b.cb.Store(b.newGobreaker()) // callbacks from the old instance are ignored
	b.mode.Store(modeAuto)
	b.report(context.Background(), StateClosed, false)
}

// TripFor opens the breaker now for at least d (jittered upward), then lets
// it go half-open as usual: for a decision made elsewhere, such as the
// fleet-wide failure ratio that package redisbreaker computes. A breaker
// already open for longer stays open for longer. It does nothing to a forced
// breaker. d must be positive.
func (b *Breaker) TripFor(d time.Duration) {
	if d <= 0 || b.mode.Load() != modeAuto {
		return
	}
	b.tripFor.Store(int64(d))
	if done, err := b.cb.Load().Allow(); err == nil {
		done(errFailure) // readyToTrip sees tripFor and opens gobreaker
	}
	b.tripFor.Store(0)
	// gobreaker was half-open with every probe slot taken, or already open:
	// extend our open period to cover d.
	until := max(1, b.now()+int64(d))
	for {
		u := b.openUntil.Load()
		if u >= until {
			break
		}
		if b.openUntil.CompareAndSwap(u, until) {
			if u == 0 { // gobreaker stayed half-open: report the gate as an open period
				b.halfOpenLate.Store(true)
				b.enqueue(StateOpen)
			}
			break
		}
	}
	b.flush(context.Background())
}
