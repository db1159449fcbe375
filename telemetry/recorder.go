package telemetry

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Recorder reports the calls of one pipeline. Package paved makes one per
// Pipeline; policies report through paved.Emit rather than using it directly.
// A Recorder is safe for concurrent use.
type Recorder struct {
	t        *Telemetry
	pipeline string
	attr     attribute.KeyValue
	// ops caches, per operation, the attribute sets of each outcome, built
	// once so recording a measurement does not allocate.
	ops     sync.Map // operation -> *opCache
	opsSize atomic.Int32
	// last is the operation cache used last: most pipelines call one
	// operation, or one at a time, and comparing a string is cheaper than
	// hashing it for ops.
	last atomic.Pointer[opCache]
}

// opCache is what recording one operation's calls needs, built once: the
// record options of its measurements per outcome, and the options its call
// spans start with.
type opCache struct {
	operation string
	outcome   [len(OutcomeNames)][]metric.RecordOption
	start     []trace.SpanStartOption
	// events caches the add options of the operation's resilience.events
	// series, so counting an event does not build (sort, hash) its
	// attribute set each time.
	events     sync.Map // eventKey -> *eventSeries
	eventsSize atomic.Int32
	// lastEvent is the series counted last: an outage reports the same
	// event call after call (breaker_rejected, retry), and comparing its key
	// is cheaper than hashing it for events.
	lastEvent atomic.Pointer[eventSeries]
}

// eventSeries is one cached resilience.events series.
type eventSeries struct {
	key  eventKey
	opts []metric.AddOption
}

// eventKey names one resilience.events series of an operation: the
// attributes besides the pipeline and operation that the counter carries.
type eventKey struct {
	policy, name string
	reason       string // resilience.retry.reason, when hasReason
	hasReason    bool
}

// maxCachedEvents bounds an operation's cache of event series: policies
// report a few kinds of event each, so more means names made per call, whose
// attribute sets are then built per event (an allocation, never unbounded
// memory).
const maxCachedEvents = 256

// maxCachedOperations bounds the per-operation cache: past it, a new
// operation's attribute sets are built per measurement (an allocation, never
// unbounded memory). Operations are meant to be few (route templates,
// methods), so this is a guard against a caller naming them by raw path.
const maxCachedOperations = 1024

// Recorder returns a Recorder for the pipeline named pipeline.
func (t *Telemetry) Recorder(pipeline string) *Recorder {
	return &Recorder{t: t, pipeline: pipeline, attr: attribute.String(AttrPipeline, pipeline)}
}

// cache returns operation's opCache.
func (r *Recorder) cache(operation string) *opCache {
	if o := r.last.Load(); o != nil && o.operation == operation {
		return o
	}
	return r.lookup(operation)
}

// lookup is cache's slow path: the operation is not the last one used.
func (r *Recorder) lookup(operation string) *opCache {
	var o *opCache
	if v, ok := r.ops.Load(operation); ok {
		o = v.(*opCache)
	} else {
		o = r.buildCache(operation)
		if r.opsSize.Load() >= maxCachedOperations {
			return o // not kept: neither in ops nor as last
		}
		if v, loaded := r.ops.LoadOrStore(operation, o); loaded {
			o = v.(*opCache)
		} else {
			r.opsSize.Add(1)
		}
	}
	r.last.Store(o)
	return o
}

func (r *Recorder) buildCache(operation string) *opCache {
	o := &opCache{operation: operation}
	for i, name := range OutcomeNames {
		kv := []attribute.KeyValue{r.attr, attribute.String(AttrOutcome, name)}
		if operation != "" {
			kv = append(kv, attribute.String(AttrOperation, operation))
		}
		o.outcome[i] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
	}
	// WithSpanKind though internal is what the SDK records a span without
	// one as: a sampler is given the kind asked for, and would see none.
	o.start = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(r.callAttrs(operation, 0)...)}
	return o
}

// callAttrs are the attributes a call span starts with.
func (r *Recorder) callAttrs(operation string, callerAttempt int) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 1, 3)
	attrs[0] = r.attr
	if operation != "" {
		attrs = append(attrs, attribute.String(AttrOperation, operation))
	}
	if callerAttempt > 1 {
		attrs = append(attrs, attribute.Int(AttrCallerAttempt, callerAttempt))
	}
	return attrs
}

