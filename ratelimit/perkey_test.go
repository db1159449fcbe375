package ratelimit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/ratelimit"
)

// caller is a context whose calls carry key, as the server adapters' key
// functions set it.
func caller(key string) context.Context {
	return paved.WithCallInfo(context.Background(), paved.CallInfo{Key: key})
}

func TestPerKeyIsolatesCallers(t *testing.T) {
	clk := clock.NewFake(epoch)
	k := ratelimit.MustPerKey(1, 2, ratelimit.WithClock(clk))
	p := paved.New("server", k)
	require.NoError(t, p.Run(caller("a"), okOp))
	require.NoError(t, p.Run(caller("a"), okOp))
	err := p.Run(caller("a"), okOp)
	require.ErrorIs(t, err, ratelimit.ErrLimited, "fail fast by default on the server side")
	d, _ := paved.RetryAfter(err)
	assert.Equal(t, time.Second, d)
	require.NoError(t, p.Run(caller("b"), okOp), "b has a limit of its own")
	require.NoError(t, p.Run(context.Background(), okOp), "unkeyed calls share one limit of their own")
	require.NoError(t, p.Run(context.Background(), okOp))
	require.ErrorIs(t, p.Run(context.Background(), okOp), ratelimit.ErrLimited)
	clk.Advance(time.Second)
	require.NoError(t, p.Run(caller("a"), okOp))
}

func TestPerKeyStatusReachesTheHandler(t *testing.T) {
	clk := clock.NewFake(epoch)
	k := ratelimit.MustPerKey(10, 5, ratelimit.WithClock(clk), ratelimit.WithName("tenant"))
	global := ratelimit.MustPerKey(100, 100, ratelimit.WithClock(clk), ratelimit.WithKeyFunc(func(context.Context) string { return "all" }))
	p := paved.New("server", global, k)
	var got []ratelimit.Status
	for range 3 {
		require.NoError(t, p.Run(caller("a"), func(ctx context.Context) error {
			got = ratelimit.AppendStatuses(got[:0], ctx)
			return nil
		}))
	}
	require.Len(t, got, 2, "both limits, innermost first")
	assert.Equal(t, ratelimit.Status{Policy: "tenant", Quota: 10, Window: time.Second, Remaining: 2, Reset: 300 * time.Millisecond}, got[0])
	assert.Equal(t, ratelimit.Status{Policy: "default", Quota: 100, Window: time.Second, Remaining: 97, Reset: 30 * time.Millisecond}, got[1])
	assert.Empty(t, ratelimit.AppendStatuses(nil, context.Background()))

	err := func() error {
		for {
			if err := p.Run(caller("a"), okOp); err != nil {
				return err
			}
		}
	}()
	var le *ratelimit.LimitedError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, ratelimit.Status{Policy: "tenant", Quota: 10, Window: time.Second, Remaining: 0, Reset: 100 * time.Millisecond}, le.Status)
	assert.Equal(t, ratelimit.Status{Policy: "tenant", Quota: 10, Window: time.Second, Remaining: 0, Reset: 100 * time.Millisecond}, k.Status("a"))
	ok, st := k.Allow("fresh")
	assert.True(t, ok)
	assert.Equal(t, int64(4), st.Remaining)
}

func TestPerKeyBounds(t *testing.T) {
	clk := clock.NewFake(epoch)
	k := ratelimit.MustPerKey(1, 3, ratelimit.WithClock(clk), ratelimit.WithMaxKeys(3))
	p := paved.New("server", k)

	t.Run("least recently used dropped", func(t *testing.T) {
		for _, key := range []string{"a", "a", "b", "c", "a", "d"} { // a spent; b is the coldest when d comes
			require.NoError(t, p.Run(caller(key), okOp))
		}
		assert.Equal(t, 3, k.Len())
		assert.ErrorIs(t, p.Run(caller("a"), okOp), ratelimit.ErrLimited, "a kept its state")
		assert.Equal(t, int64(3), k.Status("b").Remaining, "b was dropped: a full bucket again")
	})
	t.Run("full buckets hold no state", func(t *testing.T) {
		clk.Advance(time.Hour)
		require.NoError(t, p.Run(caller("e"), okOp))
		assert.Equal(t, 1, k.Len(), "every bucket was full again: dropped on the next insert")
	})
	t.Run("many goroutines, invented keys", func(t *testing.T) {
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 500 {
					_ = p.Run(caller(fmt.Sprint(g, "-", i)), okOp)
				}
			})
		}
		wg.Wait()
		assert.LessOrEqual(t, k.Len(), 3)
	})
}

func TestPerKeyHostileKeys(t *testing.T) {
	clk := clock.NewFake(epoch)
	k := ratelimit.MustPerKey(1, 1, ratelimit.WithClock(clk), ratelimit.WithMaxKeyLength(32))
	p := paved.New("server", k)
	huge := strings.Repeat("x", 1<<20)
	require.NoError(t, p.Run(caller(huge), okOp))
	assert.ErrorIs(t, p.Run(caller(huge), okOp), ratelimit.ErrLimited, "a huge key is one caller")
	require.NoError(t, p.Run(caller(huge+"y"), okOp), "and a different huge key another")
	for _, key := range []string{"a\x00", "a\x01", "a\n", "\xff", "{a}", "a}", "é", "a b", "#a"} {
		require.NoError(t, p.Run(caller(key), okOp), "%q is a caller of its own", key)
	}
	require.NoError(t, p.Run(caller("a"), okOp), "and none of them collides with a plain key")
	assert.Equal(t, 12, k.Len())
}

func TestPerKeyWaitMode(t *testing.T) {
	clk := clock.NewFake(epoch)
	k := ratelimit.MustPerKey(1, 1, ratelimit.WithClock(clk), ratelimit.WithMaxWait(5*time.Second))
	p := paved.New("server", k)
	require.NoError(t, p.Run(caller("a"), okOp))

	done := make(chan error, 1)
	go func() { done <- p.Run(caller("a"), okOp) }()
	clk.BlockUntil(1)
	clk.Advance(time.Second)
	require.NoError(t, <-done, "waited its turn")

	// Deadline shorter than the wait: refused at once, nothing reserved.
	ctx, cancel := clk.WithTimeout(caller("a"), 500*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, p.Run(ctx, okOp), ratelimit.ErrLimited)

	// Canceled while waiting: the token goes back.
	cctx, ccancel := context.WithCancel(caller("a"))
	go func() { done <- p.Run(cctx, okOp) }()
	clk.BlockUntil(2) // the 500ms deadline context and this wait
	ccancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	clk.Advance(time.Second)
	ok, _ := k.Allow("a")
	assert.True(t, ok, "the canceled call's token was given back")
}

func TestPerKeyConcurrentExact(t *testing.T) {
	clk := clock.NewFake(epoch)
	k := ratelimit.MustPerKey(100, 10, ratelimit.WithClock(clk))
	p := paved.New("server", k)
	var admitted [2]atomic.Int64
	for step := range 10 {
		if step > 0 {
			clk.Advance(100 * time.Millisecond)
		}
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				for range 20 {
					if p.Run(caller(fmt.Sprint(g%2)), okOp) == nil {
						admitted[g%2].Add(1)
					}
				}
			})
		}
		wg.Wait()
	}
	for i := range admitted {
		assert.EqualValues(t, 10+100*0.9, admitted[i].Load(), "key %d: burst + rate × elapsed", i)
	}
}
