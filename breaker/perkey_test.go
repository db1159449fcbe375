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
