package breaker

import (
	"context"
	"time"

	"github.com/paved-go/paved/telemetry"
)

// Thresholds are a breaker's trip settings, for packages that decide for a
// fleet of breakers by the same rules (redisbreaker).
type Thresholds struct {
	FailureRatio float64
	MinCalls     int
	Window       time.Duration
	OpenDuration time.Duration
	Jitter       float64
}

// Thresholds returns the settings the breaker trips by.
func (b *Breaker) Thresholds() Thresholds {
	return Thresholds{
		FailureRatio: b.cfg.ratio,
		MinCalls:     b.cfg.minCalls,
		Window:       b.cfg.window,
		OpenDuration: b.cfg.openFor,
		Jitter:       b.cfg.jitter,
	}
}

// Report reports ev outside any call, through the breaker's telemetry
// (WithTelemetry) for the pipeline the breaker last served, with the
// breaker's name attached: for background work about the breaker, such as
// redisbreaker losing its connection to the fleet.
func (b *Breaker) Report(ctx context.Context, ev telemetry.Event) {
	if ev.Policy == "" {
		ev.Policy = "breaker"
	}
	ev.Attrs = append(ev.Attrs[:len(ev.Attrs):len(ev.Attrs)], b.attrs...)
	b.telemetry().Emit(ctx, b.pipelineName(), ev)
}
