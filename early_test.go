package paved_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// gate is an EarlyRefuser whose Op refuses with refusal while it is set,
// as RefuseEarly does; asked counts RefuseEarly's calls.
type gate struct {
	refusal error
	asked   atomic.Int32
	seen    paved.EarlyCall
}

func (g *gate) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		if g.refusal != nil {
			paved.Emit(ctx, telemetry.Event{Name: telemetry.EventBreakerRejected, Policy: "gate", Err: g.refusal})
			return g.refusal
		}
		return next(ctx)
	}
}

func (g *gate) RefuseEarly(ctx context.Context, call paved.EarlyCall) error {
	g.asked.Add(1)
	g.seen = call
	if g.refusal != nil {
		call.Emit(ctx, telemetry.Event{Name: telemetry.EventBreakerRejected, Policy: "gate", Err: g.refusal})
	}
	return g.refusal
}

func quiet() *telemetry.Telemetry {
	return telemetry.New(telemetry.WithTracerProvider(tracenoop.NewTracerProvider()), telemetry.WithMeterProvider(metricnoop.NewMeterProvider()))
}

func okOp(context.Context) error { return nil }

var errRefused = paved.NewRejection(errors.New("gate: closed"), 0)

// Run asks an outermost EarlyRefuser first when nobody records the call, and
// a refused call runs no Op at all; Execute, and a refuser that is not
// outermost, are never asked.
func TestEarlyRefusal(t *testing.T) {
	g := &gate{refusal: errRefused}
	ran := 0
	op := func(context.Context) error { ran++; return nil }
	p := paved.New("p", g, paved.WithTelemetry(quiet()))
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Operation: "GET /x"})

	require.Same(t, errRefused, p.Run(ctx, op))
	assert.EqualValues(t, 1, g.asked.Load())
	assert.Zero(t, ran)
	assert.Equal(t, "p", g.seen.Pipeline())
	assert.Same(t, p.Telemetry(), g.seen.Telemetry())

	g.refusal = nil // RefuseEarly lets the call run: the ordinary path
	require.NoError(t, p.Run(ctx, op))
	assert.EqualValues(t, 2, g.asked.Load())
	assert.Equal(t, 1, ran)

	g.refusal = errRefused
	c, err := p.Execute(ctx, op)
	require.Same(t, errRefused, err, "the Op refuses")
	require.NotNil(t, c)
	assert.EqualValues(t, 2, g.asked.Load(), "Execute builds its call")

	inner := paved.New("p", paved.MiddlewareFunc(func(next paved.Op) paved.Op { return next }), g, paved.WithTelemetry(quiet()))
	require.Same(t, errRefused, inner.Run(ctx, op))
	assert.EqualValues(t, 2, g.asked.Load(), "not outermost")
	assert.Equal(t, 1, ran, "the Op refuses: op never ran")
}

// A pipeline that records spans, metrics or logs runs every call the
// ordinary way, so that the call is recorded as before.
func TestEarlyRefusalNotWhenRecorded(t *testing.T) {
	s := newSDK(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tests := []struct {
		name string
		tel  *telemetry.Telemetry
	}{
		{"spans and metrics", s.telemetry()},
		{"metrics", telemetry.New(telemetry.WithTracerProvider(tracenoop.NewTracerProvider()), telemetry.WithMeterProvider(s.mp))},
		{"spans", telemetry.New(telemetry.WithTracerProvider(s.tp), telemetry.WithMeterProvider(metricnoop.NewMeterProvider()))},
		{"a logger", telemetry.New(telemetry.WithTracerProvider(tracenoop.NewTracerProvider()),
			telemetry.WithMeterProvider(metricnoop.NewMeterProvider()), telemetry.WithLogger(logger))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &gate{refusal: errRefused}
			p := paved.New("p", g, paved.WithTelemetry(tt.tel))
			require.Same(t, errRefused, p.Run(context.Background(), okOp))
			assert.Zero(t, g.asked.Load())
		})
	}
	assert.Contains(t, logs.String(), "resilience breaker_rejected")
}

// An early refusal's event is the ordinary refusal's: on the caller's
// recording span, as the call's first attempt, with its operation.
func TestEarlyRefusalEvent(t *testing.T) {
	s := newSDK(t)
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Operation: "GET /x"})
	events := func(p *paved.Pipeline) map[string]string {
		t.Helper()
		s.spans.Reset()
		ctx, span := s.tp.Tracer("caller").Start(ctx, "caller")
		require.Same(t, errRefused, p.Run(ctx, okOp))
		span.End()
		spans := s.spans.GetSpans()
		require.Len(t, spans, 1)
		require.Len(t, spans[0].Events, 1)
		return attrs(spans[0].Events[0].Attributes)
	}
	g := &gate{refusal: errRefused}
	early := events(paved.New("p", g, paved.WithTelemetry(quiet())))
	require.EqualValues(t, 1, g.asked.Load())
	ordinary := events(paved.New("p", paved.MiddlewareFunc(func(next paved.Op) paved.Op { return next }), g, paved.WithTelemetry(quiet())))
	require.EqualValues(t, 1, g.asked.Load())
	assert.Equal(t, ordinary, early)
	assert.Equal(t, "1", early[telemetry.AttrAttempt])
	assert.Equal(t, "GET /x", early[telemetry.AttrOperation])
	assert.Equal(t, "p", early[telemetry.AttrPipeline])

	// No recording span, no metrics: nothing to emit to.
	call := g.seen
	assert.False(t, call.Recording(context.Background()))
	sctx, span := s.tp.Tracer("caller").Start(context.Background(), "caller")
	defer span.End()
	assert.True(t, call.Recording(sctx))
}

// An early refusal marks the call it was made within, as the ordinary one
// does, and asks the pipeline's classifier whether it gave up.
func TestEarlyRefusalMarksTheParent(t *testing.T) {
	retried := paved.ClassifierFunc(func(error) paved.Outcome { return paved.OutcomeTransient })
	tests := []struct {
		name string
		opts []paved.Middleware
		want bool
	}{
		{"refused by our own policy", nil, true},
		{"classified as no refusal", []paved.Middleware{paved.WithClassifier(retried)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, outer := range []bool{true, false} {
				g := &gate{refusal: errRefused}
				ms := []paved.Middleware{g}
				if !outer {
					ms = []paved.Middleware{paved.MiddlewareFunc(func(next paved.Op) paved.Op { return next }), g}
				}
				client := paved.New("client", append(append(ms, tt.opts...), paved.WithTelemetry(quiet()))...)
				server := paved.New("server", paved.WithTelemetry(quiet()))
				c, _ := server.Execute(context.Background(), func(ctx context.Context) error {
					return client.Run(ctx, okOp)
				})
				assert.Equal(t, tt.want, c.DownstreamGaveUp(), "outermost %v", outer)
				assert.Equal(t, outer, g.asked.Load() == 1)
			}
		})
	}
}
