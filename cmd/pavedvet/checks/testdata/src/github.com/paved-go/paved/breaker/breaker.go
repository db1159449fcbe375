// Package breaker is a stub for pavedvet's tests.
package breaker

import (
	"github.com/paved-go/paved"
)

type Breaker struct{}

func (*Breaker) Wrap(next paved.Op) paved.Op { return next }

func MustNew(name string, opts ...any) *Breaker { return &Breaker{} }
