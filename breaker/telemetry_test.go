package breaker_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/telemetry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func gauge(t *testing.T, r *sdkmetric.ManualReader) (int64, bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == telemetry.MetricBreakerState {
				g := m.Data.(metricdata.Gauge[int64])
				return g.DataPoints[0].Value, true
			}
		}
	}
	return 0, false
}

func TestStateChangesAreReported(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	var logs bytes.Buffer
	tel := telemetry.New(
		telemetry.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
		telemetry.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	)
	clk := newFake()
	b := breaker.MustNew("db", breaker.WithClock(clk), breaker.WithConsecutiveFailures(1),
		breaker.WithHalfOpenProbes(1), breaker.WithTelemetry(tel))
	p := paved.New("orders", b, paved.WithTelemetry(tel))
	ctx := context.Background()

	_ = p.Run(ctx, fail)
	assert.Contains(t, logs.String(), "resilience breaker_opened")
	assert.Contains(t, logs.String(), "resilience.breaker=db")
	v, ok := gauge(t, reader)
	require.True(t, ok)
	assert.EqualValues(t, telemetry.BreakerOpen, v)

	_ = p.Run(ctx, okOp)
	assert.Contains(t, logs.String(), "resilience breaker_rejected")

	clk.Advance(time.Minute)
	require.NoError(t, p.Run(ctx, okOp))
	assert.Contains(t, logs.String(), "resilience breaker_half_opened")
	assert.Contains(t, logs.String(), "resilience breaker_closed")
	v, _ = gauge(t, reader)
	assert.EqualValues(t, telemetry.BreakerClosed, v)

	b.ForceOpen()
	v, _ = gauge(t, reader)
	assert.EqualValues(t, telemetry.BreakerOpen, v)
	assert.Contains(t, logs.String(), "resilience.pipeline=orders")
}

// Without WithTelemetry, the gauge goes where the breaker's pipeline reports.
func TestGaugeFollowsThePipelineTelemetry(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	tel := telemetry.New(telemetry.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	b := breaker.MustNew("db", breaker.WithClock(newFake()), breaker.WithConsecutiveFailures(1))
	p := paved.New("orders", b, paved.WithTelemetry(tel))
	_ = p.Run(context.Background(), fail)
	v, ok := gauge(t, reader)
	require.True(t, ok, "the open state reached the pipeline's meter")
	assert.EqualValues(t, telemetry.BreakerOpen, v)

	b.ForceClosed() // outside a call: still the pipeline's telemetry
	v, _ = gauge(t, reader)
	assert.EqualValues(t, telemetry.BreakerClosed, v)
}
