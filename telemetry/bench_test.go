package telemetry_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-go/paved/telemetry"
)

// sdkTelemetry is telemetry as a service runs it: the SDK sampling
// everything, spans exported synchronously to a no-op exporter, metrics
// collected by a reader.
func sdkTelemetry(b *testing.B) *telemetry.Telemetry {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return telemetry.New(telemetry.WithTracerProvider(tp), telemetry.WithMeterProvider(mp))
}

// BenchmarkCall is what a Recorder costs one successful call of one attempt
// with the SDK installed: its span, and its call and attempt durations.
func BenchmarkCall(b *testing.B) {
	rec := sdkTelemetry(b).Recorder("payments")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		cctx, cs := rec.StartCall(ctx, "GET example.com", 0)
		rec.RecordAttempt(cctx, "GET example.com", time.Now(), 0)
		rec.EndCall(cctx, cs, 0, 1, nil)
	}
}

// BenchmarkCallSDKFloor is BenchmarkCall's telemetry written against the
// SDK directly, every option precomputed: the span with the same attributes,
// the two histogram measurements, one clock reading of its own. What
// BenchmarkCall costs over it is the Recorder's own.
func BenchmarkCallSDKFloor(b *testing.B) {
	tel := sdkTelemetry(b)
	tracer := tel.TracerProvider().Tracer(telemetry.ScopeName)
	meter := tel.MeterProvider().Meter(telemetry.ScopeName)
	callDuration, _ := meter.Float64Histogram(telemetry.MetricCallDuration)
	attemptDuration, _ := meter.Float64Histogram(telemetry.MetricAttemptDuration)
	start := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(
		attribute.String(telemetry.AttrPipeline, "payments"), attribute.String(telemetry.AttrOperation, "GET example.com"))}
	endAttrs := []attribute.KeyValue{attribute.String(telemetry.AttrOutcome, "success"), attribute.Int(telemetry.AttrAttempts, 1)}
	set := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String(telemetry.AttrPipeline, "payments"),
		attribute.String(telemetry.AttrOutcome, "success"), attribute.String(telemetry.AttrOperation, "GET example.com")))}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		cctx, span := tracer.Start(ctx, "payments", start...)
		began := time.Now()
		attemptDuration.Record(cctx, time.Since(began).Seconds(), set...)
		callDuration.Record(cctx, time.Since(began).Seconds(), set...)
		span.SetAttributes(endAttrs...)
		span.End()
	}
}

// BenchmarkEmit is what one policy decision costs a call with the SDK
// installed: a retry's span event and resilience.events count.
func BenchmarkEmit(b *testing.B) {
	rec := sdkTelemetry(b).Recorder("payments")
	ctx, cs := rec.StartCall(context.Background(), "GET example.com", 0)
	defer rec.EndCall(ctx, cs, 0, 1, nil)
	ev := telemetry.Event{Name: telemetry.EventRetry, Policy: "retry", Attempt: 1, Delay: 100 * time.Millisecond, Err: context.DeadlineExceeded}
	b.ReportAllocs()
	for b.Loop() {
		rec.Emit(ctx, "GET example.com", ev)
	}
}
