package redisbreaker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/breaker/redisbreaker"
	"github.com/paved-go/paved/telemetry/telemetrytest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	errDown = errors.New("dependency down")
	okOp    = func(context.Context) error { return nil }
	failOp  = func(context.Context) error { return errDown }
)

func TestNewValidates(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	_, err := redisbreaker.New(c, "x", redisbreaker.WithSyncPeriod(time.Millisecond))
	assert.EqualError(t, err, "redisbreaker: SyncPeriod must be 10ms..10s, got 1ms")
	_, err = redisbreaker.New(nil, "x")
	assert.Error(t, err)
	_, err = redisbreaker.New(c, "x", redisbreaker.WithBreakerOptions(breaker.WithMinCalls(0)))
	assert.ErrorContains(t, err, "MinCalls")
	_, err = redisbreaker.New(c, "x", redisbreaker.WithKeyPrefix("app:{}:"))
	assert.ErrorContains(t, err, "KeyPrefix")
}

// A caller's breaker.WithOutcomeFunc, given through WithBreakerOptions, runs
// for every call the breaker counts, alongside the fleet's counting (New
// adds its own outcome func; once, it replaced the caller's).
func TestCallerOutcomeFuncRuns(t *testing.T) {
	client := newClient(t)
	var total, failed atomicCounter
	synced := make(chan redisbreaker.SyncResult, 1)
	b, err := redisbreaker.New(client, "outcomes", redisbreaker.WithKeyPrefix(prefix(t)),
		redisbreaker.WithSyncPeriod(20*time.Millisecond), latestSync(synced),
		redisbreaker.WithBreakerOptions(breaker.WithOutcomeFunc(func(f bool) {
			total.add()
			if f {
				failed.add()
			}
		})))
	require.NoError(t, err)
	defer b.Close()
	p := paved.New("p", b)
	overload := func(context.Context) error { return paved.Mark(errDown, paved.OutcomeOverload) }
	for range 30 {
		require.NoError(t, p.Run(context.Background(), okOp))
	}
	for range 10 {
		require.ErrorIs(t, p.Run(context.Background(), failOp), errDown)
	}
	for range 5 { // excluded by default: neither func counts them
		require.ErrorIs(t, p.Run(context.Background(), overload), errDown)
	}
	assert.EqualValues(t, 40, total.load())
	assert.EqualValues(t, 10, failed.load())

	var r redisbreaker.SyncResult
	for r.Total < 40 {
		select {
		case r = <-synced:
			require.NoError(t, r.Err)
		case <-time.After(2 * time.Second):
			t.Fatal("no sync with the calls")
		}
	}
	assert.EqualValues(t, 40, r.Total, "the fleet counted the same calls")
	assert.EqualValues(t, 10, r.Failures)
}

// Three instances, each seeing too few failures to trip alone, trip together
// on the fleet's counts, all within a second.
func TestFleetOpensTogether(t *testing.T) {
	client := newClient(t)
	pfx := prefix(t)
	synced := make(chan struct{}, 64)
	var bs []*redisbreaker.Breaker
	var ps []*paved.Pipeline
	for i := range 3 {
		b, err := redisbreaker.New(client, "payments",
			redisbreaker.WithKeyPrefix(pfx),
			redisbreaker.WithSyncPeriod(200*time.Millisecond),
			redisbreaker.WithSyncFunc(func(redisbreaker.SyncResult) {
				select {
				case synced <- struct{}{}:
				default:
				}
			}),
			redisbreaker.WithBreakerOptions(breaker.WithMinCalls(20), breaker.WithFailureRatio(0.5)))
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		bs = append(bs, b)
		ps = append(ps, paved.New(fmt.Sprint("instance-", i), b))
	}

	for _, p := range ps {
		for range 10 {
			require.ErrorIs(t, p.Run(context.Background(), failOp), errDown)
		}
	}
	start := time.Now()
	for _, b := range bs {
		require.Equal(t, breaker.StateClosed, b.State(), "10 failures are below each instance's min calls")
	}

	allOpen := func() bool {
		for _, b := range bs {
			if b.State() != breaker.StateOpen {
				return false
			}
		}
		return true
	}
	timeout := time.After(2 * time.Second)
	for !allOpen() {
		select {
		case <-synced:
		case <-timeout:
			t.Fatalf("instances not open after 2s: %v %v %v", bs[0].State(), bs[1].State(), bs[2].State())
		}
	}
	elapsed := time.Since(start)
	t.Logf("all three instances open %v after the outage", elapsed)
	assert.Less(t, elapsed, time.Second)

	for _, p := range ps {
		err := p.Run(context.Background(), okOp)
		require.ErrorIs(t, err, breaker.ErrOpen)
		d, _ := paved.RetryAfter(err)
		assert.Greater(t, d, 3*time.Second)
	}
}

