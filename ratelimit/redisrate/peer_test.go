package redisrate_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/internal/redistest"
	"github.com/paved-go/paved/ratelimit/redisrate"
)

// Beside go-redis/redis_rate on the same Redis, with the same limit (600 per
// hour, burst 600), 1000 calls at once: both admit exactly the 600 allowed.
func TestSameAccuracyAsRedisRate(t *testing.T) {
	c := redistest.NewClient(t)
	pfx := redistest.Prefix(t)
	ours := redisrate.MustNew(c, 600.0/3600, 600, redisrate.WithKeyPrefix(pfx))
	peer := redis_rate.NewLimiter(c)
	ctx := context.Background()
	var a, b int
	for range 1000 {
		d, err := ours.Allow(ctx, "k")
		require.NoError(t, err)
		if d.Allowed {
			a++
		}
		res, err := peer.Allow(ctx, pfx+"peer", redis_rate.PerHour(600))
		require.NoError(t, err)
		if res.Allowed > 0 {
			b++
		}
	}
	assert.Equal(t, 600, a)
	assert.Equal(t, 600, b)
}

// One round trip per decision, measured by the server: a Redis of the
// test's own counts the commands it processed.
func TestOneRoundTrip(t *testing.T) {
	srv := redistest.StartServer(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = c.Close() })
	l := redisrate.MustNew(c, 1000, 1000)
	ctx := context.Background()
	_, err := l.Allow(ctx, "k") // loads the script
	require.NoError(t, err)
	processed := func() int {
		info, err := c.Info(ctx, "stats").Result()
		require.NoError(t, err)
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
				n, err := strconv.Atoi(v)
				require.NoError(t, err)
				return n
			}
		}
		t.Fatal("no total_commands_processed")
		return 0
	}
	before := processed()
	for range 10 {
		_, err := l.Allow(ctx, "k")
		require.NoError(t, err)
	}
	assert.Equal(t, 10+1, processed()-before, "one command (EVALSHA) per decision, and the INFO")
}

func BenchmarkRedisrateAllow(b *testing.B) {
	c := redistest.NewClient(b)
	l := redisrate.MustNew(c, 1e6, 1e6, redisrate.WithKeyPrefix(redistest.Prefix(b)))
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Allow(ctx, "k"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRedisRatePeerAllow(b *testing.B) {
	c := redistest.NewClient(b)
	l := redis_rate.NewLimiter(c)
	key := redistest.Prefix(b) + "k"
	lim := redis_rate.Limit{Rate: 1e6, Burst: 1e6, Period: 1e9}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Allow(ctx, key, lim); err != nil {
				b.Fatal(err)
			}
		}
	})
}
