package policy

import (
	"net/http"
	"reflect"
	"strconv"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/fallback"
	"github.com/paved-go/paved/pavedhttp"
)

var outcomeByName = map[string]paved.Outcome{
	"transient": paved.OutcomeTransient, "overload": paved.OutcomeOverload, "fault": paved.OutcomeFault,
	"permanent": paved.OutcomePermanent, "canceled": paved.OutcomeCanceled, "rejected": paved.OutcomeRejected,
}

// buildFallback builds a dependency's stale fallback, keeping prev's copies
// when fallback.stale did not change.
func buildFallback(f Fallback, prev *clientParts, o *options) (*pavedhttp.Stale, *fallback.Fallback, error) {
	if !f.Enabled {
		return nil, nil, nil
	}
	stale := prev.stale
	if stale == nil || prev.dep.Fallback.Stale != f.Stale {
		var err error
		if stale, err = pavedhttp.NewStale(pavedhttp.WithStaleMaxAge(f.Stale.MaxAge),
			pavedhttp.WithStaleMaxEntries(f.Stale.MaxEntries), pavedhttp.WithStaleMaxBody(f.Stale.MaxBody),
			pavedhttp.WithStaleClock(o.clock)); err != nil {
			return nil, nil, err
		}
	}
	if prev.fallback != nil && stale == prev.stale && reflect.DeepEqual(prev.dep.Fallback, f) {
		return stale, prev.fallback, nil
	}
	outcomes := make([]paved.Outcome, len(f.Outcomes))
	for i, n := range f.Outcomes {
		outcomes[i] = outcomeByName[n]
	}
	fb, err := stale.Fallback(fallback.WithOutcomes(outcomes...))
	if err != nil {
		return nil, nil, err
	}
	return stale, fb, nil
}

// buildChaos builds the Chaos of each fault, or keeps prev's when the
// section did not change (their call numbers, and so their picks, go on).
func buildChaos(name string, c, prevCfg Chaos, prev []*chaos.Chaos, o *options) ([]*chaos.Chaos, error) {
	if !c.Enabled {
		return nil, nil
	}
	if prev != nil && reflect.DeepEqual(c, prevCfg) {
		return prev, nil
	}
	out := make([]*chaos.Chaos, len(c.Faults))
	for i, f := range c.Faults {
		var fault chaos.Fault
		switch {
		case f.Error != "":
			fault = chaos.ErrorOutcome(outcomeByName[f.Error])
		case f.Latency != 0:
			fault = chaos.Latency(f.Latency)
		case f.LatencyMedian != 0:
			fault = chaos.LatencyLogNormal(f.LatencyMedian, f.LatencyP99)
		default:
			fault = chaos.Hang()
		}
		opts := []chaos.Option{chaos.WithRate(f.Rate), chaos.WithName(name + ".chaos[" + strconv.Itoa(i) + "]"),
			chaos.WithClock(o.clock), chaos.WithTelemetry(o.tel)}
		if c.Seeded {
			opts = append(opts, chaos.WithSeed(c.Seed+uint64(i)))
		}
		var err error
		if out[i], err = chaos.New(fault, opts...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// staleBase records, beneath a Transport of the Set, the good answers the
// stale fallback of the configuration in force keeps; with no fallback it
// is base alone.
type staleBase struct {
	s    *Set
	name string
	base http.RoundTripper
}

func (b *staleBase) RoundTrip(req *http.Request) (*http.Response, error) {
	if p := b.s.gen.Load().clients[b.name]; p != nil && p.stale != nil {
		return p.stale.Transport(b.base).RoundTrip(req)
	}
	return b.base.RoundTrip(req)
}
