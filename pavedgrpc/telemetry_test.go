package pavedgrpc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/telemetry"
)

// TestSpansPerAttempt: one span for the call (the pipeline's), with one
// otelgrpc client span per attempt under it.
func TestSpansPerAttempt(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	svc := &testService{script: []reply{{code: codes.Unavailable}, {code: codes.Unavailable}}}
	addr := startServer(t, svc)
	p := paved.New("spans", fastRetry(), paved.WithTelemetry(telemetry.New(telemetry.WithTracerProvider(tp))))
	client := dial(t, addr, pavedgrpc.DialOptions(p, repeatAll)...)

	_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.NoError(t, err)

	spans := exp.GetSpans()
	var call *tracetest.SpanStub
	var attempts []tracetest.SpanStub
	for i, s := range spans {
		switch s.SpanKind {
		case trace.SpanKindInternal:
			call = &spans[i]
		case trace.SpanKindClient:
			attempts = append(attempts, s)
		}
	}
	require.NotNil(t, call, "the pipeline's span")
	assert.Equal(t, "spans", call.Name)
	assert.Contains(t, call.Attributes, attribute.String(telemetry.AttrOperation, "/grpc.testing.TestService/UnaryCall"))
	require.Len(t, attempts, 3, "one otelgrpc span per attempt")
	for _, a := range attempts {
		assert.Equal(t, "grpc.testing.TestService/UnaryCall", a.Name)
		assert.Equal(t, call.SpanContext.SpanID(), a.Parent.SpanID(), "attempt span is a child of the call span")
		assert.Equal(t, call.SpanContext.TraceID(), a.SpanContext.TraceID())
	}
}

// TestServerSpans: the server's otelgrpc span is the parent of the server
// pipeline's span.
func TestServerSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	p := paved.New("admit", paved.WithTelemetry(telemetry.New(telemetry.WithTracerProvider(tp))))
	addr := startServer(t, &testService{}, pavedgrpc.ServerOptions(p)...)
	client := dial(t, addr)
	_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.NoError(t, err)

	var server, admit *tracetest.SpanStub
	spans := exp.GetSpans()
	for i, s := range spans {
		switch s.SpanKind {
		case trace.SpanKindServer:
			server = &spans[i]
		case trace.SpanKindInternal:
			admit = &spans[i]
		}
	}
	require.NotNil(t, server)
	require.NotNil(t, admit)
	assert.Equal(t, server.SpanContext.SpanID(), admit.Parent.SpanID())
}

// TestServerErrorType: a handler's status error is named by its code in the
// server pipeline's span, as on the client, and reaches the client
// unchanged.
func TestServerErrorType(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	p := paved.New("admit", paved.WithTelemetry(telemetry.New(telemetry.WithTracerProvider(tp))))
	svc := &testService{script: []reply{{code: codes.Unavailable}, {code: codes.Internal}}}
	addr := startServer(t, svc, pavedgrpc.ServerOptions(p)...)
	client := dial(t, addr)
	for _, want := range []codes.Code{codes.Unavailable, codes.Internal} {
		_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
		require.Equal(t, want, status.Code(err))
	}
	var got []string
	for _, s := range exp.GetSpans() {
		if s.SpanKind != trace.SpanKindInternal {
			continue
		}
		for _, a := range s.Attributes {
			if a.Key == telemetry.AttrErrorType {
				got = append(got, a.Value.AsString())
			}
		}
	}
	assert.Equal(t, []string{"Unavailable", "Internal"}, got)
}
