package redisrate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/internal/redistest"
	"github.com/paved-go/paved/ratelimit"
	"github.com/paved-go/paved/ratelimit/redisrate"
)

func okOp(context.Context) error { return nil }

func caller(key string) context.Context {
	return paved.WithCallInfo(context.Background(), paved.CallInfo{Key: key})
}

func TestNewValidates(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, tc := range []struct {
		name  string
		r     float64
		burst int
		opts  []redisrate.Option
		want  string
	}{
		{"zero rate", 0, 1, nil, "redisrate: rate must be > 0 and <= 1e6 per second, got 0"},
		{"rate past a µs", 2e6, 1, nil, "rate must be > 0 and <= 1e6"},
		{"zero burst", 1, 0, nil, "redisrate: burst must be >= 1"},
		{"burst too long to refill", 1e-3, 1e9, nil, "burst/rate at most 1e9 seconds"},
		{"braces in prefix", 1, 1, []redisrate.Option{redisrate.WithKeyPrefix("app:{rl}:")}, `KeyPrefix must not contain '{' or '}', got "app:{rl}:"`},
		{"short timeout", 1, 1, []redisrate.Option{redisrate.WithDecisionTimeout(time.Microsecond)}, "DecisionTimeout must be 1ms..10s, got 1µs"},
		{"short retry", 1, 1, []redisrate.Option{redisrate.WithStoreRetry(time.Millisecond)}, "StoreRetry must be 10ms..1m, got 1ms"},
		{"zero replicas", 1, 1, []redisrate.Option{redisrate.WithFailOpen(0)}, "FailOpen replicas must be 1..10000, got 0"},
		{"bad name", 1, 1, []redisrate.Option{redisrate.WithName(`"`)}, "redisrate: Name must be 1..64 printable ASCII"},
		{"bad window", 1, 1, []redisrate.Option{redisrate.WithWindow(time.Millisecond)}, "redisrate: Window must be whole seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := redisrate.New(c, ratelimitRate(tc.r), tc.burst, tc.opts...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := redisrate.New(nil, 1, 1)
	assert.EqualError(t, err, "redisrate: client must not be nil")
	assert.Panics(t, func() { redisrate.MustNew(c, 0, 1) })
}

func TestAllowIsGCRAOnRedis(t *testing.T) {
	c := redistest.NewClient(t)
	l := redisrate.MustNew(c, 10, 5, redisrate.WithKeyPrefix(redistest.Prefix(t)), redisrate.WithName("tenant"))
	defer l.Close()
	ctx := context.Background()

	d, err := l.Allow(ctx, "a")
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.False(t, d.Local)
	assert.Equal(t, "tenant", d.Status.Policy)
	assert.Equal(t, int64(10), d.Status.Quota)
	assert.Equal(t, time.Second, d.Status.Window)
	assert.Equal(t, int64(4), d.Status.Remaining)
	assert.InDelta(t, float64(100*time.Millisecond), float64(d.Status.Reset), float64(20*time.Millisecond), "full again one interval after one call")
	for i := range 4 {
		d, err = l.Allow(ctx, "a")
		require.NoError(t, err)
		require.True(t, d.Allowed, "call %d within the burst", i+2)
	}
	d, err = l.Allow(ctx, "a")
	require.NoError(t, err)
	assert.False(t, d.Allowed, "the sixth call exceeds the burst")
	assert.Equal(t, int64(0), d.Status.Remaining)
	assert.Greater(t, d.RetryAfter, time.Duration(0))
	assert.LessOrEqual(t, d.RetryAfter, 100*time.Millisecond)

	d, err = l.Allow(ctx, "b")
	require.NoError(t, err)
	assert.True(t, d.Allowed, "another caller has a limit of its own")
}

func TestKeysAndExpiry(t *testing.T) {
	c := redistest.NewClient(t)
	pfx := redistest.Prefix(t)
	l := redisrate.MustNew(c, 10, 5, redisrate.WithKeyPrefix(pfx))
	ctx := context.Background()
	_, err := l.Allow(ctx, "tenant-1")
	require.NoError(t, err)
	pttl, err := c.PTTL(ctx, pfx+"{tenant-1}:default").Result()
	require.NoError(t, err)
	assert.Greater(t, pttl, time.Duration(0), "the key expires once its bucket is full again")
	assert.LessOrEqual(t, pttl, 100*time.Millisecond)

	huge := strings.Repeat("k", 1<<16)
	for _, key := range []string{huge, "a{b}c", "}", "\x00", ""} {
		d, err := l.Allow(ctx, key)
		require.NoError(t, err)
		assert.True(t, d.Allowed, "%.10q", key)
	}
	keys, err := c.Keys(ctx, pfx+"*").Result()
	require.NoError(t, err)
	assert.Len(t, keys, 6)
	for _, k := range keys {
		assert.LessOrEqual(t, len(k), len(pfx)+1+256+1+len(":default"), "no key is longer than the prefix, a bounded tag and the name")
		tag := k[len(pfx):]
		assert.Equal(t, 1, strings.Count(tag, "{"), "one hash tag: %q", k)
		assert.Equal(t, 1, strings.Count(tag, "}"), "one hash tag: %q", k)
	}
}

func TestWrapRefusesAndReportsStatus(t *testing.T) {
	c := redistest.NewClient(t)
	l := redisrate.MustNew(c, 1, 2, redisrate.WithKeyPrefix(redistest.Prefix(t)))
	p := paved.New("server", l)
	var st []ratelimit.Status
	require.NoError(t, p.Run(caller("a"), func(ctx context.Context) error {
		st = ratelimit.AppendStatuses(nil, ctx)
		return nil
	}))
	require.Len(t, st, 1)
	assert.Equal(t, int64(1), st[0].Remaining)
	require.NoError(t, p.Run(caller("a"), okOp))
	err := p.Run(caller("a"), okOp)
	require.ErrorIs(t, err, ratelimit.ErrLimited)
	assert.True(t, paved.IsOverloadRefusal(err))
	d, ok := paved.RetryAfter(err)
	assert.True(t, ok)
	assert.InDelta(t, float64(time.Second), float64(d), float64(100*time.Millisecond))
	require.NoError(t, p.Run(caller("b"), okOp))
}
