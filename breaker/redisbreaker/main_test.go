package redisbreaker_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func redisAddr() string {
	if a := os.Getenv("PAVED_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// newClient connects to the real Redis, or skips (fails when
// PAVED_REQUIRE_SERVICES=1) when there is none.
func newClient(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		skipOrFail(tb, fmt.Sprintf("redis not reachable at %s (set PAVED_REDIS_ADDR): %v", redisAddr(), err))
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// skipOrFail skips the test for a missing service, or fails it when
// PAVED_REQUIRE_SERVICES=1 (CI), where a missing service is a broken setup.
func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("PAVED_REQUIRE_SERVICES") == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// prefix is a key prefix of its own for each test, because packages run in
// parallel against one Redis.
func prefix(tb testing.TB) string {
	return fmt.Sprintf("paved-test:%s:%d:", tb.Name(), time.Now().UnixNano())
}
