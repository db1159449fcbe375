package fallback

import (
	"fmt"
	"strings"

	"github.com/paved-go/paved"
)

// DefaultOutcomes are the outcomes a Fallback answers unless WithOutcomes
// says otherwise: the dependency's failures and paved's own refusals.
var DefaultOutcomes = []paved.Outcome{paved.OutcomeTransient, paved.OutcomeOverload, paved.OutcomeFault, paved.OutcomeRejected}

// Option configures a Fallback.
type Option func(*config)

type config struct {
	outcomes uint16 // bit o set: answer outcome o
	bad      []paved.Outcome
	release  func(any)
}

var failureNames = "transient, overload, fault, permanent, canceled, rejected"

// WithOutcomes answers failures of exactly these outcomes. Each must be a
// failure (not OutcomeSuccess) and at least one must be given. Default
// DefaultOutcomes. Add OutcomePermanent to answer a caller's mistake (a
// 404) with the substitute too; OutcomeCanceled rarely makes sense, as
// nobody waits for the answer.
func WithOutcomes(os ...paved.Outcome) Option {
	return func(c *config) {
		c.outcomes, c.bad = 0, nil
		for _, o := range os {
			if o == paved.OutcomeSuccess || o.String() == "unknown" {
				c.bad = append(c.bad, o)
				continue
			}
			c.outcomes |= 1 << o
		}
	}
}

// WithRelease frees a substitute that nobody takes (the call's result
// discarded, as a plain Pipeline.Run does): for substitutes that hold
// something, such as an *http.Response with an open body. Default: none;
// a value needs no freeing.
func WithRelease(release func(v any)) Option { return func(c *config) { c.release = release } }

func newConfig(opts []Option) (config, error) {
	var c config
	WithOutcomes(DefaultOutcomes...)(&c)
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	switch {
	case len(c.bad) > 0:
		return c, fmt.Errorf("fallback: Outcomes must be failure outcomes (%s), got %s", failureNames, badList(c.bad))
	case c.outcomes == 0:
		return c, fmt.Errorf("fallback: Outcomes must name at least one failure outcome (%s), got none", failureNames)
	}
	return c, nil
}

func badList(os []paved.Outcome) string {
	parts := make([]string, len(os))
	for i, o := range os {
		if o.String() == "unknown" {
			parts[i] = fmt.Sprintf("Outcome(%d)", uint8(o))
		} else {
			parts[i] = o.String()
		}
	}
	return strings.Join(parts, ", ")
}

func (c config) outcomeList() string {
	var parts []string
	for o := paved.OutcomeSuccess; o.String() != "unknown"; o++ {
		if c.outcomes&(1<<o) != 0 {
			parts = append(parts, o.String())
		}
	}
	return strings.Join(parts, ", ")
}
