package loadshed_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/loadshed"
)

// The constants name the algorithms they choose (internal/limit's Kinds,
// converted by value).
func TestAlgorithmNames(t *testing.T) {
	assert.Equal(t, "gradient2", loadshed.Gradient2.String())
	assert.Equal(t, "vegas", loadshed.Vegas.String())
	assert.Equal(t, "aimd", loadshed.AIMD.String())
	assert.Equal(t, "Algorithm(9)", loadshed.Algorithm(9).String())
}

// The server's Gradient2 has a tolerance of 1: the limit shrinks as soon as
// the latency of what it admits grows past its long-term latency. (With
// Netflix's 1.5, or 1.25, a latency 1.2 times the long-term one still grows
// the limit here: the headroom of 4 outweighs the gradient.)
func TestServerGradient2ShrinksOnAnyLatencyGrowth(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := loadshed.MustNew(loadshed.WithClock(clk), loadshed.WithWindow(0, 1))
	p := paved.New("server", s)
	var hold []*request
	for i := range 15 { // over half the limit in flight: not app-limited
		hold = append(hold, running(t, p, fmt.Sprint("hold", i)))
	}
	sample := func(rtt time.Duration) {
		r := running(t, p, "sample")
		clk.Advance(rtt)
		require.NoError(t, r.end(t))
	}
	for range 10 { // Gradient2's warm-up: the long-term latency is 40 ms
		sample(40 * time.Millisecond)
	}
	before := s.Limit() // grown while latency was flat
	for range 5 {
		sample(48 * time.Millisecond)
	}
	assert.Less(t, s.Limit(), before, "the limit shrinks when latency grows by a fifth")
	for _, r := range hold {
		require.NoError(t, r.end(t))
	}
}
