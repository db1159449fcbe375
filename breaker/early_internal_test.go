package breaker

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// A state change queued when a call is refused (by a call on another
// goroutine, between its change and its report) is reported by the refused
// call, through the call: RefuseEarly leaves such calls to the ordinary path.
func TestEarlyRefusalLeavesQueuedChangesToTheOrdinaryPath(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	b := MustNew("db", WithConsecutiveFailures(1))
	p := paved.New("orders", b, paved.WithTelemetry(telemetry.New(
		telemetry.WithTracerProvider(tracenoop.NewTracerProvider()), telemetry.WithMeterProvider(metricnoop.NewMeterProvider()))))
	require.Error(t, p.Run(context.Background(), func(context.Context) error { return assert.AnError }))
	require.Equal(t, StateOpen, b.State())

	b.enqueue(StateOpen) // as if another call's trip were not reported yet
	ctx, span := tp.Tracer("caller").Start(context.Background(), "caller")
	require.ErrorIs(t, p.Run(ctx, func(context.Context) error { return nil }), ErrOpen)
	span.End()
	got := spans.GetSpans()
	require.Len(t, got, 1)
	var names []string
	for _, ev := range got[0].Events {
		names = append(names, ev.Name)
	}
	assert.Equal(t, []string{telemetry.EventBreakerOpened, telemetry.EventBreakerRejected}, names)
}
