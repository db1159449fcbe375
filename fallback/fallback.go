package fallback

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// Func makes the substitute for a failed call: the value the call returns
// instead of failing. The value is of the type the caller receives: the T
// of paved.Do, an *http.Response under pavedhttp (see
// pavedhttp.Fallback and pavedhttp.Stale), a reply message under pavedgrpc. err is the
// call's failure. Returning an error fails the call with that error
// instead (return err itself to keep the original).
//
// It runs with the call's context, which may have ended (a total timeout is
// a failure a fallback answers): a Func that does I/O gives it its own
// deadline. It must be safe for concurrent use.
type Func func(ctx context.Context, err error) (any, error)

// Value returns the Func that answers every failure with v: a default, an
// empty list, a cached copy.
func Value[T any](v T) Func {
	return func(context.Context, error) (any, error) { return v, nil }
}

// FuncOf adapts a typed function to a Func, for paved.Do[T].
func FuncOf[T any](fn func(ctx context.Context, err error) (T, error)) Func {
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, err error) (any, error) { return fn(ctx, err) }
}

// Fallback is graceful degradation as a policy (STANDARDS.md RS-16): when
// a call fails with one of its outcomes, it answers with a substitute
// instead — a default, a cached or stale copy, a reduced answer — and the
// call succeeds with it. Make one with New. It is safe for concurrent use.
//
// Put it outermost, before the total timeout, so it answers whatever the
// rest of the pipeline gave up with: retries exhausted, a breaker open, a
// deadline passed. The substitute becomes the call's final result
// (paved.Call.Substitute), so paved.Do and the adapters return it as they
// would a real answer, and the failed attempts' results are released
// (their bodies closed).
type Fallback struct {
	fn      Func
	cfg     config
	release func(any)
}

// New returns a Fallback that answers failures with fn's substitute. By
// default it answers the dependency's failures and paved's own refusals
// (OutcomeTransient, OutcomeOverload, OutcomeFault, OutcomeRejected) and
// leaves the caller's own mistakes (OutcomePermanent) and cancellations
// (OutcomeCanceled) alone. It returns an error naming the option that is
// out of range.
func New(fn Func, opts ...Option) (*Fallback, error) {
	if fn == nil {
		return nil, errors.New("fallback: Func must not be nil")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Fallback{fn: fn, cfg: cfg, release: cfg.release}, nil
}

// MustNew is New that panics on an invalid option: for options fixed in the
// program, where that is a programmer error.
func MustNew(fn Func, opts ...Option) *Fallback {
	f, err := New(fn, opts...)
	if err != nil {
		panic(err)
	}
	return f
}

// Handles reports whether the Fallback answers failures of outcome o.
func (f *Fallback) Handles(o paved.Outcome) bool { return f.cfg.outcomes&(1<<o) != 0 }

// Wrap makes f a paved.Middleware. A call that succeeds, or fails with an
// outcome f does not handle, passes through untouched; otherwise f's Func
// runs and its substitute is the call's result, with a fallback event
// (telemetry.EventFallback, carrying the failure's outcome and error.type,
// and as its resilience.attempt the number of the call's last attempt).
// A panic in the call or in the Func reaches the caller unchanged.
func (f *Fallback) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		err := next(ctx)
		if err == nil {
			return nil
		}
		c := paved.CallFrom(ctx)
		if c == nil { // not run by a Pipeline: there is no call to answer
			return err
		}
		o := c.Classify(err)
		if !f.Handles(o) {
			return err
		}
		v, ferr := f.fn(ctx, err)
		if ferr != nil {
			return ferr
		}
		c.Substitute(v, f.release)
		paved.Emit(ctx, telemetry.Event{Name: telemetry.EventFallback, Policy: "fallback", Err: err,
			Attempt: c.Attempts(), Attrs: []attribute.KeyValue{outcomeAttrs[o]}})
		return nil
	}
}

// outcomeAttrs are the resilience.outcome attributes of fallback events,
// built once.
var outcomeAttrs = func() (a [len(telemetry.OutcomeNames)]attribute.KeyValue) {
	for i, n := range telemetry.OutcomeNames {
		a[i] = attribute.String(telemetry.AttrOutcome, n)
	}
	return a
}()

// String describes f, for logs.
func (f *Fallback) String() string { return fmt.Sprintf("fallback(%s)", f.cfg.outcomeList()) }