// Enabled reports whether spans or metrics are recorded at all, and whether
// metrics are.
func (r *Recorder) Enabled() (enabled, metrics bool) {
	s := r.t.current()
	return s.tracer != nil || s.inst != nil, s.inst != nil
}

// Now returns the time measurements start from.
func (r *Recorder) Now() time.Time { return time.Now() }

// MetricsOn reports whether metrics are on in the state Enabled last built,
// for this or any pipeline sharing the Telemetry: one atomic load, for the
// per-attempt path. A provider installed mid-call may make one call's attempts
// recorded or not; never wrong, only early or late by a call.
func (r *Recorder) MetricsOn() bool {
	s := r.t.state.Load()
	return s != nil && s.inst != nil
}

// CallSpan is a call in progress, returned by StartCall and passed to EndCall.
type CallSpan struct {
	span  trace.Span
	start time.Time
	inst  *instruments
	op    *opCache
}

// StartCall starts the span of one logical call and its timing. The returned
// context carries the span. callerAttempt, when 2 or more, is recorded as
// resilience.caller_attempt: the server is serving its caller's resend.
func (r *Recorder) StartCall(ctx context.Context, operation string, callerAttempt int) (context.Context, CallSpan) {
	s := r.t.current()
	cs := CallSpan{inst: s.inst}
	if s.inst == nil && s.tracer == nil {
		return ctx, cs
	}
	cs.op = r.cache(operation)
	if s.tracer == nil {
		cs.start = time.Now()
		return ctx, cs
	}
	if callerAttempt > 1 { // a resend: attributes of its own
		ctx, cs.span = s.tracer.Start(ctx, r.pipeline, trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(r.callAttrs(operation, callerAttempt)...))
	} else {
		ctx, cs.span = s.tracer.Start(ctx, r.pipeline, cs.op.start...)
	}
	if s.inst != nil {
		cs.start = spanStart(cs.span)
	}
	return ctx, cs
}

// spanStart returns the time span started, which the SDK's spans tell,
// saving a second reading of the clock; for others, now.
func spanStart(span trace.Span) time.Time {
	if ro, ok := span.(interface{ StartTime() time.Time }); ok {
		if t := ro.StartTime(); !t.IsZero() {
			return t
		}
	}
	return time.Now()
}

// EndCall ends a call: outcome indexes OutcomeNames, attempts is how many
// attempts it made, err what it returned.
func (r *Recorder) EndCall(ctx context.Context, cs CallSpan, outcome, attempts int, err error) {
	outcome = clampOutcome(outcome)
	if cs.inst != nil {
		cs.inst.callDuration.Record(ctx, time.Since(cs.start).Seconds(), cs.op.outcome[outcome]...)
	}
	if cs.span == nil {
		return
	}
	attrs := endAttrs(outcome, attempts)
	if err != nil {
		// The type, never the message: a *url.Error's message holds the URL
		// and its query, where tokens often live.
		et := ErrorType(err)
		attrs = append(attrs[:len(attrs):len(attrs)], attribute.String(AttrErrorType, et))
		cs.span.SetAttributes(attrs...)
		cs.span.SetStatus(codes.Error, et)
	} else {
		cs.span.SetAttributes(attrs...)
	}
	cs.span.End()
}

// maxEndAttrs is how many attempts precomputedEndAttrs covers: the most a
// retry policy allows (10), with room for hedges.
const maxEndAttrs = 16

// precomputedEndAttrs are the attributes a call span ends with, per outcome
// and number of attempts, built once: read only, so passing one to
// SetAttributes allocates nothing.
var precomputedEndAttrs = func() (t [len(OutcomeNames)][maxEndAttrs + 1][]attribute.KeyValue) {
	for o, name := range OutcomeNames {
		for n := range t[o] {
			t[o][n] = []attribute.KeyValue{attribute.String(AttrOutcome, name), attribute.Int(AttrAttempts, n)}
		}
	}
	return t
}()

// endAttrs returns the attributes of a call span that ended with outcome
// after attempts attempts. The caller must not modify the slice.
func endAttrs(outcome, attempts int) []attribute.KeyValue {
	if attempts >= 0 && attempts <= maxEndAttrs {
		return precomputedEndAttrs[outcome][attempts]
	}
	return []attribute.KeyValue{attribute.String(AttrOutcome, OutcomeNames[outcome]), attribute.Int(AttrAttempts, attempts)}
}