// A healthy fleet stays closed: the counts are shared, the ratio is not met.
func TestFleetBelowRatioStaysClosed(t *testing.T) {
	client := newClient(t)
	pfx := prefix(t)
	synced := make(chan redisbreaker.SyncResult, 64)
	b, err := redisbreaker.New(client, "inv", redisbreaker.WithKeyPrefix(pfx),
		redisbreaker.WithSyncPeriod(20*time.Millisecond),
		latestSync(synced))
	require.NoError(t, err)
	defer b.Close()
	p := paved.New("p", b)
	for range 30 {
		_ = p.Run(context.Background(), okOp)
	}
	for range 10 {
		_ = p.Run(context.Background(), failOp)
	}
	var r redisbreaker.SyncResult
	for r.Total < 40 {
		select {
		case r = <-synced:
			require.NoError(t, r.Err)
		case <-time.After(2 * time.Second):
			t.Fatal("no sync")
		}
	}
	assert.EqualValues(t, 40, r.Total)
	assert.EqualValues(t, 10, r.Failures)
	assert.Zero(t, r.Open)
	assert.Equal(t, breaker.StateClosed, b.State())
}

func TestUnreachableRedisNeverFailsACall(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond})
	defer client.Close()
	logs, tel := telemetrytest.NewText()
	synced := make(chan redisbreaker.SyncResult, 64)
	b, err := redisbreaker.New(client, "dep", redisbreaker.WithSyncPeriod(20*time.Millisecond),
		latestSync(synced),
		redisbreaker.WithBreakerOptions(breaker.WithTelemetry(tel)))
	require.NoError(t, err)
	defer b.Close()
	p := paved.New("p", b, paved.WithTelemetry(tel))

	for i := range 3 {
		r := <-synced
		require.Error(t, r.Err, "sync %d", i)
		for range 50 {
			require.NoError(t, p.Run(context.Background(), okOp))
		}
		for range 5 {
			require.ErrorIs(t, p.Run(context.Background(), failOp), errDown)
		}
	}
	assert.Equal(t, breaker.StateClosed, b.State())
	assert.Contains(t, logs.String(), redisbreaker.EventFleetUnavailable)
}

// Redis goes away mid-test (a proxy in front of it is closed) and comes back:
// calls the local state admits keep working, the loss and the return are
// reported, and sharing resumes.
func TestRedisLostAndRestored(t *testing.T) {
	newClient(t) // skips without Redis
	px := startProxy(t, "127.0.0.1:0", redisAddr())
	addr := px.addr()
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer client.Close()
	logs, tel := telemetrytest.NewText()
	synced := make(chan redisbreaker.SyncResult, 1)
	b, err := redisbreaker.New(client, "dep", redisbreaker.WithKeyPrefix(prefix(t)),
		redisbreaker.WithSyncPeriod(20*time.Millisecond),
		latestSync(synced),
		redisbreaker.WithBreakerOptions(breaker.WithTelemetry(tel)))
	require.NoError(t, err)
	defer b.Close()
	p := paved.New("p", b, paved.WithTelemetry(tel))

	waitFor := func(wantErr bool) {
		t.Helper()
		deadline := time.After(3 * time.Second)
		for {
			select {
			case r := <-synced:
				if (r.Err != nil) == wantErr {
					return
				}
			case <-deadline:
				t.Fatalf("no sync with error=%v", wantErr)
			}
			require.NoError(t, p.Run(context.Background(), okOp))
		}
	}
	waitFor(false)
	px.close()
	waitFor(true)
	for range 100 {
		require.NoError(t, p.Run(context.Background(), okOp))
	}
	assert.Contains(t, logs.String(), redisbreaker.EventFleetUnavailable)
	startProxy(t, addr, redisAddr())
	waitFor(false)
	assert.Contains(t, logs.String(), redisbreaker.EventFleetRestored)
}

