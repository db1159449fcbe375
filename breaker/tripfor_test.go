package breaker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

func stateEvents(l *telemetrytest.Log) []string {
	var names []string
	for _, e := range l.Events("") {
		if e.Name != "breaker_rejected" {
			names = append(names, e.Name)
		}
	}
	return names
}

// TripFor on a half-open breaker whose probe slots are all taken cannot trip
// gobreaker; its open period is ours alone. If the probe then succeeds,
// gobreaker closes under that period. When the period ends the breaker must
// report the state gobreaker is really in (closed), not a half-open it never
// went back to.
func TestTripForWhileProbing(t *testing.T) {
	events, tel := telemetrytest.New()
	h := newHarness(t, breaker.WithConsecutiveFailures(1), breaker.WithHalfOpenProbes(1),
		breaker.WithJitter(0), breaker.WithTelemetry(tel))
	p := paved.New("t", h.b, paved.WithTelemetry(tel))
	require.ErrorIs(t, p.Run(context.Background(), fail), errBoom)
	h.clk.Advance(5 * time.Second)

	probing, release := make(chan struct{}), make(chan struct{})
	probed := make(chan error, 1)
	go func() {
		probed <- p.Run(context.Background(), func(context.Context) error {
			close(probing)
			<-release
			return nil
		})
	}()
	<-probing
	h.b.TripFor(10 * time.Second)
	assert.Equal(t, breaker.StateOpen, h.b.State())
	close(release)
	require.NoError(t, <-probed)
	assert.Equal(t, breaker.StateOpen, h.b.State(), "the fleet's open period still runs")
	assert.ErrorIs(t, p.Run(context.Background(), okOp), breaker.ErrOpen)

	h.clk.Advance(10 * time.Second)
	require.NoError(t, p.Run(context.Background(), okOp))
	assert.Equal(t, breaker.StateClosed, h.b.State())
	assert.Equal(t, []string{"breaker_opened", "breaker_half_opened", "breaker_opened", "breaker_closed"},
		stateEvents(events), "the last state reported is the state it is in")
}
