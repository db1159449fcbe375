package paved

import (
	"context"
	"reflect"

	"github.com/paved-go/paved/telemetry"
)

// Op is one call to a dependency, or one attempt at it.
type Op func(ctx context.Context) error

// Middleware is one resilience behaviour. Wrap is called once, when a Pipeline
// is built — never per call — and the Op it returns must be safe for concurrent
// use. Per-call data travels in the context (CallFrom, AttemptFrom).
type Middleware interface {
	Wrap(next Op) Op
}

// MiddlewareFunc adapts a function to a Middleware.
type MiddlewareFunc func(next Op) Op

// Wrap calls f(next).
func (f MiddlewareFunc) Wrap(next Op) Op { return f(next) }

// Chain returns a Middleware that applies ms in order, the first outermost:
//
//	Chain(timeout, retry, breaker).Wrap(op) == timeout.Wrap(retry.Wrap(breaker.Wrap(op)))
//
// nil entries are skipped.
func Chain(ms ...Middleware) Middleware {
	flat := make(chain, 0, len(ms))
	for _, m := range ms {
		switch m := m.(type) {
		case nil:
		case chain:
			flat = append(flat, m...)
		default:
			flat = append(flat, m)
		}
	}
	return flat
}

type chain []Middleware

func (c chain) Wrap(next Op) Op {
	for i := len(c) - 1; i >= 0; i-- {
		next = c[i].Wrap(next)
	}
	return next
}

// Pipeline is a named, built chain of middleware: one per dependency
// ("payments", "inventory"). It is safe for concurrent use; build it once and
// share it, because policies such as retry budgets and breakers keep their
// state in it.
//
// Every run is one telemetry span for the logical call and one
// resilience.call.duration measurement; until the service installs
// OpenTelemetry providers (or passes them with WithTelemetry) this costs
// nothing but a few atomic loads.
type Pipeline struct {
	name       string
	op         Op
	classifier Classifier
	tel        *telemetry.Telemetry
	rec        *telemetry.Recorder
	early      EarlyRefuser // the outermost middleware, when it is one and the pipeline logs nothing
}

// New builds a Pipeline named name from ms, the first outermost (see Chain).
// Options such as WithClassifier and WithTelemetry may be given among ms; they
// configure the pipeline and wrap nothing. docs/design.md gives the order of
// a paved pipeline: total timeout, retry or hedge, breaker, attempt timeout.
// New reports a pipeline that breaks it (Check) as pipeline_misordered
// events, and builds it anyway.
func New(name string, ms ...Middleware) *Pipeline {
	p := &Pipeline{name: name}
	var wrap chain
	for _, m := range Chain(ms...).(chain) {
		if o, ok := m.(*Option); ok {
			o.apply(p)
			continue
		}
		wrap = append(wrap, m)
	}
	if p.tel == nil {
		p.tel = telemetry.New()
	}
	reportComposition(p, wrap)
	p.rec = p.tel.Recorder(name)
	p.op = wrap.Wrap(p.terminal)
	if len(wrap) > 0 && p.tel.Logger() == nil {
		// A logger's handler may read the call from the context it is given:
		// with one, every refusal goes the ordinary way.
		p.early, _ = wrap[0].(EarlyRefuser)
	}
	return p
}

// Name returns the pipeline's name.
func (p *Pipeline) Name() string { return p.name }

// Telemetry returns the pipeline's telemetry, for policies that report state
// outside a call (a breaker's gauge).
func (p *Pipeline) Telemetry() *telemetry.Telemetry { return p.tel }

// terminal is the innermost Op: it runs the op given to Run.
func (p *Pipeline) terminal(ctx context.Context) error {
	var c *Call
	if cc, ok := ctx.(*callCtx); ok { // no middleware derived a context: skip the lookup
		c = &cc.call
	} else {
		c = CallFrom(ctx)
	}
	if !p.rec.MetricsOn() {
		return c.op(ctx)
	}
	start := p.rec.Now()
	err := c.op(ctx)
	p.rec.RecordAttempt(ctx, c.info.Operation, start, int(c.Classify(err)))
	return err
}

