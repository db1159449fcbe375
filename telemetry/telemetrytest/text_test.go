package telemetrytest_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

func TestTextCapturesDebugRecordsFromManyGoroutines(t *testing.T) {
	text, tel := telemetrytest.NewText()
	p := paved.New("inventory", paved.WithTelemetry(tel))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_ = p.Run(context.Background(), func(ctx context.Context) error {
				paved.Emit(ctx, telemetry.Event{Name: telemetry.EventHedge, Policy: "hedge"}) // a Debug-level event
				return nil
			})
		})
	}
	wg.Wait()
	assert.Contains(t, text.String(), "resilience hedge")
	assert.Contains(t, text.String(), "resilience.pipeline=inventory")
}
