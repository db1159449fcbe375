package redisbreaker

import "github.com/paved-go/paved"

// Role says the Breaker is the breaker step, for paved.Check.
func (b *Breaker) Role() paved.Role { return paved.RoleBreaker }
