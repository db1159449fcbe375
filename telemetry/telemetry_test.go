package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/paved-go/paved/telemetry"
)

type statusErr struct{}

func (statusErr) Error() string     { return "status 503 for https://user:pw@host/" }
func (statusErr) ErrorType() string { return "503" }

func TestErrorType(t *testing.T) {
	assert.Equal(t, "503", telemetry.ErrorType(fmt.Errorf("get: %w", statusErr{})))
	assert.Equal(t, "canceled", telemetry.ErrorType(fmt.Errorf("x: %w", context.Canceled)))
	assert.Equal(t, "deadline_exceeded", telemetry.ErrorType(context.DeadlineExceeded))
	assert.Equal(t, "*errors.errorString", telemetry.ErrorType(io.EOF))
}

func TestNoopProvidersDisableRecording(t *testing.T) {
	tel := telemetry.New(telemetry.WithTracerProvider(tracenoop.NewTracerProvider()), telemetry.WithMeterProvider(metricnoop.NewMeterProvider()))
	any, metrics := tel.Recorder("p").Enabled()
	assert.False(t, any)
	assert.False(t, metrics)
	// With globals unset (the state of this test binary), nothing is recorded either.
	any, metrics = telemetry.New().Recorder("p").Enabled()
	assert.False(t, any)
	assert.False(t, metrics)
}

func TestEmitOutsideACallAndGauges(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) }()
	tel := telemetry.New(telemetry.WithTracerProvider(tp), telemetry.WithMeterProvider(mp))
	assert.Same(t, tp, tel.TracerProvider())
	assert.Same(t, mp, tel.MeterProvider())

	ctx := context.Background()
	tel.Emit(ctx, "payments", telemetry.Event{Name: telemetry.EventBreakerOpened, Policy: "breaker", Err: errors.New("x"),
		Attrs: []attribute.KeyValue{attribute.String(telemetry.AttrBreaker, "payments")}})
	tel.RecordBreakerState(ctx, "payments", "payments", telemetry.BreakerOpen)
	tel.RecordConcurrency(ctx, "payments", "bulkhead", 20, 7)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, telemetry.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				got[m.Name] = d.DataPoints[0].Value
			case metricdata.Gauge[int64]:
				got[m.Name] = d.DataPoints[0].Value
			}
		}
	}
	assert.Equal(t, map[string]int64{
		telemetry.MetricEvents: 1, telemetry.MetricBreakerState: telemetry.BreakerOpen,
		telemetry.MetricConcurrencyLimit: 20, telemetry.MetricConcurrencyInflight: 7,
	}, got)
	assert.Empty(t, spans.GetSpans(), "an event outside a call has no span to go on")
}

// The reason a retry gave up is a label of the events counter, so that an
// alert can tell calls refused by the budget from calls that used every
// attempt; no other event attribute becomes a label.
func TestRetryReasonIsACounterLabel(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	tel := telemetry.New(telemetry.WithMeterProvider(mp))
	ctx := context.Background()
	for _, reason := range []string{"budget", "budget", "max_attempts"} {
		tel.Emit(ctx, "payments", telemetry.Event{Name: telemetry.EventRetriesExhausted, Policy: "retry",
			Attrs: []attribute.KeyValue{attribute.String(telemetry.AttrRetryReason, reason)}})
	}
	tel.Emit(ctx, "payments", telemetry.Event{Name: telemetry.EventBreakerOpened, Policy: "breaker",
		Attrs: []attribute.KeyValue{attribute.String(telemetry.AttrBreaker, "payments")}})

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				reason, _ := dp.Attributes.Value(telemetry.AttrRetryReason)
				_, hasBreaker := dp.Attributes.Value(telemetry.AttrBreaker)
				assert.False(t, hasBreaker, "only the retry reason becomes a label")
				event, _ := dp.Attributes.Value(telemetry.AttrEvent)
				got[event.AsString()+"/"+reason.AsString()] = dp.Value
			}
		}
	}
	assert.Equal(t, map[string]int64{"retries_exhausted/budget": 2, "retries_exhausted/max_attempts": 1, "breaker_opened/": 1}, got)
}

type fakeLimiter struct{ limit, inflight int }

func (f *fakeLimiter) Limit() int    { return f.limit }
func (f *fakeLimiter) Inflight() int { return f.inflight }

// Observed concurrency is read at each collection, a new source for the
// same pipeline and policy replaces the old one, and a source nobody holds
// any more is no longer reported.
func TestObserveConcurrency(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	tel := telemetry.New(telemetry.WithMeterProvider(mp))
	tel.Recorder("orders").Enabled() // builds the instruments, as the first call does

	collect := func() map[string][2]int64 {
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(context.Background(), &rm))
		got := map[string][2]int64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				g, ok := m.Data.(metricdata.Gauge[int64])
				if !ok {
					continue
				}
				for _, dp := range g.DataPoints {
					p, _ := dp.Attributes.Value(telemetry.AttrPipeline)
					v := got[p.AsString()]
					if m.Name == telemetry.MetricConcurrencyLimit {
						v[0] = dp.Value
					} else {
						v[1] = dp.Value
					}
					got[p.AsString()] = v
				}
			}
		}
		return got
	}
	a := &fakeLimiter{limit: 10, inflight: 3}
	telemetry.ObserveConcurrency(tel, "orders", "bulkhead", a)
	assert.Equal(t, map[string][2]int64{"orders": {10, 3}}, collect())
	a.inflight = 7
	assert.Equal(t, map[string][2]int64{"orders": {10, 7}}, collect(), "read at collection, not when recorded")

	func() {
		b := &fakeLimiter{limit: 20, inflight: 1}
		telemetry.ObserveConcurrency(tel, "orders", "bulkhead", b)
		assert.Equal(t, map[string][2]int64{"orders": {20, 1}}, collect(), "the new source replaces the old")
	}()

	telemetry.ObserveConcurrency(tel, "search", "bulkhead", &fakeLimiter{limit: 5})
	runtime.GC()
	runtime.GC()
	assert.Empty(t, collect(), "sources nobody holds are dropped")
	runtime.KeepAlive(a)
}
