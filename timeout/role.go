package timeout

import "github.com/paved-go/paved"

// Role says the Timeout is a timeout step, for paved.Check: outside the
// retry or hedge the total timeout, inside it the per-attempt one.
func (t *Timeout) Role() paved.Role { return paved.RoleTimeout }
