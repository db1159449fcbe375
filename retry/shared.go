package retry

import "github.com/paved-go/paved/internal/budget"

// WithSharedBudget makes the Retry keep one budget for every pipeline it is
// built into, made by New, instead of one per Wrap. A service that rebuilds
// its pipelines (package policy does on every reload) keeps the budget's
// saved tokens and floor across the rebuild by reusing the Retry: an outage
// in progress stays budgeted. Default: one budget per Wrap.
func WithSharedBudget() Option { return func(c *config) { c.shared = true } }

// sharedBudget returns the budget New makes for WithSharedBudget, or nil.
func sharedBudget(c *config) *budget.Budget {
	if !c.shared || c.noBudget {
		return nil
	}
	return budget.New(c.budget, c.clock)
}
