package loadshed

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestFairShareOverItsShare(t *testing.T) {
	f := newFairShare(10*time.Second, 100, 0.1)
	now := time.Duration(0)
	assert.False(t, f.over("greedy", now), "unknown keys are within their share")
	f.record("greedy", 3*time.Second, now)
	assert.False(t, f.over("greedy", now), "one key alone has the whole server")
	f.record("polite", time.Second, now)
	assert.True(t, f.over("greedy", now), "3 of 4 slot-seconds against a mean of 2")
	assert.False(t, f.over("polite", now))

	// Within the tolerance: 2.1 against a mean of 2.05 is not over.
	g := newFairShare(10*time.Second, 100, 0.1)
	g.record("a", 2100*time.Millisecond, 0)
	g.record("b", 2000*time.Millisecond, 0)
	assert.False(t, g.over("a", 0))

	// Usage decays with the window: the polite key's steady use catches up
	// with a burst the greedy one made long ago.
	for i := 1; i <= 60; i++ {
		now = time.Duration(i) * time.Second
		f.record("polite", 500*time.Millisecond, now)
	}
	assert.False(t, f.over("greedy", now), "greedy's burst has decayed")
	assert.True(t, f.over("polite", now), "polite now uses the most")
}

func TestFairShareDropsIdleKeysAndBoundsMemory(t *testing.T) {
	f := newFairShare(time.Second, 3, 0)
	for i := range 5 {
		f.record(fmt.Sprint("k", i), time.Millisecond, 0)
	}
	assert.Equal(t, 3, f.tracked(), "maxKeys bounds the map")
	assert.False(t, f.over("k4", 0), "an untracked key is within its share")

	// A minute later only the key still in use remains.
	for i := range 60 {
		f.record("k0", 10*time.Millisecond, time.Duration(i)*time.Second)
	}
	assert.Equal(t, 1, f.tracked())
	f.record("new", time.Millisecond, 61*time.Second)
	assert.Equal(t, 2, f.tracked(), "room again for new keys")
}
