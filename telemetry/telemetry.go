package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync/atomic"
	"unsafe"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of paved's tracer and meter.
const ScopeName = "github.com/paved-go/paved"

// Telemetry is where paved reports: an OpenTelemetry TracerProvider and
// MeterProvider and an optional *slog.Logger. Without options it follows the
// global providers, looked up on every call, so a service that installs its
// providers after building its pipelines is still reported; until it installs
// them, telemetry costs three atomic loads per call (its state and the two
// globals, each compared with the one its state was built for) and nothing
// else.
//
// A Telemetry is safe for concurrent use and may be shared by many pipelines.
type Telemetry struct {
	tp     trace.TracerProvider // nil: the global one
	mp     metric.MeterProvider // nil: the global one
	logger *slog.Logger
	state  atomic.Pointer[state]
	conc   concurrencyGauges
}

// Option configures a Telemetry.
type Option func(*Telemetry)

// WithTracerProvider reports spans to tp. Default: the global TracerProvider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(t *Telemetry) { t.tp = tp }
}

// WithMeterProvider reports metrics to mp. Default: the global MeterProvider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(t *Telemetry) { t.mp = mp }
}

// WithLogger logs every policy decision to l (state changes at Info, giving up
// at Warn, the rest at Debug). Default: no logging.
func WithLogger(l *slog.Logger) Option {
	return func(t *Telemetry) { t.logger = l }
}

// New returns a Telemetry configured by opts.
func New(opts ...Option) *Telemetry {
	t := &Telemetry{}
	for _, o := range opts {
		o(t)
	}
	return t
}

// state is what the current providers give: a tracer (nil when tracing is
// off) and the instruments (nil when metrics are off).
type state struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
	// tpw and mpw are the words of tp and mp, which current compares.
	tpw, mpw words
	// comparable: both providers' types can be compared with ==.
	comparable bool
	// kind is where the providers come from: options, the globals or one
	// of each. When both are options the state never changes, and current
	// need not look at the globals.
	kind   providersKind
	tracer trace.Tracer
	inst   *instruments
}

// providersKind is where a Telemetry's providers come from.
type providersKind uint8

const (
	mixedProviders  providersKind = iota // one option, one global
	fixedProviders                       // both options
	globalProviders                      // both globals
)

// kind returns where t's providers come from.
func (t *Telemetry) kind() providersKind {
	switch {
	case t.tp != nil && t.mp != nil:
		return fixedProviders
	case t.tp == nil && t.mp == nil:
		return globalProviders
	}
	return mixedProviders
}

type instruments struct {
	callDuration    metric.Float64Histogram
	attemptDuration metric.Float64Histogram
	events          metric.Int64Counter
	breakerState    metric.Int64Gauge
	concLimit       metric.Int64ObservableGauge
	concInflight    metric.Int64ObservableGauge
}

// current returns the state for the providers in force, building it when they
// changed. It runs on every call: when neither provider changed, and both
// are otel's globals, it costs an atomic load of the state, one of each
// global and two word compares per provider.
func (t *Telemetry) current() *state {
	s := t.state.Load()
	if s == nil {
		return t.changed(nil)
	}
	switch s.kind {
	case fixedProviders:
		return s
	case globalProviders:
		tp, mp := otel.GetTracerProvider(), otel.GetMeterProvider()
		if wordsOf(&tp) == s.tpw && wordsOf(&mp) == s.mpw {
			return s
		}
		return t.changed(s)
	}
	return t.mixed(s)
}

// mixed is current when one provider was given as an option and the other is
// the global one.
func (t *Telemetry) mixed(s *state) *state {
	tp, mp := t.TracerProvider(), t.MeterProvider()
	if wordsOf(&tp) == s.tpw && wordsOf(&mp) == s.mpw {
		return s
	}
	return t.changed(s)
}

// changed is current's slow path: s (nil at first) is the state in force,
// whose providers' words are not those loaded now. It loads the providers
// again (what is in force when it runs) and keeps s when they are the same
// providers anyway (== but held apart), else builds their state.
func (t *Telemetry) changed(s *state) *state {
	tp, mp := t.TracerProvider(), t.MeterProvider()
	if s != nil && s.same(tp, mp) {
		return s
	}
	return t.rebuild(tp, mp)
}

// rebuild makes and stores the state for tp and mp: current's slow path,
// kept apart so the fast path stays small.
func (t *Telemetry) rebuild(tp trace.TracerProvider, mp metric.MeterProvider) *state {
	s := &state{tp: tp, mp: mp, tpw: wordsOf(&tp), mpw: wordsOf(&mp), kind: t.kind()}
	s.comparable = reflect.TypeOf(tp).Comparable() && reflect.TypeOf(mp).Comparable()
	if !isNoop(tp) {
		s.tracer = tp.Tracer(ScopeName)
	}
	if !isNoop(mp) {
		s.inst = newInstruments(mp.Meter(ScopeName), &t.conc)
	}
	t.state.Store(s)
	return s
}

