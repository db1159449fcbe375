package timeout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/telemetry"
)

// Timeout is a paved.Middleware that bounds the Op it wraps by a duration.
// Build it with New; it is safe for concurrent use and may be shared by
// pipelines.
type Timeout struct {
	d     time.Duration
	clock clock.Clock
}

var _ paved.Middleware = (*Timeout)(nil)

// Option configures a Timeout.
type Option func(*config)

type config struct {
	clock clock.Clock
}

// WithClock makes the timeout read time and build deadlines from c. It exists
// for tests (clock.NewFake); the default is clock.Real().
func WithClock(c clock.Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}

// New returns a Timeout of d. d must be > 0.
func New(d time.Duration, opts ...Option) (*Timeout, error) {
	cfg := config{clock: clock.Real()}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if d <= 0 {
		return nil, fmt.Errorf("timeout: duration must be > 0, got %v", d)
	}
	if cfg.clock == nil {
		return nil, fmt.Errorf("timeout: clock must not be nil")
	}
	return &Timeout{d: d, clock: cfg.clock}, nil
}

// MustNew is New that panics on an invalid option: for package-level
// pipelines whose options are constants.
func MustNew(d time.Duration, opts ...Option) *Timeout {
	t, err := New(d, opts...)
	if err != nil {
		panic(err)
	}
	return t
}

// Duration returns the timeout's duration.
func (t *Timeout) Duration() time.Duration { return t.d }

// Wrap returns next bounded by the timeout.
func (t *Timeout) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		deadline := t.clock.Now().Add(t.d)
		if parent, ok := ctx.Deadline(); ok && !parent.After(deadline) {
			// The parent's deadline governs: a context of our own would only cost.
			return next(ctx)
		}
		tctx, cancel := t.clock.WithDeadline(ctx, deadline)
		err := next(tctx)
		if err != nil && ctx.Err() == nil && tctx.Err() == context.DeadlineExceeded && byDeadline(ctx, err) {
			// Our own deadline fired while the parent still had room, and the
			// error is what it caused.
			err = &timeoutError{d: t.d, cause: err}
			paved.Emit(ctx, telemetry.Event{Name: telemetry.EventTimeout, Policy: "timeout", Delay: t.d, Err: err})
		}
		hold(ctx, cancel)
		return err
	}
}

// byDeadline reports whether err is what a fired deadline makes an Op return:
// a context error, something the call's classifier calls Canceled (a
// transport's canceled request), or Transient, which covers transports whose
// deadline error does not unwrap to the context's (a gRPC DEADLINE_EXCEEDED
// status) and keeps its outcome as ErrTimeout. An answer that merely landed
// after the deadline (a Permanent 400, a refusal, a fault) keeps its own
// outcome: calling it a timeout would make it Transient, so retried and
// counted by breakers.
func byDeadline(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	classify := paved.DefaultClassifier.Classify
	if c := paved.CallFrom(ctx); c != nil {
		classify = c.Classify
	}
	o := classify(err)
	return o == paved.OutcomeCanceled || o == paved.OutcomeTransient
}

// hold keeps tctx alive for a result that is still being read (an HTTP body):
// cancel runs when the result is released. Inside retry or hedge the
// attempt in ctx is the one that ran; outside them (a total timeout) ctx holds
// the call's first attempt, which a retry may have discarded in favour of a
// later one, so the final attempt is asked too.
func hold(ctx context.Context, cancel context.CancelFunc) {
	a := paved.AttemptFrom(ctx)
	if a == nil {
		cancel()
		return
	}
	if a.Hold(cancel) {
		return
	}
	if a.Number() == 1 {
		if f := a.Call().Final(); f != nil && f != a && f.Hold(cancel) {
			return
		}
	}
	cancel()
}
