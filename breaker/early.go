package breaker

import (
	"context"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

var _ paved.EarlyRefuser = (*Breaker)(nil)

// RefuseEarly refuses a call before its pipeline builds it, when the breaker
// is the pipeline's outermost middleware and would refuse the call at once:
// forced open, or in an open period. It leaves to the ordinary path (nil)
// whatever that path does besides refusing: the breaker's first call, which
// learns its pipeline, and reporting queued state changes. See
// paved.EarlyRefuser.
func (b *Breaker) RefuseEarly(ctx context.Context, call paved.EarlyCall) error {
	m, u := b.mode.Load(), b.openUntil.Load()
	if m == modeAuto && u == 0 {
		return nil // closed: the clock is not read
	}
	if m == modeForcedClosed || b.pipeline.Load() == nil || b.pending.Load() {
		return nil
	}
	err, after := errForcedOpen, time.Duration(0)
	if m != modeForcedOpen {
		var now int64
		if b.realClock {
			now = int64(time.Since(b.origin)) // b.now, without its call
		} else {
			now = b.now()
		}
		if now >= u {
			return nil // the period is over: the ordinary path ends it
		}
		e := b.refused.Load() // b.refusal(u), without its call
		if e.until != u {
			e = b.firstRefusal(u)
		}
		err, after = e, time.Duration(u-now)
	}
	if call.Recording(ctx) {
		b.emitRejected(ctx, call, err, after)
	}
	return err
}

// emitRejected is RefuseEarly's report, apart so that RefuseEarly's frame
// holds no event.
func (b *Breaker) emitRejected(ctx context.Context, call paved.EarlyCall, err error, after time.Duration) {
	call.Emit(ctx, b.rejected(err, after))
}

// rejected is the event of a refusal err whose hint is after.
func (b *Breaker) rejected(err error, after time.Duration) telemetry.Event {
	return telemetry.Event{Name: telemetry.EventBreakerRejected, Policy: "breaker", Delay: after, Err: err, Attrs: b.attrs}
}
