package breaker

import (
	"context"
	"time"
)

// ForceOpen rejects every call with ErrOpen until ForceClosed or Auto, for
// incident response. It reports breaker_opened and the gauge at once: to
// WithTelemetry's telemetry, else to that of the first pipeline the breaker
// ran in; before its first call, without WithTelemetry, to the global
// providers, with an empty resilience.pipeline.
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
	b.late.Store(0)
	b.cb.Store(b.newGobreaker()) // callbacks from the old instance are ignored
	b.mode.Store(modeAuto)
	b.report(context.Background(), StateClosed, false)
}

// TripFor opens the breaker now for d or its own open duration, whichever is
// longer (each jittered upward), then lets it go half-open as usual: for a
// decision made elsewhere, such as the fleet-wide failure ratio that package
// redisbreaker computes, which must never make an instance probe sooner
// than its own trip would. A breaker already open for longer stays open for
// longer. It does nothing to a forced breaker, or when d is not positive.
func (b *Breaker) TripFor(d time.Duration) {
	if d <= 0 || b.mode.Load() != modeAuto {
		return
	}
	// One at a time: a concurrent TripFor clearing tripFor while this one is
	// inside gobreaker would leave it closed.
	b.tripMu.Lock()
	defer b.tripMu.Unlock()
	b.tripFor.Store(int64(d))
	// A failure (if gobreaker admits one) makes readyToTrip see tripFor and
	// open gobreaker.
	_, _ = b.cb.Load().Execute(func() (struct{}, error) { return struct{}{}, errFailure })
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
			if u == 0 {
				// gobreaker was not tripped (half-open with every probe slot
				// taken): our gate is the open period. When it ends, report
				// the state gobreaker is in then, which a change during the
				// gate (onStateChange, from now on) records in late itself;
				// State is read after the gate was set, so it is no older.
				b.enqueue(StateOpen)
				b.late.CompareAndSwap(0, int32(fromGobreaker(b.cb.Load().State()))+1)
			}
			break
		}
	}
	b.flush(context.Background())
}
