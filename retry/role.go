package retry

import "github.com/paved-go/paved"

// Role says the Retry is the retry step, for paved.Check: one per
// pipeline (STANDARDS.md RS-4).
func (r *Retry) Role() paved.Role { return paved.RoleRetry }
