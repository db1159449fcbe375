package loadshed_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/telemetry"
)

// The Shedder's gauges exist from its first request, before any limit
// change, and read its limit at collection.
func TestGaugesFromTheFirstRequest(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	tel := telemetry.New(telemetry.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	s := loadshed.MustNew(loadshed.WithInitialLimit(30))
	p := paved.New("api", s, paved.WithTelemetry(tel))
	require.NoError(t, p.Run(context.Background(), func(context.Context) error { return nil }))

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if g, ok := m.Data.(metricdata.Gauge[int64]); ok && len(g.DataPoints) == 1 {
				pol, _ := g.DataPoints[0].Attributes.Value(telemetry.AttrPolicy)
				assert.Equal(t, "loadshed", pol.AsString())
				got[m.Name] = g.DataPoints[0].Value
			}
		}
	}
	assert.Equal(t, map[string]int64{telemetry.MetricConcurrencyLimit: int64(s.Limit()), telemetry.MetricConcurrencyInflight: 0}, got)
}
