package limit

import "fmt"

// Kind names one of the Algorithms, for the packages that let users choose
// one (bulkhead.Algorithm, loadshed.Algorithm convert to it by value: their
// constants are in this order).
type Kind int8

// The algorithms, in the order of the public packages' constants.
const (
	KindGradient2 Kind = iota
	KindVegas
	KindAIMD
)

// String is the algorithm's name in telemetry, as its Name method gives it.
func (k Kind) String() string {
	switch k {
	case KindGradient2:
		return "gradient2"
	case KindVegas:
		return "vegas"
	case KindAIMD:
		return "aimd"
	}
	return fmt.Sprintf("Algorithm(%d)", int8(k))
}

// NewAlgorithm returns a fresh Algorithm of kind k: Gradient2 with g, Vegas
// and AIMD with their defaults.
func NewAlgorithm(k Kind, g Gradient2Config) (Algorithm, error) {
	switch k {
	case KindGradient2:
		return NewGradient2(g)
	case KindVegas:
		return NewVegas(DefaultVegas)
	case KindAIMD:
		return NewAIMD(DefaultAIMD)
	}
	return nil, fmt.Errorf("limit: unknown algorithm %v", k)
}
