package chaos_test

import (
	"math"
	"slices"
	"time"
)

func slicesSort(d []time.Duration) { slices.Sort(d) }

func nan() float64 { return math.NaN() }
