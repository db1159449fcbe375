package retry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/internal/backoff"
	"github.com/paved-go/paved/internal/budget"
	"github.com/paved-go/paved/internal/clock"
	"github.com/paved-go/paved/telemetry"
)

// AttrReason is the attribute of a retries_exhausted event that says why the
// retry gave up (Reason.String).
const AttrReason = "resilience.retry.reason"

// Retry is a paved.Middleware that tries a call again after a retryable
// failure. Build it with New. It is safe for concurrent use; each pipeline it
// is built into (each Wrap) gets its own retry budget.
type Retry struct {
	cfg config
}

var _ paved.Middleware = (*Retry)(nil)

// New returns a Retry with the defaults (see the package doc) changed by
// opts. An invalid option gives an error naming the field and its range.
func New(opts ...Option) (*Retry, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Retry{cfg: cfg}, nil
}

// MustNew is New that panics on an invalid option: for pipelines built from
// constants, where a bad option is a programmer error.
func MustNew(opts ...Option) *Retry {
	r, err := New(opts...)
	if err != nil {
		panic(err)
	}
	return r
}

// Wrap returns next with retries. The success path costs one atomic add (the
// budget's call count) and allocates nothing.
func (r *Retry) Wrap(next paved.Op) paved.Op {
	w := &wrapped{cfg: &r.cfg, next: next}
	if !r.cfg.noBudget {
		w.budget = budget.New(r.cfg.budget, r.cfg.clock)
	}
	if w.budget == nil {
		return func(ctx context.Context) error {
			if err := next(ctx); err != nil {
				return w.retry(ctx, err)
			}
			return nil
		}
	}
	return func(ctx context.Context) error {
		w.budget.RecordCall()
		if err := next(ctx); err != nil {
			return w.retry(ctx, err)
		}
		return nil
	}
}

// wrapped is one pipeline's retry: the config and that pipeline's budget.
type wrapped struct {
	cfg    *config
	next   paved.Op
	budget *budget.Budget // nil: WithoutBudget
}

// retry is the slow path, entered after attempt 1 failed with err.
func (w *wrapped) retry(ctx context.Context, err error) error {
	call := paved.CallFrom(ctx)
	classify := paved.DefaultClassifier.Classify
	if call != nil {
		if !call.SafeToRepeat() {
			return err
		}
		classify = call.Classify
	}
	cfg := w.cfg
	prev := paved.AttemptFrom(ctx) // the attempt whose error err is
	var lastDelay time.Duration
	for n := 1; ; n++ { // n: attempts made so far
		if !classify(err).Retryable() {
			return w.finish(ctx, call, prev, n, err)
		}
		if n >= cfg.maxAttempts {
			return w.exhausted(ctx, call, prev, n, ReasonMaxAttempts, err)
		}
		delay := w.delay(n, lastDelay)
		if push, ok := paved.RetryAfter(err); ok {
			if push < 0 {
				return w.exhausted(ctx, call, prev, n, ReasonPushback, err)
			}
			delay = min(push, cfg.max) // the server knows best, within our max
		}
		if dl, ok := ctx.Deadline(); ok && dl.Sub(cfg.clock.Now()) < delay+cfg.minAttempt {
			return w.exhausted(ctx, call, prev, n, ReasonDeadline, err)
		}
		// The budget is spent before the wait, so calls waiting at once can
		// never overspend it (which would discard a result and then give up),
		// and refunded if the caller gives up while we wait: cancellation
		// storms must not drain the budget of everyone else.
		var receipt int64
		if w.budget != nil {
			var ok bool
			if receipt, ok = w.budget.Reserve(); !ok {
				return w.exhausted(ctx, call, prev, n, ReasonBudget, err)
			}
		}
		if prev != nil {
			prev.Discard() // free the failed response now: its connection can be reused
		}
		if serr := clock.Sleep(ctx, cfg.clock, delay); serr != nil {
			if w.budget != nil {
				w.budget.Refund(receipt)
			}
			return serr // the caller gave up while we waited
		}
		paved.Emit(ctx, telemetry.Event{Name: telemetry.EventRetry, Policy: "retry", Attempt: n + 1, Delay: delay, Err: err})
		lastDelay = delay
		actx := ctx
		if call != nil {
			actx, prev = call.NewAttempt(ctx)
		}
		if err = w.next(actx); err == nil {
			if call != nil {
				call.SetFinal(prev)
			}
			return nil
		}
	}
}

// delay is the computed backoff before retry n.
func (w *wrapped) delay(n int, prev time.Duration) time.Duration {
	cfg := w.cfg
	if cfg.backoffFn != nil {
		return max(0, min(cfg.backoffFn(n, prev), cfg.max))
	}
	return backoff.Delay(cfg.jitter, cfg.base, cfg.max, n, prev, cfg.rand)
}

// finish ends a call with a non-retryable err from attempt a, the n-th.
func (w *wrapped) finish(_ context.Context, call *paved.Call, a *paved.Attempt, n int, err error) error {
	if call != nil && n > 1 {
		call.SetFinal(a)
	}
	return err
}

// exhausted gives up on a call whose last outcome was retryable.
func (w *wrapped) exhausted(ctx context.Context, call *paved.Call, a *paved.Attempt, n int, why Reason, err error) error {
	w.finish(ctx, call, a, n, err)
	e := &ExhaustedError{Attempts: n, Reason: why, Last: err}
	paved.Emit(ctx, telemetry.Event{
		Name: telemetry.EventRetriesExhausted, Policy: "retry", Attempt: n, Err: err,
		Attrs: []attribute.KeyValue{attribute.String(AttrReason, why.String())},
	})
	return e
}
