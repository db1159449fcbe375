package retry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/backoff"
	"github.com/paved-go/paved/internal/budget"
	"github.com/paved-go/paved/telemetry"
)

// AttrReason is the attribute of a retries_exhausted event that says why the
// retry gave up (Reason.String).
const AttrReason = telemetry.AttrRetryReason

// Retry is a paved.Middleware that tries a call again after a retryable
// failure. Build it with New. It is safe for concurrent use; each pipeline it
// is built into (each Wrap) gets its own retry budget.
type Retry struct {
	cfg    config
	shared *budget.Budget // WithSharedBudget; nil: one budget per Wrap
}

var _ paved.Middleware = (*Retry)(nil)

// New returns a Retry with the defaults (see the package doc) changed by
// opts. An invalid option gives an error naming the field and its range.
func New(opts ...Option) (*Retry, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Retry{cfg: cfg, shared: sharedBudget(&cfg)}, nil
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

// Wrap returns next with retries. The success path costs one atomic load
// (the budget is full while the dependency is healthy; a compare-and-swap
// when it is refilling) and allocates nothing.
func (r *Retry) Wrap(next paved.Op) paved.Op {
	w := &wrapped{cfg: &r.cfg, next: next}
	switch {
	case r.shared != nil:
		w.budget = r.shared
	case !r.cfg.noBudget:
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
		if err := next(ctx); err != nil {
			return w.retry(ctx, err)
		}
		w.budget.Earn()
		return nil
	}
}

// wrapped is one pipeline's retry: the config and that pipeline's budget.
type wrapped struct {
	cfg    *config
	next   paved.Op
	budget *budget.Budget // nil: WithoutBudget
}

// classify is call.Classify, or the default classifier outside a pipeline.
// A function rather than a method value, which would allocate.
func classify(call *paved.Call, err error) paved.Outcome {
	if call != nil {
		return call.Classify(err)
	}
	return paved.DefaultClassifier.Classify(err)
}

// answered reports whether the dependency answered: the call succeeded, or
// failed in a way no repeat changes (the caller's mistake). Such calls earn
// budget, and a retry that ends so gets its tokens back.
func answered(o paved.Outcome) bool {
	return o == paved.OutcomeSuccess || o == paved.OutcomePermanent
}

// attempt is one attempt of a retried call: its paved.Attempt (nil outside a
// pipeline), its error, and what it took from the budget.
type attempt struct {
	a       *paved.Attempt
	err     error
	ticket  budget.Ticket
	pending bool // ticket granted, not yet settled (settle)
}

// unsent reports whether the attempt never left the process
// (paved.Attempt.MarkUnsent).
func (at *attempt) unsent() bool { return at.a != nil && at.a.Unsent() }

// retry is the slow path, entered after attempt 1 failed with err.
//
// The last attempt that reached the dependency (its real answer, such as an
// HTTP 503 response) stays the call's result until a later attempt that also
// reached it answers in its place. A later attempt that did not reach it —
// refused by our own policies (a breaker that opened meanwhile), or unsent
// (the connection could not be made) — never replaces it: a refusal ends the
// call with that last real answer, and an unsent failure is retried on,
// keeping it.
func (w *wrapped) retry(ctx context.Context, err error) error {
	call := paved.CallFrom(ctx)
	cfg := w.cfg
	cur := attempt{a: paved.AttemptFrom(ctx), err: err}
	// answer is the call's result so far: the last attempt that reached the
	// dependency, else the latest attempt. err == nil: none yet.
	var answer attempt
	var lastDelay time.Duration
	for n := 1; ; n++ { // n: attempts made so far; cur is attempt n
		o := classify(call, cur.err)
		rejected := o == paved.OutcomeRejected
		w.settle(&cur, o)
		switch {
		case answer.err != nil && rejected:
			// Our own policy refused attempt n before it reached the
			// dependency: it cost the dependency nothing, and the call ends
			// with the last real answer.
			discard(cur.a)
			return w.exhausted(ctx, call, answer.a, n, ReasonRefused, answer.err)
		case answer.err != nil && cur.unsent() && !answer.unsent():
			discard(cur.a) // it said nothing of the dependency: the answer stands
		default:
			if answer.err != nil {
				discard(answer.a) // cur answers in its place
			}
			answer = cur
		}
		if !o.Retryable() {
			if answered(o) {
				w.earn()
			}
			return w.finish(call, answer.a, n, answer.err)
		}
		if call != nil && !call.SafeToRepeat() && !cur.unsent() {
			if n < cfg.maxAttempts {
				w.declined(ctx, call, n)
			}
			if n == 1 {
				return cur.err
			}
			return w.exhausted(ctx, call, answer.a, n, ReasonUnsafe, answer.err)
		}
		if n >= cfg.maxAttempts {
			return w.exhausted(ctx, call, answer.a, n, ReasonMaxAttempts, answer.err)
		}
		delay := w.delay(n, lastDelay)
		if push, ok := paved.RetryAfter(cur.err); ok {
			if push < 0 {
				return w.exhausted(ctx, call, answer.a, n, ReasonPushback, answer.err)
			}
			delay = min(push, cfg.max) // the server knows best, within our max
		}
		if dl, ok := ctx.Deadline(); ok && dl.Sub(cfg.clock.Now()) < delay+cfg.minAttempt {
			return w.exhausted(ctx, call, answer.a, n, ReasonDeadline, answer.err)
		}
		// The budget is asked before the wait and paid only if the retry
		// fails (settle): a retry that succeeds costs nothing, and a caller
		// who gives up while we wait gives the ticket back.
		var next attempt
		if w.budget != nil {
			cost := 1
			if paved.IsTimeout(cur.err) {
				cost = 2 // a timed-out attempt held the dependency's resources the longest
			}
			t, ok := w.budget.Allow(cost)
			if !ok {
				return w.exhausted(ctx, call, answer.a, n, ReasonBudget, answer.err)
			}
			next.ticket, next.pending = t, true
		}
		if serr := clock.Sleep(ctx, cfg.clock, delay); serr != nil {
			w.cancel(&next)
			discard(answer.a) // the caller gave up: the call's result is its error
			return serr
		}
		paved.Emit(ctx, telemetry.Event{Name: telemetry.EventRetry, Policy: "retry", Attempt: n + 1, Delay: delay, Err: cur.err})
		lastDelay = delay
		actx := ctx
		if call != nil {
			actx, next.a = call.NewAttempt(ctx)
		}
		next.err = w.next(actx)
		if next.err == nil {
			next.pending = false // a success costs nothing
			w.earn()
			discard(answer.a)
			return w.finish(call, next.a, n+1, nil)
		}
		cur = next
	}
}

// settle pays for a retry by its outcome o, once: nothing when the
// dependency answered, the ticket back when our own policy refused it before
// it reached the dependency, its cost when it failed.
func (w *wrapped) settle(at *attempt, o paved.Outcome) {
	if !at.pending {
		return
	}
	at.pending = false
	switch {
	case answered(o):
	case o == paved.OutcomeRejected:
		w.budget.Cancel(at.ticket)
	default:
		w.budget.Spend(at.ticket)
	}
}

// cancel gives back the ticket of a retry that never started.
func (w *wrapped) cancel(at *attempt) {
	if at.pending {
		at.pending = false
		w.budget.Cancel(at.ticket)
	}
}

func (w *wrapped) earn() {
	if w.budget != nil {
		w.budget.Earn()
	}
}

// discard frees an attempt's result; nil (outside a pipeline) is none.
func discard(a *paved.Attempt) {
	if a != nil {
		a.Discard()
	}
}

// declined reports that the call is not retried because repeating it is not
// safe, and why.
func (w *wrapped) declined(ctx context.Context, call *paved.Call, n int) {
	attrs := []attribute.KeyValue{attribute.String(telemetry.AttrUnsafeReason, unsafeReason(call))}
	paved.Emit(ctx, telemetry.Event{Name: telemetry.EventUnsafeToRepeat, Policy: "retry", Attempt: n, Attrs: attrs})
}

// unsafeReason is the call's UnsafeReason, or a generic one.
func unsafeReason(call *paved.Call) string {
	if r := call.UnsafeReason(); r != "" {
		return r
	}
	return "the call is marked unrepeatable"
}

// delay is the computed backoff before retry n.
func (w *wrapped) delay(n int, prev time.Duration) time.Duration {
	cfg := w.cfg
	if cfg.backoffFn != nil {
		return max(0, min(cfg.backoffFn(n, prev), cfg.max))
	}
	return backoff.Delay(cfg.jitter, cfg.base, cfg.max, n, prev, cfg.rand)
}

// finish ends a call with err from attempt a (the n-th, or the last real
// answer before it) as its result.
func (w *wrapped) finish(call *paved.Call, a *paved.Attempt, n int, err error) error {
	if call != nil && n > 1 {
		call.SetFinal(a)
	}
	return err
}

// exhausted gives up on a call whose last real answer, err from attempt a
// (the n-th or, when a later one was refused, an earlier one), was
// retryable. n counts every attempt made, refused ones included.
func (w *wrapped) exhausted(ctx context.Context, call *paved.Call, a *paved.Attempt, n int, why Reason, err error) error {
	if call != nil && n > 1 {
		call.SetFinal(a)
	}
	e := &ExhaustedError{Attempts: n, Reason: why, Last: err}
	paved.Emit(ctx, telemetry.Event{
		Name: telemetry.EventRetriesExhausted, Policy: "retry", Attempt: n, Err: err,
		Attrs: []attribute.KeyValue{attribute.String(AttrReason, why.String())},
	})
	return e
}
