package pavedgrpc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

// A service that replaces its global TracerProvider after dialing still gets
// one trace per call in one provider: the attempt spans otelgrpc makes follow
// the provider of the call span. It changes the OpenTelemetry globals, so it
// must not run in parallel.
func TestDialOptionsFollowReplacedGlobalProvider(t *testing.T) {
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	provider := func() *tracetest.InMemoryExporter {
		exp := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		otel.SetTracerProvider(tp)
		return exp
	}
	first := provider()
	client := dial(t, startServer(t, &testService{}), pavedgrpc.DialOptions(paved.New("inventory"))...)
	_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	require.Len(t, first.GetSpans(), 2, "call span and attempt span")

	second := provider()
	_, err = client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	assert.Len(t, first.GetSpans(), 2, "nothing more goes to the replaced provider")
	spans := second.GetSpans()
	require.Len(t, spans, 2)
	kinds := map[trace.SpanKind]int{}
	for _, s := range spans {
		kinds[s.SpanKind]++
		assert.Equal(t, spans[0].SpanContext.TraceID(), s.SpanContext.TraceID(), "one trace")
	}
	assert.Equal(t, map[trace.SpanKind]int{trace.SpanKindInternal: 1, trace.SpanKindClient: 1}, kinds)
}