// same reports whether the state was built for tp and mp. Providers of a
// non-comparable type (comparing them would panic) count as changed, and their
// state is rebuilt on every call: slow, never wrong. == is safe when the
// state's own providers are of comparable types: an interface of another
// dynamic type compares unequal without panicking, whatever that type.
func (s *state) same(tp trace.TracerProvider, mp metric.MeterProvider) bool {
	return s.comparable && s.tp == tp && s.mp == mp
}

// words are the two words of an interface value: its type (or itab) and its
// data. Two interface values of one static type with the same words hold
// the same dynamic type and value, so they are ==; a provider loaded again
// from where it is kept (an option, otel's globals) has the same words.
// Comparing words is two loads and compares where == calls into the runtime
// (and panics on a type that is not comparable); when the words differ, same
// decides, on current's slow path.
type words struct{ typ, data unsafe.Pointer }

// wordsOf returns the words of *p, whose type I must be an interface type.
func wordsOf[I any](p *I) words {
	return *(*words)(unsafe.Pointer(p))
}

// isNoop reports whether p is a provider that records nothing: the global
// delegate before a service installs its own, or an explicit no-op provider.
// Starting spans on those still allocates, which the zero-cost promise forbids.
func isNoop(p any) bool {
	switch p.(type) {
	case tracenoop.TracerProvider, metricnoop.MeterProvider, nil:
		return true
	}
	name := fmt.Sprintf("%T", p)
	return strings.HasPrefix(name, "*global.") // otel's unset global delegates
}

func newInstruments(m metric.Meter, conc *concurrencyGauges) *instruments {
	in := &instruments{}
	bounds := metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
	// Errors from instrument creation are reported to otel's error handler and
	// a no-op instrument is returned, which is what we want.
	in.callDuration, _ = m.Float64Histogram(MetricCallDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of one logical call through a resilience pipeline, every attempt and wait included."), bounds)
	in.attemptDuration, _ = m.Float64Histogram(MetricAttemptDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of one attempt of a call."), bounds)
	in.events, _ = m.Int64Counter(MetricEvents, metric.WithUnit("{event}"),
		metric.WithDescription("Resilience policy decisions: retries, hedges, timeouts, rejections, state changes."))
	in.breakerState, _ = m.Int64Gauge(MetricBreakerState, metric.WithUnit("{state}"),
		metric.WithDescription("Circuit breaker state: 0 closed, 1 half-open, 2 open."))
	in.concLimit, _ = m.Int64ObservableGauge(MetricConcurrencyLimit, metric.WithUnit("{request}"),
		metric.WithDescription("Concurrency limit in force."))
	in.concInflight, _ = m.Int64ObservableGauge(MetricConcurrencyInflight, metric.WithUnit("{request}"),
		metric.WithDescription("Requests in flight."))
	_, _ = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		conc.observe(o, in.concLimit, in.concInflight)
		return nil
	}, in.concLimit, in.concInflight)
	return in
}

// Providers are the providers a Telemetry reports to at one moment. Two
// Providers values are == exactly when they hold the same providers, so an
// adapter that hands the providers to other instrumentation (otelhttp,
// otelgrpc, which keep the providers they were built with) keeps the value
// and rebuilds that instrumentation when it changes: a service that replaces
// its global providers then still gets one trace per call.
type Providers struct{ s *state }

// Providers returns the providers in force now: those given as options,
// else the global ones.
func (t *Telemetry) Providers() Providers { return Providers{t.current()} }

// TracerProvider returns the TracerProvider of p.
func (p Providers) TracerProvider() trace.TracerProvider { return p.s.tp }

// MeterProvider returns the MeterProvider of p.
func (p Providers) MeterProvider() metric.MeterProvider { return p.s.mp }

// TracerProvider returns the TracerProvider t reports to: the one it was given,
// else the global one. Adapters hand it to otelhttp and otelgrpc so per-attempt
// spans go where the pipeline's do.
func (t *Telemetry) TracerProvider() trace.TracerProvider {
	if t.tp != nil {
		return t.tp
	}
	return otel.GetTracerProvider()
}

// MeterProvider returns the MeterProvider t reports to: the one it was given,
// else the global one.
func (t *Telemetry) MeterProvider() metric.MeterProvider {
	if t.mp != nil {
		return t.mp
	}
	return otel.GetMeterProvider()
}

// Logger returns the logger t logs policy decisions to, or nil.
func (t *Telemetry) Logger() *slog.Logger { return t.logger }
