package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/paved-go/paved/ratelimit/redisrate"
)

// redisClient connects to the Redis the tests share (PAVED_REDIS_ADDR,
// default 127.0.0.1:6379), skipping without one unless
// PAVED_REQUIRE_SERVICES=1.
func redisClient(tb testing.TB) *redis.Client {
	tb.Helper()
	addr := os.Getenv("PAVED_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	tb.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		msg := fmt.Sprintf("no Redis at %s (set PAVED_REDIS_ADDR): %v", addr, err)
		if os.Getenv("PAVED_REQUIRE_SERVICES") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return c
}

// scripts is the number of scripts the Redis server has been asked to run
// (EVALSHA and EVAL calls, by INFO commandstats): a decision that costs one
// script and nothing else is one round trip. The commands a script runs
// inside Redis (TIME, GET, SET) are not round trips and are not counted.
func scripts(tb testing.TB, c *redis.Client) int64 {
	tb.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		tb.Fatal(err)
	}
	var n int64
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		for _, cmd := range []string{"cmdstat_evalsha:calls=", "cmdstat_eval:calls="} {
			if v, ok := strings.CutPrefix(line, cmd); ok {
				calls, _, _ := strings.Cut(v, ",")
				k, err := strconv.ParseInt(calls, 10, 64)
				if err != nil {
					tb.Fatal(err)
				}
				n += k
			}
		}
	}
	return n
}

func prefix(tb testing.TB) string {
	return "paved:bench:" + tb.Name() + ":" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
}

// Offered 1000 calls at once against a limit of 600 an hour with a burst
// of 600, paved's redisrate and go-redis/redis_rate each admit exactly 600,
// and each decision is one command, so one round trip (after the script is
// loaded).
func TestRedisRateBesideRedisRate(t *testing.T) {
	c := redisClient(t)
	ctx := context.Background()
	pfx := prefix(t)

	paved := redisrate.MustNew(c, 600.0/3600, 600, redisrate.WithKeyPrefix(pfx+"paved:"), redisrate.WithFailClosed())
	peer := redis_rate.NewLimiter(c)
	limit := redis_rate.Limit{Rate: 600, Burst: 600, Period: time.Hour}
	_, _ = paved.Allow(ctx, "warm") // load the scripts, so only decisions are counted
	_, _ = peer.Allow(ctx, pfx+"peer:warm", limit)

	count := func(allow func() bool) (admitted int, perCall float64) {
		before := scripts(t, c)
		for range 1000 {
			if allow() {
				admitted++
			}
		}
		return admitted, float64(scripts(t, c)-before) / 1000
	}
	pa, ptrips := count(func() bool {
		d, err := paved.Allow(ctx, "tenant")
		if err != nil {
			t.Fatal(err)
		}
		return d.Allowed
	})
	ra, rtrips := count(func() bool {
		r, err := peer.Allow(ctx, pfx+"peer:tenant", limit)
		if err != nil {
			t.Fatal(err)
		}
		return r.Allowed > 0
	})
	t.Logf("redisrate: %d admitted, %.2f round trips per decision; redis_rate: %d admitted, %.2f", pa, ptrips, ra, rtrips)
	if pa != 600 || ra != 600 {
		t.Errorf("admitted %d (paved) and %d (redis_rate), want 600 each", pa, ra)
	}
	if ptrips > 1.01 { // other clients of a shared Redis may add a few
		t.Errorf("redisrate: %.2f round trips per decision, want 1", ptrips)
	}
}

// BenchmarkRedisRate compares one admitted decision of each library against
// the same Redis, serial and parallel.
func BenchmarkRedisRate(b *testing.B) {
	c := redisClient(b)
	ctx := context.Background()
	pfx := prefix(b)
	paved := redisrate.MustNew(c, 1e6, 1_000_000, redisrate.WithKeyPrefix(pfx+"paved:"))
	peer := redis_rate.NewLimiter(c)
	limit := redis_rate.Limit{Rate: 1_000_000, Burst: 1_000_000, Period: time.Second}
	b.Run("lib=paved/serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := paved.Allow(ctx, "tenant"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lib=redis_rate/serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := peer.Allow(ctx, pfx+"peer:tenant", limit); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lib=paved/parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := paved.Allow(ctx, "tenant"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("lib=redis_rate/parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := peer.Allow(ctx, pfx+"peer:tenant", limit); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