// proxy forwards TCP connections to Redis until closed, so a test can take
// Redis away without stopping the shared server.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
	once  sync.Once
}

func startProxy(t *testing.T, listen, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	require.NoError(t, err)
	px := &proxy{ln: ln}
	px.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			px.mu.Lock()
			px.conns = append(px.conns, c, u)
			px.mu.Unlock()
			px.wg.Go(func() { _, _ = io.Copy(u, c); _ = u.Close() })
			px.wg.Go(func() { _, _ = io.Copy(c, u); _ = c.Close() })
		}
	})
	t.Cleanup(px.close)
	return px
}

func (px *proxy) addr() string { return px.ln.Addr().String() }

func (px *proxy) close() {
	px.once.Do(func() {
		_ = px.ln.Close()
		px.mu.Lock()
		for _, c := range px.conns {
			_ = c.Close()
		}
		px.mu.Unlock()
		px.wg.Wait()
	})
}

// The sync script touches only the keys it declares (Redis requires it, and
// a Redis Cluster routes by them): after syncs that write counts and open
// the fleet, the breaker's keys are exactly the counts hash and the open key,
// and old seconds are deleted from the hash.
func TestScriptKeysAreDeclared(t *testing.T) {
	client := newClient(t)
	pfx := prefix(t)
	synced := make(chan redisbreaker.SyncResult, 64)
	b, err := redisbreaker.New(client, "keys", redisbreaker.WithKeyPrefix(pfx),
		redisbreaker.WithSyncPeriod(20*time.Millisecond),
		redisbreaker.WithBreakerOptions(breaker.WithMinCalls(5), breaker.WithWindow(time.Second)),
		latestSync(synced))
	require.NoError(t, err)
	defer b.Close()
	p := paved.New("p", b)
	for range 5 {
		_ = p.Run(context.Background(), failOp)
	}
	for open := false; !open; {
		select {
		case r := <-synced:
			require.NoError(t, r.Err)
			open = r.Open > 0
		case <-time.After(2 * time.Second):
			t.Fatal("the fleet did not open")
		}
	}
	keys, err := client.Keys(context.Background(), pfx+"*").Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{pfx + "{keys}:counts", pfx + "{keys}:open"}, keys)

}

// Seconds that left the window are deleted from the counts hash as new ones
// are written.
func TestScriptDeletesOldSeconds(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	pfx := prefix(t)
	ck := pfx + "{old}:counts"
	now, err := client.Time(ctx).Result()
	require.NoError(t, err)
	old := fmt.Sprint(now.Unix() - 3)
	require.NoError(t, client.HSet(ctx, ck, "t:"+old, 7, "f:"+old, 7, "c", now.Unix()-5).Err())

	synced := make(chan redisbreaker.SyncResult, 64)
	b, err := redisbreaker.New(client, "old", redisbreaker.WithKeyPrefix(pfx),
		redisbreaker.WithSyncPeriod(20*time.Millisecond),
		redisbreaker.WithBreakerOptions(breaker.WithWindow(time.Second)),
		latestSync(synced))
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, paved.New("p", b).Run(ctx, okOp))
	for written := false; !written; {
		select {
		case r := <-synced:
			require.NoError(t, r.Err)
			written = r.Total > 0
		case <-time.After(2 * time.Second):
			t.Fatal("no sync")
		}
	}
	fields, err := client.HKeys(ctx, ck).Result()
	require.NoError(t, err)
	assert.NotContains(t, fields, "t:"+old)
	assert.NotContains(t, fields, "f:"+old)
	assert.Contains(t, fields, "c")
}

// latestSync reports syncs on ch without ever blocking the sync loop: a sync
// that finds ch full is dropped, as a test that waits for "the next sync with
// an error" only needs some recent one.
func latestSync(ch chan<- redisbreaker.SyncResult) redisbreaker.Option {
	return redisbreaker.WithSyncFunc(func(r redisbreaker.SyncResult) {
		select {
		case ch <- r:
		default:
		}
	})
}
