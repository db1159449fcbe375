package quantile

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Record claims a slot (n.Add) before it stores into it, so a recompute can
// run while other recorders' slots are still empty. Those must not count as
// zero-latency samples. White-box: the claim is made by hand, as a recorder
// paused between its Add and its Store would leave it.
func TestRecomputeIgnoresUnwrittenSlots(t *testing.T) {
	tr := New(0.5, 4, 4)
	tr.n.Add(2) // two recorders claimed slots 0 and 1 and have not stored yet
	tr.Record(10 * time.Millisecond)
	tr.Record(10 * time.Millisecond) // the 4th sample: recompute
	q, ok := tr.Quantile()
	require.True(t, ok, "a quantile of the written samples, not 0 (\"not ready\")")
	assert.Equal(t, 10*time.Millisecond, q)
}