// EndCallPanic ends a call whose op panicked. The panic goes on to the caller.
func (r *Recorder) EndCallPanic(cs CallSpan) {
	if cs.span == nil {
		return
	}
	cs.span.SetAttributes(attribute.String(AttrErrorType, "panic"))
	cs.span.SetStatus(codes.Error, "panic")
	cs.span.End()
}

// RecordAttempt records the duration since start of one attempt of a call of
// operation.
func (r *Recorder) RecordAttempt(ctx context.Context, operation string, start time.Time, outcome int) {
	outcome = clampOutcome(outcome)
	if s := r.t.current(); s.inst != nil {
		s.inst.attemptDuration.Record(ctx, time.Since(start).Seconds(), r.cache(operation).outcome[outcome]...)
	}
}

// Emit reports ev for a call of operation: a span event on the span in ctx,
// a resilience.events count, and a log record when a logger is set.
//
// It reports to the providers the call started with: paved calls it only
// within a call, whose start read them (Enabled, StartCall), so it saves
// looking at the globals again. A provider installed mid-call is seen by the
// next call, as MetricsOn's are.
func (r *Recorder) Emit(ctx context.Context, operation string, ev Event) {
	s := r.t.state.Load()
	if s == nil {
		s = r.t.current()
	}
	var oc *opCache
	if s.inst != nil {
		oc = r.cache(operation)
	}
	r.t.emit(ctx, s, r.attr, operation, oc, ev)
}

// Emit reports ev outside any call, for the pipeline named pipeline: a policy
// whose state changes in the background (a breaker opened by fleet-wide state)
// has no call to report it with.
func (t *Telemetry) Emit(ctx context.Context, pipeline string, ev Event) {
	t.emit(ctx, t.current(), attribute.String(AttrPipeline, pipeline), "", nil, ev)
}

// emit reports ev; oc, when not nil, is the operation's cache, which holds
// the counter's attribute sets.
func (t *Telemetry) emit(ctx context.Context, s *state, pipeline attribute.KeyValue, operation string, oc *opCache, ev Event) {
	span := trace.SpanFromContext(ctx)
	recording := span.IsRecording()
	logging := t.logger != nil && t.logger.Enabled(ctx, ev.level())
	if s.inst == nil && !recording && !logging {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 8+len(ev.Attrs))
	attrs = append(attrs, pipeline, attribute.String(AttrPolicy, ev.Policy), attribute.String(AttrEvent, ev.Name))
	if operation != "" {
		attrs = append(attrs, attribute.String(AttrOperation, operation))
	}
	if s.inst != nil {
		s.inst.events.Add(ctx, 1, eventOptions(oc, attrs, &ev)...)
	}
	if ev.Attempt > 0 {
		attrs = append(attrs, attribute.Int(AttrAttempt, ev.Attempt))
	}
	if ev.Delay > 0 {
		attrs = append(attrs, attribute.Float64(AttrDelay, float64(ev.Delay)/float64(time.Millisecond)))
	}
	if ev.Err != nil {
		attrs = append(attrs, attribute.String(AttrErrorType, ErrorType(ev.Err)))
	}
	attrs = append(attrs, redacted(ev.Attrs)...)
	if recording {
		span.AddEvent(ev.Name, trace.WithAttributes(attrs...))
	}
	if logging {
		la := make([]any, 0, len(attrs))
		for _, kv := range attrs {
			la = append(la, slogAttr(kv))
		}
		t.logger.Log(ctx, ev.level(), "resilience "+ev.Name, la...)
	}
}

