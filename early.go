package paved

import (
	"context"

	"go.opentelemetry.io/otel/trace"

	"github.com/paved-go/paved/telemetry"
)

// EarlyRefuser is a Middleware that can tell, before a call starts, that its
// Op would refuse the call at once without running next: a breaker that is
// open. When a Pipeline's outermost middleware is an EarlyRefuser and nobody
// records the call (no span or metric is recorded for it, and the
// pipeline's Telemetry has no logger), Run asks it first, and a refused call
// returns without building its Call: the cheap path of a refusal. Everything
// else a refusal does still happens: the event RefuseEarly emits reaches the
// caller's span, and a parent call's DownstreamGaveUp is marked. Execute,
// ExecuteWith and Do always build the Call they return.
type EarlyRefuser interface {
	Middleware
	// RefuseEarly returns the error the Op would return at once for a call
	// in ctx starting now, having reported what that refusal reports through
	// call.Emit; or nil when the call must run the ordinary way, where the Op
	// decides again. It must be safe for concurrent use, and must not read a
	// Call or Attempt from ctx: there is none yet.
	RefuseEarly(ctx context.Context, call EarlyCall) error
}

// EarlyCall is a call that its pipeline has not built yet, as an
// EarlyRefuser sees it. Its zero value is not usable.
type EarlyCall struct {
	p *Pipeline
}

// Pipeline returns the name of the pipeline the call runs in, as
// Call.Pipeline does.
func (c EarlyCall) Pipeline() string { return c.p.name }

// Telemetry returns the telemetry of that pipeline, as Call.Telemetry does.
func (c EarlyCall) Telemetry() *telemetry.Telemetry { return c.p.tel }

// Recording reports whether an event emitted now would be recorded at all:
// whether ctx carries a recording span (the caller's). Run asks an
// EarlyRefuser only when the pipeline records neither spans nor metrics and
// logs nothing, so that span is all there is to ask; metrics installed
// since are the next call's, as that call's own measurements would be. When
// it is false Emit does nothing, so a policy may skip building the event.
func (c EarlyCall) Recording(ctx context.Context) bool {
	return spanRecording(ctx) // Recording is inlined in the caller; this is not
}

// spanRecording reports whether ctx carries a recording span.
func spanRecording(ctx context.Context) bool { return trace.SpanFromContext(ctx).IsRecording() }

// Emit reports ev as Emit would from the call's first attempt. ctx is the
// context RefuseEarly was given, which carries the call's CallInfo.
func (c EarlyCall) Emit(ctx context.Context, ev telemetry.Event) {
	if !c.Recording(ctx) {
		return // what the recorder would find, without copying ev down to it
	}
	if ev.Attempt == 0 {
		ev.Attempt = 1
	}
	c.p.rec.Emit(ctx, callInfo(ctx).Operation, ev)
}
