package clock

import (
	"context"
	"time"
)

// Clock is the source of time for everything in paved that waits or measures.
// Implementations must be safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Since returns the time elapsed since t.
	Since(t time.Time) time.Duration
	// NewTimer returns a Timer that sends the time on its channel after d.
	// A d <= 0 fires at once.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f after d. The returned Timer's C is nil.
	AfterFunc(d time.Duration, f func()) Timer
	// WithTimeout is WithDeadline(ctx, Now().Add(d)).
	WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
	// WithDeadline returns a copy of ctx that is canceled, with
	// context.DeadlineExceeded as its Err and Cause, when this clock reaches
	// t; it is never canceled later than ctx itself. Calling the CancelFunc
	// releases everything the context holds, so callers must always call it.
	WithDeadline(ctx context.Context, t time.Time) (context.Context, context.CancelFunc)
}

// Timer is a one-shot timer from a Clock, with the semantics of [time.Timer]
// since Go 1.23: after Stop or Reset returns, no stale value is received
// from C.
type Timer interface {
	// C returns the channel the time is sent on; nil for AfterFunc timers.
	C() <-chan time.Time
	// Stop prevents the timer from firing. It reports whether it did so, that
	// is, whether the timer was pending.
	Stop() bool
	// Reset re-arms the timer to fire after d. It reports whether the timer
	// was pending before the call.
	Reset(d time.Duration) bool
}

// Sleep waits for d on c, or until ctx is done, whichever comes first. It
// returns ctx.Err() if ctx ended the wait (or was already done) and nil
// otherwise. The timer it uses is stopped before it returns, so a canceled
// Sleep leaves nothing pending on a Fake and nothing running in the runtime.
// A d <= 0 does not wait.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	// Checked first so that an already-canceled context always wins, rather
	// than racing a zero-length timer in the select below.
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
