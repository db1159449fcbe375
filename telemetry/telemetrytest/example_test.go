package telemetrytest_test

import (
	"context"
	"fmt"

	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

func Example() {
	events, tel := telemetrytest.New() // pass tel to paved.WithTelemetry
	tel.Emit(context.Background(), "orders", telemetry.Event{Name: telemetry.EventRetry, Policy: "retry", Attempt: 2})
	for _, e := range events.Events(telemetry.EventRetry) {
		fmt.Println(e.Name, e.Attrs[telemetry.AttrPolicy], e.Attrs[telemetry.AttrAttempt])
	}
	fmt.Println(events.Count(telemetry.EventHedge))
	// Output:
	// retry retry 2
	// 0
}
