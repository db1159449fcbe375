// Package timeout is a stub for pavedvet's tests.
package timeout

import (
	"time"

	"github.com/paved-go/paved"
)

type Timeout struct{}

func (*Timeout) Wrap(next paved.Op) paved.Op { return next }

func MustNew(d time.Duration) *Timeout { return &Timeout{} }

func New(d time.Duration) (*Timeout, error) { return &Timeout{}, nil }
