package bulkhead

import "github.com/paved-go/paved"

// Role says the Bulkhead is the bulkhead step, for paved.Check: inside the
// retry and breaker, so an attempt holds a slot only while it is in flight
// (STANDARDS.md RS-9, RS-15).
func (b *Bulkhead) Role() paved.Role { return paved.RoleBulkhead }
