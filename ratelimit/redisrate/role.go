package redisrate

import "github.com/paved-go/paved"

// Role says the Limiter is the per-key rate limit step, for paved.Check, as
// ratelimit.Keyed is (STANDARDS.md RS-8, RS-15).
func (l *Limiter) Role() paved.Role { return paved.RoleKeyedRateLimit }
