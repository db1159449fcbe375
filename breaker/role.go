package breaker

import "github.com/paved-go/paved"

// Role says the Breaker is the breaker step, for paved.Check: inside the
// retry, so each attempt is counted once (STANDARDS.md RS-15).
func (b *Breaker) Role() paved.Role { return paved.RoleBreaker }

// Role says a Keyed set of breakers is the breaker step, for paved.Check.
func (k *Keyed) Role() paved.Role { return paved.RoleBreaker }
