package paved_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

type sdk struct {
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
}

func newSDK(t *testing.T) *sdk {
	s := &sdk{spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	s.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(s.spans))
	s.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	t.Cleanup(func() { _ = s.tp.Shutdown(context.Background()); _ = s.mp.Shutdown(context.Background()) })
	return s
}

func (s *sdk) telemetry(opts ...telemetry.Option) *telemetry.Telemetry {
	return telemetry.New(append([]telemetry.Option{telemetry.WithTracerProvider(s.tp), telemetry.WithMeterProvider(s.mp)}, opts...)...)
}

func (s *sdk) metrics(t *testing.T) map[string]metricdata.Metrics {
	var rm metricdata.ResourceMetrics
	require.NoError(t, s.reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

func attrs(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

func TestRunIsOneSpanWithOutcomeAndAttempts(t *testing.T) {
	s := newSDK(t)
	p := paved.New("payments", tries(2), paved.WithTelemetry(s.telemetry()))
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Operation: "POST /v1/charges"})
	err := p.Run(ctx, func(ctx context.Context) error {
		if paved.AttemptFrom(ctx).Number() == 1 {
			return errors.New("first fails")
		}
		return nil
	})
	require.NoError(t, err)

	spans := s.spans.GetSpans()
	require.Len(t, spans, 1)
	a := attrs(spans[0].Attributes)
	assert.Equal(t, "payments", spans[0].Name)
	assert.Equal(t, "payments", a[telemetry.AttrPipeline])
	assert.Equal(t, "POST /v1/charges", a[telemetry.AttrOperation])
	assert.Equal(t, "success", a[telemetry.AttrOutcome])
	assert.Equal(t, "2", a[telemetry.AttrAttempts])

	m := s.metrics(t)
	calls := m[telemetry.MetricCallDuration].Data.(metricdata.Histogram[float64])
	require.Len(t, calls.DataPoints, 1)
	assert.EqualValues(t, 1, calls.DataPoints[0].Count)
	outcome, _ := calls.DataPoints[0].Attributes.Value(telemetry.AttrOutcome)
	assert.Equal(t, "success", outcome.AsString())
	op, _ := calls.DataPoints[0].Attributes.Value(telemetry.AttrOperation)
	assert.Equal(t, "POST /v1/charges", op.AsString(), "metrics carry the operation")
	assert.Equal(t, "s", m[telemetry.MetricCallDuration].Unit)

	attempts := m[telemetry.MetricAttemptDuration].Data.(metricdata.Histogram[float64])
	var total uint64
	byOutcome := map[string]uint64{}
	for _, dp := range attempts.DataPoints {
		op, _ := dp.Attributes.Value(telemetry.AttrOperation)
		assert.Equal(t, "POST /v1/charges", op.AsString())
		o, _ := dp.Attributes.Value(telemetry.AttrOutcome)
		byOutcome[o.AsString()] += dp.Count
		total += dp.Count
	}
	assert.EqualValues(t, 2, total)
	assert.Equal(t, map[string]uint64{"success": 1, "transient": 1}, byOutcome)
}

func TestFailedRunSetsErrorStatusWithoutMessageSecrets(t *testing.T) {
	s := newSDK(t)
	p := paved.New("p", paved.WithTelemetry(s.telemetry()))
	_ = p.Run(context.Background(), func(context.Context) error { return paved.Permanent(errors.New("bad request")) })
	spans := s.spans.GetSpans()
	require.Len(t, spans, 1)
	assert.Equal(t, codes.Error, spans[0].Status.Code)
	a := attrs(spans[0].Attributes)
	assert.Equal(t, "permanent", a[telemetry.AttrOutcome])
	assert.Equal(t, "*errors.errorString", a[telemetry.AttrErrorType])
}

func TestPanicEndsSpan(t *testing.T) {
	s := newSDK(t)
	p := paved.New("p", paved.WithTelemetry(s.telemetry()))
	func() {
		defer func() { assert.Equal(t, "boom", recover()) }()
		_ = p.Run(context.Background(), func(context.Context) error { panic("boom") })
	}()
	spans := s.spans.GetSpans()
	require.Len(t, spans, 1)
	assert.Equal(t, "panic", attrs(spans[0].Attributes)[telemetry.AttrErrorType])
}

func TestEmitIsSpanEventMetricAndLog(t *testing.T) {
	s := newSDK(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := paved.New("inventory", paved.WithTelemetry(s.telemetry(telemetry.WithLogger(logger))))
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Operation: "GET /items"})
	require.NoError(t, p.Run(ctx, func(ctx context.Context) error {
		paved.Emit(ctx, telemetry.Event{
			Name: telemetry.EventRetry, Policy: "retry", Delay: 150e6, Err: errors.New("secret-bearing message"),
			Attrs: []attribute.KeyValue{attribute.String("http.request.header.authorization", "Bearer s3cr3t"), attribute.String("idempotency_key", "k-123")},
		})
		return nil
	}))
	spans := s.spans.GetSpans()
	require.Len(t, spans, 1)
	require.Len(t, spans[0].Events, 1)
	ev := spans[0].Events[0]
	assert.Equal(t, telemetry.EventRetry, ev.Name)
	a := attrs(ev.Attributes)
	assert.Equal(t, "retry", a[telemetry.AttrPolicy])
	assert.Equal(t, "1", a[telemetry.AttrAttempt])
	assert.Equal(t, "150", a[telemetry.AttrDelay])
	assert.Equal(t, "GET /items", a[telemetry.AttrOperation])
	assert.Equal(t, "[redacted]", a["http.request.header.authorization"])
	assert.Equal(t, "[redacted]", a["idempotency_key"])

	events := s.metrics(t)[telemetry.MetricEvents].Data.(metricdata.Sum[int64])
	require.Len(t, events.DataPoints, 1)
	assert.EqualValues(t, 1, events.DataPoints[0].Value)
	name, _ := events.DataPoints[0].Attributes.Value(telemetry.AttrEvent)
	assert.Equal(t, telemetry.EventRetry, name.AsString())
	op, _ := events.DataPoints[0].Attributes.Value(telemetry.AttrOperation)
	assert.Equal(t, "GET /items", op.AsString())

	out := logs.String()
	assert.Contains(t, out, "resilience retry")
	assert.Contains(t, out, "resilience.pipeline=inventory")
	for _, secret := range []string{"s3cr3t", "k-123", "secret-bearing"} {
		assert.NotContains(t, out, secret)
		for _, kv := range ev.Attributes {
			assert.NotContains(t, kv.Value.String(), secret)
		}
	}
}

