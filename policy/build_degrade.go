package policy

import (
	"net/http"
	"reflect"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos/chaoshttp"
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

// wireBase is what a Transport of the Set sends to, beneath its pipeline:
// the recorder of the stale fallback's good answers, then the chaos
// section's HTTP faults, then base, as the configuration in force has
// them; with neither, base alone.
type wireBase struct {
	s    *Set
	name string
	base http.RoundTripper
}

func (b *wireBase) RoundTrip(req *http.Request) (*http.Response, error) {
	p := b.s.gen.Load().clients[b.name]
	if p == nil {
		return b.base.RoundTrip(req)
	}
	rt := b.base
	for i := len(p.chaos.http) - 1; i >= 0; i-- {
		rt = chaoshttp.NewTransport(p.chaos.http[i], rt)
	}
	if p.stale != nil {
		rt = p.stale.Transport(rt)
	}
	return rt.RoundTrip(req)
}
