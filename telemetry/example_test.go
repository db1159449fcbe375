package telemetry_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// A pipeline reports one span per call to the providers it is given.
func Example() {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	p := paved.New("payments", paved.WithTelemetry(telemetry.New(telemetry.WithTracerProvider(tp))))
	_ = p.Run(context.Background(), func(context.Context) error { return nil })

	for _, s := range spans.GetSpans() {
		fmt.Println(s.Name)
	}
	// Output: payments
}
