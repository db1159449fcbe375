package redisrate_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/redistest"
	"github.com/paved-go/paved/ratelimit"
	"github.com/paved-go/paved/ratelimit/redisrate"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Redis down, failing open: the local share of the limit decides (fleet
// rate and burst / replicas), the outage is reported once, Redis is asked
// again after StoreRetry, and when it is back its decisions resume and the
// return is reported.
func TestRedisDownFailsOpen(t *testing.T) {
	srv := redistest.StartServer(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	clk := clock.NewFake(epoch)
	log, tel := telemetrytest.New()
	l := redisrate.MustNew(c, 40, 8, redisrate.WithFailOpen(4), redisrate.WithClock(clk), redisrate.WithKeyPrefix(redistest.Prefix(t)))
	p := paved.New("server", l, paved.WithTelemetry(tel))
	require.NoError(t, p.Run(caller("a"), okOp), "Redis up")

	srv.Kill()
	var admitted int
	for range 5 {
		if p.Run(caller("a"), okOp) == nil {
			admitted++
		}
	}
	assert.Equal(t, 2, admitted, "the local share: burst 8/4")
	assert.Equal(t, 1, log.Count(redisrate.EventStoreUnavailable), "reported once")
	d, err := l.Allow(context.Background(), "a")
	require.NoError(t, err)
	assert.True(t, d.Local)
	clk.Advance(100 * time.Millisecond) // a token at 40/4 = 10 per second
	d, err = l.Allow(context.Background(), "a")
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Equal(t, int64(10), d.Status.Quota, "the local share's policy")

	clk.Advance(redisrate.DefaultStoreRetry)
	_, _ = l.Allow(context.Background(), "a") // asks Redis again: still down
	assert.Equal(t, 1, log.Count(redisrate.EventStoreUnavailable), "the same outage, not reported again")
}

func TestRedisRestored(t *testing.T) {
	srv := redistest.StartServer(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	clk := clock.NewFake(epoch)
	log, tel := telemetrytest.New()
	l := redisrate.MustNew(c, 10, 10, redisrate.WithClock(clk), redisrate.WithKeyPrefix(redistest.Prefix(t)))
	p := paved.New("server", l, paved.WithTelemetry(tel))

	srv.Pause(t)
	require.NoError(t, p.Run(caller("a"), okOp), "hung: the fallback admits")
	srv.Resume(t)
	d, err := l.Allow(context.Background(), "a")
	require.NoError(t, err)
	assert.True(t, d.Local, "within StoreRetry Redis is not asked")
	require.Eventually(t, func() bool {
		clk.Advance(redisrate.DefaultStoreRetry)
		_ = p.Run(caller("a"), okOp)
		return log.Count(redisrate.EventStoreRestored) > 0
	}, 10*time.Second, 10*time.Millisecond, "Redis decides again")
	d, err = l.Allow(context.Background(), "a")
	require.NoError(t, err)
	assert.False(t, d.Local)
	assert.Equal(t, 1, log.Count(redisrate.EventStoreUnavailable))
	assert.Equal(t, 1, log.Count(redisrate.EventStoreRestored))
}

func TestRedisDownFailsClosed(t *testing.T) {
	srv := redistest.StartServer(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	clk := clock.NewFake(epoch)
	l := redisrate.MustNew(c, 10, 10, redisrate.WithFailClosed(), redisrate.WithClock(clk), redisrate.WithKeyPrefix(redistest.Prefix(t)))
	p := paved.New("server", l)
	srv.Kill()
	ran := false
	err := p.Run(caller("a"), func(context.Context) error { ran = true; return nil })
	require.ErrorIs(t, err, redisrate.ErrUnavailable)
	assert.False(t, ran)
	assert.ErrorIs(t, err, paved.ErrRejected)
	assert.False(t, errors.Is(err, ratelimit.ErrLimited), "not the caller's fault")
	assert.False(t, paved.IsOverloadRefusal(err), "503, not 429")
	d, _ := paved.RetryAfter(err)
	assert.Equal(t, redisrate.DefaultStoreRetry, d, "Redis is asked again after StoreRetry")
	clk.Advance(400 * time.Millisecond)
	err = p.Run(caller("a"), okOp)
	d, _ = paved.RetryAfter(err)
	assert.Equal(t, 600*time.Millisecond, d)
}

// A hung Redis (a real one, stopped with SIGSTOP: connections open, no
// answers) bounds a decision by the decision timeout, whatever the client's
// own read timeout (3s by default, none with -1); the calls after it, during
// StoreRetry, do not wait at all.
//
// The bound is behavioural: without it a decision takes the client's read
// timeout (seconds, or forever), with it about 50ms; one second leaves room
// for the race detector and a loaded machine while still telling them apart.
func TestRedisHungBoundsDecisions(t *testing.T) {
	const bound = time.Second
	for _, tc := range []struct {
		name   string
		client func(addr string) redis.UniversalClient
	}{
		{"Client defaults", func(a string) redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: a}) }},
		{"Client without read timeout", func(a string) redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: a, ReadTimeout: -1, WriteTimeout: -1})
		}},
		{"Client with context timeouts", func(a string) redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: a, ContextTimeoutEnabled: true})
		}},
	} {
		for _, closed := range []bool{false, true} {
			name := tc.name + "/fail open"
			opts := []redisrate.Option{redisrate.WithKeyPrefix(redistest.Prefix(t))}
			if closed {
				name = tc.name + "/fail closed"
				opts = append(opts, redisrate.WithFailClosed())
			}
			t.Run(name, func(t *testing.T) {
				srv := redistest.StartServer(t)
				c := tc.client(srv.Addr)
				t.Cleanup(func() { _ = c.Close() })
				l := redisrate.MustNew(c, 100, 100, opts...)
				t.Cleanup(func() { _ = l.Close() })
				_, err := l.Allow(context.Background(), "warm") // a pooled connection
				require.NoError(t, err)

				srv.Pause(t)
				start := time.Now()
				d, err := l.Allow(context.Background(), "a")
				first := time.Since(start)
				t.Logf("first decision against the hung Redis: %v", first)
				assert.Less(t, first, bound)
				if closed {
					assert.ErrorIs(t, err, redisrate.ErrUnavailable)
				} else {
					require.NoError(t, err)
					assert.True(t, d.Allowed && d.Local)
				}
				start = time.Now()
				for range 100 {
					_, _ = l.Allow(context.Background(), "a")
				}
				assert.Less(t, time.Since(start), bound, "within StoreRetry the hung Redis is not asked")
			})
		}
	}
}

// A caller's deadline shorter than the decision timeout bounds the wait for
// a hung Redis, whether or not the client honours context deadlines
// (ContextTimeoutEnabled), and the caller gets its own context's error; the
// next caller still asks Redis, which the deadline did not show down.
func TestRedisHungCallerDeadline(t *testing.T) {
	for _, ctxTimeouts := range []bool{true, false} {
		t.Run(fmt.Sprintf("ContextTimeoutEnabled=%v", ctxTimeouts), func(t *testing.T) {
			srv := redistest.StartServer(t)
			c := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: ctxTimeouts})
			t.Cleanup(func() { _ = c.Close() })
			l := redisrate.MustNew(c, 100, 100, redisrate.WithDecisionTimeout(5*time.Second), redisrate.WithKeyPrefix(redistest.Prefix(t)))
			_, err := l.Allow(context.Background(), "warm")
			require.NoError(t, err)
			srv.Pause(t)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err = l.Allow(ctx, "a")
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), time.Second, "bounded by the caller's 50ms, not the 5s decision timeout")

			srv.Resume(t)
			d, err := l.Allow(context.Background(), "a")
			require.NoError(t, err)
			assert.False(t, d.Local, "Redis decides again: the caller's deadline did not mark it down")
		})
	}
}
