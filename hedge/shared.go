package hedge

import (
	"github.com/paved-go/paved/internal/budget"
	"github.com/paved-go/paved/internal/quantile"
)

// WithSharedState makes the Hedge keep one budget and one latency tracker
// for every pipeline it is built into, made by New, instead of one per Wrap.
// A service that rebuilds its pipelines (package policy does on every
// reload) keeps the budget's tokens and the adaptive delay's latency
// samples across the rebuild by reusing the Hedge. Default: one of each per
// Wrap.
func WithSharedState() Option { return func(c *config) { c.shared = true } }

// sharedState is what WithSharedState shares.
type sharedState struct {
	budget  *budget.Budget    // nil: WithoutBudget
	latency *quantile.Tracker // nil: fixed delay
}

// newState makes a budget and latency tracker for c.
func newState(c *config) sharedState {
	var s sharedState
	if !c.noBudget {
		s.budget = budget.New(c.budget, c.clock)
	}
	if c.adaptive {
		s.latency = quantile.New(c.quantile, window, c.minSamples)
	}
	return s
}