// Operations beyond the cache's bound are still recorded, each with its own
// attributes.
func TestManyOperationsRecorded(t *testing.T) {
	s := newSDK(t)
	p := paved.New("p", paved.WithTelemetry(s.telemetry()))
	const n = 1100 // more than the recorder caches
	for i := range n {
		ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Operation: fmt.Sprint("GET /", i)})
		require.NoError(t, p.Run(ctx, func(context.Context) error { return nil }))
	}
	calls := s.metrics(t)[telemetry.MetricCallDuration].Data.(metricdata.Histogram[float64])
	assert.Len(t, calls.DataPoints, n)
}

// TestGlobalProvidersAreFollowed: a pipeline built before the service installs
// its providers reports to them once installed, and stops when they are no-op.
// It changes the OpenTelemetry globals, so it must not run in parallel.
func TestGlobalProvidersAreFollowed(t *testing.T) {
	p := paved.New("late")
	op := func(context.Context) error { return nil }
	require.NoError(t, p.Run(context.Background(), op))

	s := newSDK(t)
	otel.SetTracerProvider(s.tp)
	otel.SetMeterProvider(s.mp)
	t.Cleanup(func() { otel.SetTracerProvider(tracenoop.NewTracerProvider()) })
	require.NoError(t, p.Run(context.Background(), op))
	assert.Len(t, s.spans.GetSpans(), 1)

	otel.SetTracerProvider(tracenoop.NewTracerProvider())
	require.NoError(t, p.Run(context.Background(), op))
	assert.Len(t, s.spans.GetSpans(), 1)
}
