package loadshed

import "github.com/paved-go/paved"

// Role says the Throttle is the throttle step, for paved.Check: beside the
// breaker, inside the retry, so it counts every attempt (STANDARDS.md
// RS-10, RS-15).
func (t *Throttle) Role() paved.Role { return paved.RoleThrottle }

// Role says the Shedder is the load shedding step, for paved.Check: inside
// the per-caller rate limit, so a caller over its quota never takes a
// place in it (STANDARDS.md RS-10, RS-15).
func (s *Shedder) Role() paved.Role { return paved.RoleLoadShed }