// eventOptions returns the add options of ev's resilience.events count:
// attrs (pipeline, policy, event, operation) and the event's counted
// attributes, from oc's cache when oc is not nil.
func eventOptions(oc *opCache, attrs []attribute.KeyValue, ev *Event) []metric.AddOption {
	counted := countedAttrs(attrs, ev.Attrs)
	if oc == nil {
		return []metric.AddOption{metric.WithAttributes(counted...)}
	}
	key := eventKey{policy: ev.Policy, name: ev.Name}
	if len(counted) > len(attrs) {
		reason := counted[len(counted)-1].Value
		if reason.Type() != attribute.STRING { // not worth a key of its own
			return []metric.AddOption{metric.WithAttributes(counted...)}
		}
		key.reason, key.hasReason = reason.AsString(), true
	}
	if l := oc.lastEvent.Load(); l != nil && l.key == key {
		return l.opts
	}
	var es *eventSeries
	if v, ok := oc.events.Load(key); ok {
		es = v.(*eventSeries)
	} else {
		es = &eventSeries{key: key, opts: []metric.AddOption{metric.WithAttributes(counted...)}}
		if oc.eventsSize.Load() >= maxCachedEvents {
			return es.opts // not kept: neither in events nor as lastEvent
		}
		if v, loaded := oc.events.LoadOrStore(key, es); loaded {
			es = v.(*eventSeries)
		} else {
			oc.eventsSize.Add(1)
		}
	}
	oc.lastEvent.Store(es)
	return es.opts
}

// countedAttrs adds to the counter's attributes the event attributes that
// are bounded enough to be metric labels: the reason a retry gave up, so
// that refusals by the budget can be counted and alerted on apart from calls
// that simply used all their attempts.
func countedAttrs(attrs, extra []attribute.KeyValue) []attribute.KeyValue {
	for _, kv := range extra {
		if kv.Key == AttrRetryReason {
			return append(attrs[:len(attrs):len(attrs)], kv)
		}
	}
	return attrs
}

// RecordBreakerState sets the resilience.breaker.state gauge of the named
// breaker (BreakerClosed, BreakerHalfOpen, BreakerOpen).
func (t *Telemetry) RecordBreakerState(ctx context.Context, pipeline, breaker string, state int64) {
	if s := t.current(); s.inst != nil {
		s.inst.breakerState.Record(ctx, state, metric.WithAttributes(
			attribute.String(AttrPipeline, pipeline), attribute.String(AttrBreaker, breaker)))
	}
}

// ErrorType is the error.type of err, one low-cardinality scheme for every
// span, event and log paved records:
//
//   - what an ErrorType() string method in err's chain says: the adapters'
//     status errors give the HTTP status code ("503") or the gRPC code
//     ("Unavailable"), paved's refusals a stable name ("breaker_open"), a
//     retry that gave up its last error's type;
//   - "canceled" and "deadline_exceeded" for the context errors;
//   - else the Go type of the first error in the chain that is not a plain
//     wrapper made by fmt.Errorf ("*net.OpError", "*errors.errorString").
//
// It never includes the error's message, which may hold URLs, keys or
// tokens.
func ErrorType(err error) string {
	if err == nil {
		return "<nil>"
	}
	if et, ok := asErrorTyper(err); ok {
		return et.ErrorType()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	}
	for {
		name := reflect.TypeOf(err).String() // what %T prints
		if name != "*fmt.wrapError" && name != "*fmt.wrapErrors" {
			return name
		}
		var next error
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next = u.Unwrap()
		case interface{ Unwrap() []error }:
			if es := u.Unwrap(); len(es) > 0 {
				next = es[0]
			}
		}
		if next == nil {
			return name
		}
		err = next
	}
}

// errorTyper is an error that names its own error.type.
type errorTyper interface{ ErrorType() string }

// asErrorTyper is errors.As(err, &et) for an errorTyper et, step for step
// (the error itself, its As method, then what it wraps, depth first), without
// errors.As's reflection, which costs more than the rest of an event.
func asErrorTyper(err error) (errorTyper, bool) {
	for {
		if et, ok := err.(errorTyper); ok {
			return et, true
		}
		if x, ok := err.(interface{ As(any) bool }); ok {
			// The unnamed type, as errors.As's caller declared it: an As
			// method looks for *interface{ ErrorType() string }.
			var et interface{ ErrorType() string }
			if x.As(&et) {
				return et, true
			}
		}
		switch x := err.(type) {
		case interface{ Unwrap() error }:
			if err = x.Unwrap(); err == nil {
				return nil, false
			}
		case interface{ Unwrap() []error }:
			for _, err := range x.Unwrap() {
				if err == nil {
					continue
				}
				if et, ok := asErrorTyper(err); ok {
					return et, true
				}
			}
			return nil, false
		default:
			return nil, false
		}
	}
}

// clampOutcome maps an index outside OutcomeNames to "fault" rather than panic.
func clampOutcome(o int) int {
	if o < 0 || o >= len(OutcomeNames) {
		return 3 // fault
	}
	return o
}
