package gcra_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved/internal/gcra"
)

func TestRemaining(t *testing.T) {
	// T = 10, burst 5: limit 50.
	for _, tc := range []struct{ ahead, remaining, reset int64 }{
		{0, 5, 0},   // full
		{10, 4, 10}, // one spent: full again in 10
		{45, 0, 5},  // half a token: the next in 5
		{50, 0, 10}, // empty: the next in a whole interval
		{-3, 5, 0},  // a tat in the past is a full bucket
		{41, 0, 1},  // 0.9 token free
		{40, 1, 40}, // exactly one free
	} {
		r, d := gcra.Remaining(10, 50, tc.ahead)
		assert.Equal(t, tc.remaining, r, "ahead %d", tc.ahead)
		assert.Equal(t, tc.reset, d, "ahead %d", tc.ahead)
	}
}
