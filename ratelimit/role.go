package ratelimit

import "github.com/paved-go/paved"

// Role says the Limiter is the client rate limit step, for paved.Check:
// inside the retry, so every attempt spends a token (STANDARDS.md RS-8,
// RS-15).
func (l *Limiter) Role() paved.Role { return paved.RoleRateLimit }

// Role says a Keyed limit is the per-key rate limit step, for paved.Check:
// outside the load shedder, so a caller over its quota never takes a place
// in it (STANDARDS.md RS-8, RS-15).
func (k *Keyed) Role() paved.Role { return paved.RoleKeyedRateLimit }
