package pavedhttp_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

// A service that replaces its global TracerProvider after building its
// transports still gets one trace per call, in one provider: the attempt
// spans follow the provider the call span uses. It changes the OpenTelemetry
// globals, so it must not run in parallel.
func TestTransportFollowsReplacedGlobalProvider(t *testing.T) {
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	provider := func() (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
		exp := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		return tp, exp
	}
	first, firstSpans := provider()
	second, secondSpans := provider()

	otel.SetTracerProvider(first)
	srv := newScript(t, 200)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("inventory"), newBase(t))}
	get(t, client, srv.URL)
	require.Len(t, firstSpans.GetSpans(), 2, "call span and attempt span")

	otel.SetTracerProvider(second)
	get(t, client, srv.URL)
	assert.Len(t, firstSpans.GetSpans(), 2, "nothing more goes to the replaced provider")
	spans := secondSpans.GetSpans()
	require.Len(t, spans, 2, "the call span and its attempt span, both in the new provider")
	kinds := map[trace.SpanKind]int{}
	for _, s := range spans {
		kinds[s.SpanKind]++
		assert.Equal(t, spans[0].SpanContext.TraceID(), s.SpanContext.TraceID(), "one trace")
	}
	assert.Equal(t, map[trace.SpanKind]int{trace.SpanKindInternal: 1, trace.SpanKindClient: 1}, kinds)
}
