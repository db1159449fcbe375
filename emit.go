package paved

import (
	"context"

	"github.com/paved-go/paved/telemetry"
)

// Emit reports a policy decision for the call ctx belongs to: a span event on the
// current span, a resilience.events count and, when the pipeline has a logger, a
// log record, all in the vocabulary of package telemetry. Outside a Pipeline run
// it does nothing. The attempt number is filled in from ctx when ev has none.
func Emit(ctx context.Context, ev telemetry.Event) {
	c := CallFrom(ctx)
	if c == nil {
		return
	}
	if ev.Attempt == 0 {
		if a := AttemptFrom(ctx); a != nil {
			ev.Attempt = a.Number()
		}
	}
	c.pipeline.rec.Emit(ctx, c.info.Operation, ev)
}
