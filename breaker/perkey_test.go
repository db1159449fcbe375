package breaker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type keyCtx struct{}

func withKey(k string) context.Context { return context.WithValue(context.Background(), keyCtx{}, k) }
func keyOf(ctx context.Context) string { s, _ := ctx.Value(keyCtx{}).(string); return s }

func TestPerKeyIsolatesKeys(t *testing.T) {
	clk := newFake()
	k, err := breaker.PerKey(keyOf, breaker.WithClock(clk), breaker.WithConsecutiveFailures(1))
	require.NoError(t, err)
	p := paved.New("t", k)
	require.ErrorIs(t, p.Run(withKey("a"), fail), errBoom)
	assert.ErrorIs(t, p.Run(withKey("a"), okOp), breaker.ErrOpen)
	assert.NoError(t, p.Run(withKey("b"), okOp), "b has its own breaker")
	assert.Equal(t, breaker.StateOpen, k.Breaker("a").State())
	assert.Equal(t, "a", k.Breaker("a").Name())
	assert.Equal(t, 2, k.Len())
}

func TestPerKeyBounds(t *testing.T) {
	clk := newFake()
	k := breaker.MustPerKey(keyOf, breaker.WithClock(clk), breaker.WithMaxKeys(3), breaker.WithIdleTimeout(time.Minute),
		breaker.WithConsecutiveFailures(1))
	p := paved.New("t", k)

	t.Run("least recently used evicted", func(t *testing.T) {
		_ = p.Run(withKey("a"), fail) // a open
		_ = p.Run(withKey("b"), okOp)
		_ = p.Run(withKey("c"), okOp)
		_ = p.Run(withKey("a"), okOp) // a used again: b is now the coldest
		_ = p.Run(withKey("d"), okOp)
		assert.Equal(t, 3, k.Len())
		assert.ErrorIs(t, p.Run(withKey("a"), okOp), breaker.ErrOpen, "a kept")
	})
	t.Run("idle expired", func(t *testing.T) {
		clk.Advance(2 * time.Minute)
		assert.NoError(t, p.Run(withKey("a"), okOp), "a was idle: a fresh breaker")
		assert.Equal(t, 1, k.Len(), "the idle ones are dropped")
	})
	t.Run("hostile keys stay bounded", func(t *testing.T) {
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 500 {
					_ = p.Run(withKey(fmt.Sprint(g, "-", i)), okOp)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 3, k.Len())
	})
	_, err := breaker.PerKey(keyOf, breaker.WithMaxKeys(0))
	assert.ErrorContains(t, err, "MaxKeys must be 1..1048576, got 0")
}

// An idle key used again gets a fresh breaker, and its old entry goes at
// once. Left in the LRU list (the sweep stops at the first entry still in
// use), the old entry's later eviction deleted the new entry's mapping and
// lost its state. The fake clock set back stands in for what a clock read
// outside the lock could do: a list whose order disagrees with last use.
func TestPerKeyIdleEntryReplaced(t *testing.T) {
	clk := newFake()
	start := clk.Now()
	k := breaker.MustPerKey(keyOf, breaker.WithClock(clk), breaker.WithIdleTimeout(time.Minute),
		breaker.WithConsecutiveFailures(1), breaker.WithOpenDuration(time.Hour))
	p := paved.New("t", k)

	clk.Set(start.Add(10 * time.Minute))
	require.NoError(t, p.Run(withKey("b"), okOp)) // b: last 10m
	clk.Set(start)
	require.NoError(t, p.Run(withKey("k"), okOp)) // k: last 0, in front of b
	clk.Set(start.Add(10*time.Minute + 30*time.Second))
	require.ErrorIs(t, p.Run(withKey("k"), fail), errBoom) // k idle: a new breaker, now open
	clk.Set(start.Add(11*time.Minute + 30*time.Second))
	require.ErrorIs(t, p.Run(withKey("k"), okOp), breaker.ErrOpen)
	clk.Set(start.Add(12 * time.Minute))
	require.NoError(t, p.Run(withKey("c"), okOp)) // sweeps b (and the old k, if kept)

	assert.ErrorIs(t, p.Run(withKey("k"), okOp), breaker.ErrOpen, "k's open breaker is still k's")
	assert.Equal(t, 2, k.Len(), "k and c")
}

func TestPerKeyNilKeyFunc(t *testing.T) {
	_, err := breaker.PerKey(nil)
	assert.EqualError(t, err, "breaker: PerKey keyFunc must not be nil")
	assert.Panics(t, func() { breaker.MustPerKey(nil) })
}
