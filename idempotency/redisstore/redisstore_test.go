package redisstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/idempotency/redisstore"
	"github.com/paved-go/paved/idempotency/storetest"
	"github.com/paved-go/paved/internal/servicetest"
)

func newStore(t *testing.T, c redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(c, append([]redisstore.Option{redisstore.WithKeyPrefix(servicetest.Prefix(t))}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func sleep(_ *testing.T, d time.Duration) { time.Sleep(d) } // Redis's clock: TTLs run on the server

func TestConformance(t *testing.T) {
	c := servicetest.Redis(t)
	storetest.Run(t, storetest.Harness{
		New:  func(t *testing.T) idempotency.Store { return newStore(t, c) },
		Wait: sleep,
	})
}

// The same suite on a Redis Cluster: every script touches one key.
func TestConformanceCluster(t *testing.T) {
	c := servicetest.RedisCluster(t)
	storetest.Run(t, storetest.Harness{
		New:  func(t *testing.T) idempotency.Store { return newStore(t, c) },
		Wait: sleep,
	})
}

// Every key has a TTL, in flight and done; none holds the idempotency key's
// value in its name.
func TestEveryKeyHasTTL(t *testing.T) {
	c := servicetest.Redis(t)
	pfx := servicetest.Prefix(t)
	s, err := redisstore.New(c, redisstore.WithKeyPrefix(pfx))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = s.Claim(ctx, idempotency.Claim{Scope: "tenant", Key: "secret-key-1", Token: "t1", Lease: time.Minute})
	require.NoError(t, err)
	_, err = s.Claim(ctx, idempotency.Claim{Scope: "tenant", Key: "secret-key-2", Token: "t2", Lease: time.Minute})
	require.NoError(t, err)
	require.NoError(t, s.Complete(ctx, "tenant", "secret-key-2", "t2", []byte("r"), 2*time.Hour))
	keys, err := c.Keys(ctx, pfx+"*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 2)
	for _, k := range keys {
		assert.NotContains(t, k, "secret")
		ttl, err := c.PTTL(ctx, k).Result()
		require.NoError(t, err)
		assert.Greater(t, ttl, time.Duration(0), "key %s has no TTL", k)
		assert.LessOrEqual(t, ttl, 2*time.Hour)
	}
}

func TestOptions(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: servicetest.DownAddr(t)})
	defer c.Close()
	_, err := redisstore.New(c, redisstore.WithKeyPrefix("a{b}"))
	require.ErrorContains(t, err, "KeyPrefix must not contain '{' or '}'")
	_, err = redisstore.New(c, redisstore.WithTimeout(0))
	require.ErrorContains(t, err, "Timeout must be 1ms..1m, got 0s")
	_, err = redisstore.New(nil)
	require.ErrorContains(t, err, "needs a client")
}

// A Redis that is down, or accepts connections and never answers, fails
// every call within the timeout, whatever the client's own timeouts.
func TestDownAndHung(t *testing.T) {
	for name, addr := range map[string]string{"down": servicetest.DownAddr(t), "hung": servicetest.HungServer(t)} {
		t.Run(name, func(t *testing.T) {
			// Client timeouts far longer than the Store's: the Store's must win.
			c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: time.Minute, WriteTimeout: time.Minute, DialTimeout: time.Minute, MaxRetries: -1})
			defer c.Close()
			s := newStore(t, c, redisstore.WithTimeout(100*time.Millisecond))
			start := time.Now()
			_, err := s.Claim(context.Background(), idempotency.Claim{Scope: "s", Key: "k", Token: "t", Lease: time.Minute})
			require.Error(t, err)
			assert.Less(t, time.Since(start), 5*time.Second)
			// With ContextTimeoutEnabled the client is used as given, and the
			// context's deadline (the Guard's store timeout) bounds it.
			cc := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: time.Minute, WriteTimeout: time.Minute, DialTimeout: time.Minute, MaxRetries: -1, ContextTimeoutEnabled: true})
			defer cc.Close()
			s = newStore(t, cc)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start = time.Now()
			_, err = s.Claim(ctx, idempotency.Claim{Scope: "s", Key: "k", Token: "t", Lease: time.Minute})
			require.Error(t, err)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

// roundTrips counts the commands a client sends (a script run is one, or
// two the first time: EVALSHA answered NOSCRIPT, then EVAL).
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// A first request costs two round trips (claim, complete), a replay one.
func TestRoundTrips(t *testing.T) {
	// ContextTimeoutEnabled: the Store uses the client as given, hooks and all.
	c := redis.NewClient(&redis.Options{Addr: servicetest.Redis(t).Options().Addr, ContextTimeoutEnabled: true})
	defer c.Close()
	var rt roundTrips
	c.AddHook(&rt)
	g := idempotency.MustNew(idempotency.WithStore(newStore(t, c)))
	ctx := context.Background()
	run := func(context.Context) (*idempotency.Response, error) {
		return &idempotency.Response{Code: 201, Body: []byte("ok")}, nil
	}
	_, err := g.Do(ctx, idempotency.Request{Key: "warm-up"}, run) // loads the scripts
	require.NoError(t, err)
	for i, want := range []struct{ first, replay int64 }{{2, 1}, {2, 1}} {
		key := []string{"a", "b"}[i]
		rt.n.Store(0)
		_, err := g.Do(ctx, idempotency.Request{Key: key}, run)
		require.NoError(t, err)
		assert.Equal(t, want.first, rt.n.Load(), "first request")
		rt.n.Store(0)
		r, err := g.Do(ctx, idempotency.Request{Key: key}, run)
		require.NoError(t, err)
		require.True(t, r.Replayed)
		assert.Equal(t, want.replay, rt.n.Load(), "replay")
	}
}
