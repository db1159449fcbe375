package redisbreaker_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/breaker/redisbreaker"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// BenchmarkLocalBreakerSuccess is the baseline for
// BenchmarkRedisBreakerSuccess: the same local breaker without Redis.
func BenchmarkLocalBreakerSuccess(b *testing.B) {
	b.ReportAllocs()
	op := breaker.MustNew("bench").Wrap(okOp)
	ctx := context.Background()
	for b.Loop() {
		_ = op(ctx)
	}
}

// BenchmarkRedisBreakerSuccess is the per-call cost with fleet sharing on:
// Redis is not on the call path, so this stays close to the local breaker.
func BenchmarkRedisBreakerSuccess(b *testing.B) {
	client := newClient(b)
	rb, err := redisbreaker.New(client, "bench", redisbreaker.WithKeyPrefix(prefix(b)))
	if err != nil {
		b.Fatal(err)
	}
	defer rb.Close()
	b.ReportAllocs()
	op := rb.Wrap(okOp)
	ctx := context.Background()
	for b.Loop() {
		_ = op(ctx)
	}
}

// BenchmarkFleet64 compares 64 concurrent callers of one breaker shared
// through the same Redis: redisbreaker against gobreaker's
// DistributedCircuitBreaker (over the small SharedDataStore below). ns/op is
// wall time per call across all callers, so the throughput ratio is the
// inverse ratio of ns/op. gobreaker's distributed breaker may fail calls when
// its lock cannot be had within 5s: those are reported as lockfail/op.
func BenchmarkFleet64(b *testing.B) {
	client := newClient(b)
	par := max(1, 64/runtime.GOMAXPROCS(0))

	b.Run("redisbreaker", func(b *testing.B) {
		rb, err := redisbreaker.New(client, "fleet", redisbreaker.WithKeyPrefix(prefix(b)))
		if err != nil {
			b.Fatal(err)
		}
		defer rb.Close()
		op := rb.Wrap(okOp)
		b.ReportAllocs()
		b.SetParallelism(par)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				_ = op(ctx)
			}
		})
	})

	b.Run("gobreaker-distributed", func(b *testing.B) {
		store := &redisStore{c: client, prefix: prefix(b)}
		dcb, err := gobreaker.NewDistributedCircuitBreaker[struct{}](store, gobreaker.Settings{
			Name: "fleet", MaxRequests: 5, Interval: 10 * time.Second, BucketPeriod: time.Second, Timeout: 5 * time.Second,
		})
		if err != nil {
			b.Fatal(err)
		}
		var fails atomicCounter
		b.ReportAllocs()
		b.SetParallelism(par)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := dcb.Execute(func() (struct{}, error) { return struct{}{}, nil }); err != nil {
					fails.add()
				}
			}
		})
		b.ReportMetric(float64(fails.load())/float64(b.N), "lockfail/op")
	})
}

// redisStore is gobreaker's SharedDataStore over go-redis: a SET NX lock and
// plain GET/SET of the shared state, as gobreaker's own example does with
// redsync.
type redisStore struct {
	c      *redis.Client
	prefix string
}

var errLocked = errors.New("locked")

func (s *redisStore) Lock(name string) error {
	ok, err := s.c.SetNX(context.Background(), s.prefix+name, "1", 5*time.Second).Result()
	if err != nil {
		return err
	}
	if !ok {
		return errLocked
	}
	return nil
}

func (s *redisStore) Unlock(name string) error {
	return s.c.Del(context.Background(), s.prefix+name).Err()
}

func (s *redisStore) GetData(name string) ([]byte, error) {
	v, err := s.c.Get(context.Background(), s.prefix+name).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return v, err
}

func (s *redisStore) SetData(name string, data []byte) error {
	return s.c.Set(context.Background(), s.prefix+name, data, 0).Err()
}
