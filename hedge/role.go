package hedge

import "github.com/paved-go/paved"

// Role says the Hedge is the hedge step, for paved.Check: it takes the
// place of retry, never sits beside one (STANDARDS.md RS-4).
func (h *Hedge) Role() paved.Role { return paved.RoleHedge }
