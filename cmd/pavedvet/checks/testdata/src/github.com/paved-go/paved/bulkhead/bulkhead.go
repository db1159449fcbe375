// Package bulkhead is a stub for pavedvet's tests.
package bulkhead

import (
	"github.com/paved-go/paved"
)

type Bulkhead struct{}

func (*Bulkhead) Wrap(next paved.Op) paved.Op { return next }

func MustNew(max int) *Bulkhead { return &Bulkhead{} }
