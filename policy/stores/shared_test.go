package stores_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/internal/servicetest"
	"github.com/paved-go/paved/policy"
	"github.com/paved-go/paved/policy/stores"
)

// clientLog records the fleet clients opened and closed.
type clientLog struct {
	mu     sync.Mutex
	opened []*redis.Client
	closed chan *redis.Client
}

func logClients(t *testing.T) *clientLog {
	l := &clientLog{closed: make(chan *redis.Client, 16)}
	stores.SetClientHooks(t.Cleanup, func(c *redis.Client) {
		l.mu.Lock()
		l.opened = append(l.opened, c)
		l.mu.Unlock()
	}, func(c *redis.Client) { l.closed <- c })
	return l
}

func (l *clientLog) clients() []*redis.Client {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*redis.Client(nil), l.opened...)
}

// noClose reports a client closed before its last policy let go.
func (l *clientLog) noClose(t *testing.T) {
	t.Helper()
	select {
	case c := <-l.closed:
		t.Fatalf("client %p closed while a policy holds it", c)
	default:
	}
}

// Every fleet-wide policy on one store URL shares one client, across
// reloads: a reload that drops one of them keeps it (the others use it); the
// client is closed once the last policy on it is, and the next policy on the
// URL opens a new one. Calls run through both pipelines meanwhile (-race).
func TestFleetClientShared(t *testing.T) {
	servicetest.Redis(t)
	log := logClients(t)
	url, pre := "redis://"+servicetest.RedisAddr()+"/0", prefix(t)
	file := func(aStore, bStore, limit string) []byte {
		return []byte(fmt.Sprintf(`
dependencies:
  a:
    breaker: { store: '%s', key_prefix: '%s', sync_period: 20ms }
  b:
    breaker: { store: '%s', key_prefix: '%s', sync_period: 20ms }
    rate_limit: { rate: 1000000, burst: 1000000, store: '%s', key_prefix: '%s' }
`, aStore, pre, bStore, pre, limit, pre))
	}
	cfg, err := policy.Parse(file(url, url, url))
	require.NoError(t, err)
	set := policy.New(cfg)
	a, b := set.Pipeline("a"), set.Pipeline("b")
	require.Len(t, log.clients(), 1, "three fleet policies on one URL: one client")
	client := log.clients()[0]

	stop := make(chan struct{})
	var calls sync.WaitGroup
	for _, p := range []*paved.Pipeline{a, b, a, b} {
		calls.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				assert.NoError(t, p.Run(context.Background(), func(context.Context) error { return nil }))
			}
		})
	}

	require.NoError(t, set.Reload(file(url, "memory", "memory")), "b's breaker and limit are dropped")
	require.NoError(t, set.Reload(file(url, "memory", url)), "b's limit is back, on the same client")
	log.noClose(t)
	require.NoError(t, client.Ping(context.Background()).Err(), "a's breaker still uses the client")
	assert.Len(t, log.clients(), 1)

	require.NoError(t, set.Reload(file("memory", "memory", "memory")), "the last policies on the URL are dropped")
	select {
	case c := <-log.closed:
		assert.Same(t, client, c)
	case <-time.After(10 * time.Second):
		t.Fatal("the client was not closed after its last policy")
	}
	assert.ErrorIs(t, client.Ping(context.Background()).Err(), redis.ErrClosed)

	require.NoError(t, set.Reload(file(url, url, url)))
	require.Len(t, log.clients(), 2, "a policy on the URL after the client closed opens a new one")
	close(stop)
	calls.Wait()
	require.NoError(t, set.Close())
	// Close waits for every close the Set started: each client was closed
	// once, the first only after its last policy.
	close(log.closed)
	var closed []*redis.Client
	for c := range log.closed {
		closed = append(closed, c)
	}
	assert.Equal(t, log.clients()[1:], closed, "Close closes the new client, and no client twice")
}

// Two Sets never share a client: each closes its own.
func TestFleetClientPerSet(t *testing.T) {
	servicetest.Redis(t)
	log := logClients(t)
	cfg, err := policy.Parse([]byte(fmt.Sprintf("dependencies: {a: {breaker: {store: 'redis://%s/0', key_prefix: '%s'}}}", servicetest.RedisAddr(), prefix(t))))
	require.NoError(t, err)
	one, two := policy.New(cfg), policy.New(cfg)
	one.Pipeline("a")
	two.Pipeline("a")
	require.Len(t, log.clients(), 2)
	require.NoError(t, one.Close())
	assert.Same(t, log.clients()[0], <-log.closed)
	require.NoError(t, log.clients()[1].Ping(context.Background()).Err())
	require.NoError(t, two.Close())
	assert.Same(t, log.clients()[1], <-log.closed)
}