// Run runs op through the pipeline's middleware and returns its error, or the
// error of the policy that refused or gave up. The call's details come from the
// CallInfo in ctx (WithCallInfo). A panic in op reaches the caller unchanged,
// after every middleware has released what it holds.
func (p *Pipeline) Run(ctx context.Context, op Op) error {
	enabled, _ := p.rec.Enabled()
	if p.early != nil && !enabled {
		// Nobody records this call: an outermost policy that refuses it at
		// once does so before the Call is built (EarlyRefuser). Its
		// CallInfo is looked up only if needed.
		if err := p.early.RefuseEarly(ctx, EarlyCall{p: p}); err != nil {
			if parent := CallFrom(ctx); parent != nil { // noteGaveUp, without its call
				p.noteGaveUpIn(ctx, parent, nil, err)
			}
			return err
		}
	}
	c, err := p.execute(ctx, callInfo(ctx), op, enabled)
	if c.flags.Load()&flagFreeable != 0 {
		if a := c.Final(); a != nil {
			a.Discard() // nobody takes the result of a plain Run: free it
		}
	}
	return err
}

// Execute is Run for adapters: it also returns the Call, whose Final attempt
// holds the result the call produced (an *http.Response, a gRPC reply). The
// caller owns that result and calls its Attempt.Release when done with it.
func (p *Pipeline) Execute(ctx context.Context, op Op) (*Call, error) {
	enabled, _ := p.rec.Enabled()
	return p.execute(ctx, callInfo(ctx), op, enabled)
}

// ExecuteWith is Execute for an adapter that knows the call's CallInfo: info
// is used in place of one carried by ctx, saving the context WithCallInfo
// allocates, and its Data lets the adapter's Op find its state without a
// closure. Its empty Key and Priority are filled from ctx, as WithCallInfo
// does. info must not change once the call starts.
func (p *Pipeline) ExecuteWith(ctx context.Context, info *CallInfo, op Op) (*Call, error) {
	inherit(ctx, info)
	enabled, _ := p.rec.Enabled()
	return p.execute(ctx, info, op, enabled)
}

// callInfo returns the CallInfo ctx carries, or an empty one.
func callInfo(ctx context.Context) *CallInfo {
	if i, ok := ctx.Value(callInfoKey{}).(*CallInfo); ok {
		return i
	}
	return noCallInfo
}

// execute runs the call; enabled is the recorder's Enabled, read once by
// the caller.
func (p *Pipeline) execute(ctx context.Context, info *CallInfo, op Op, enabled bool) (_ *Call, err error) {
	cc := &callCtx{Context: ctx}
	c := &cc.call
	c.pipeline, c.op, c.info = p, op, info
	c.first.call = c
	if !enabled {
		defer c.seal()
		if err = p.op(cc); err != nil {
			p.noteGaveUp(ctx, info, err)
		}
		return c, err
	}
	var span telemetry.CallSpan
	cc.Context, span = p.rec.StartCall(ctx, c.info.Operation, c.info.CallerAttempt)
	returned := false
	defer func() {
		c.seal()
		if !returned { // op panicked: let the panic go on untouched
			p.rec.EndCallPanic(span)
			return
		}
		p.rec.EndCall(cc.Context, span, int(c.Classify(err)), c.Attempts(), err)
	}()
	err = p.op(cc)
	returned = true
	if err != nil {
		p.noteGaveUp(ctx, info, err)
	}
	return c, err
}

// Do runs fn through p and returns the final attempt's value: the one the
// retry or hedge policy chose, never a value from a discarded attempt. When the
// call fails before any attempt produced a value, Do returns T's zero value.
//
// A substitute a middleware gave the call (Call.Substitute, as a
// fallback.Fallback does) is returned as the value when it is a T, or nil
// for a T that can be nil. One of another type, such as fallback.Value(42)
// (an int) in a Do[int64], is a programmer error, which Do returns as a
// *ResultTypeError, never as T's zero value with a nil error. The call's
// telemetry, recorded when it ended, shows the substitute's success.
func Do[T any](ctx context.Context, p *Pipeline, fn func(context.Context) (T, error)) (T, error) {
	c, err := p.Execute(ctx, func(ctx context.Context) error {
		v, err := fn(ctx)
		AttemptFrom(ctx).SetResult(v, nil)
		return err
	})
	var v T
	if a := c.Final(); a != nil {
		if r, ok := a.Result(); ok {
			var is bool
			if v, is = r.(T); !is && err == nil && (r != nil || !nilable[T]()) {
				err = &ResultTypeError{Pipeline: p.name, Got: reflect.TypeOf(r), Want: reflect.TypeFor[T]()}
			}
		}
		a.Release()
	}
	return v, err
}

// nilable reports whether T has nil among its values (a pointer, map,
// slice, channel, func or interface type), so a nil result reads as T's
// zero value.
func nilable[T any]() bool {
	switch reflect.TypeFor[T]().Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return true
	}
	return false
}
