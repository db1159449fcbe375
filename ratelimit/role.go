package ratelimit

import "github.com/paved-go/paved"

// Role says the Limiter is the client rate limit step, for paved.Check:
// inside the retry, so every attempt spends a token (STANDARDS.md RS-8,
// RS-15).
func (l *Limiter) Role() paved.Role { return paved.RoleRateLimit }
