package bulkhead_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/telemetry"
)

// A fixed bulkhead's gauges exist from its first call, with no refusal or
// limit change, and report the calls in flight at the moment of collection.
func TestGaugesReadAtCollection(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	tel := telemetry.New(telemetry.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	p := paved.New("orders", bulkhead.MustNew(8), paved.WithTelemetry(tel))

	require.NoError(t, p.Run(context.Background(), func(context.Context) error { return nil }))
	lim, in := gauges(t, reader)
	assert.EqualValues(t, 8, lim)
	assert.EqualValues(t, 0, in)

	h := newHolder()
	errs := h.start(t, func(ctx context.Context) error { return p.Run(ctx, h.op) }, 3)
	_, in = gauges(t, reader)
	assert.EqualValues(t, 3, in)
	close(h.release)
	for range 3 {
		require.NoError(t, <-errs)
	}
	_, in = gauges(t, reader)
	assert.EqualValues(t, 0, in)
}
