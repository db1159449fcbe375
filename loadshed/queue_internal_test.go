package loadshed

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Thresholds grow with rank at every limit, and a caller over its fair share
// gets at least a slot less than one within it once the limit allows.
func TestThresholds(t *testing.T) {
	for limit := 1; limit <= 1000; limit++ {
		prev := -1.0
		for r := int8(0); r <= maxRank; r++ {
			th := threshold(r, limit)
			require.GreaterOrEqual(t, th, prev, "limit %d rank %d", limit, r)
			require.LessOrEqual(t, th, share(r)*float64(limit), "limit %d rank %d", limit, r)
			prev = th
		}
		require.Greater(t, threshold(0, limit), 0.0, "an idle server admits rank 0 at limit %d", limit)
	}
	assert.InDelta(t, 8.8, threshold(0, 14), 1e-9, "65% of 14 is 9.1, but polite (70%) admits at 9: greedy at 8")
	assert.InDelta(t, 9.8, threshold(1, 14), 1e-9)
	assert.InDelta(t, 650.0, threshold(0, 1000), 1e-9, "large limits: the share alone")
}
