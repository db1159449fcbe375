package redisbreaker_test

import (
	"testing"
	"time"

	"github.com/paved-go/paved/breaker/redisbreaker"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A hung Redis bounds every sync by the sync timeout (100ms here), and Close
// returns promptly, whatever the client's own timeouts: go-redis would
// otherwise wait its read timeout (3s or 5s by default, forever with -1) and
// ignore the sync's context deadline.
//
// The bounds below are behavioural, not performance assertions: without the
// bound a sync takes the client's read timeout (seconds), with it about
// 100ms; one second leaves room for the race detector and a loaded machine
// while still telling the two apart.
func TestHungRedisBoundsSyncAndClose(t *testing.T) {
	const (
		period = 20 * time.Millisecond // sync timeout: max(period, 100ms) = 100ms
		bound  = time.Second
	)
	tests := []struct {
		name   string
		client func(addr string) redis.UniversalClient
	}{
		{"Client defaults", func(addr string) redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: addr})
		}},
		{"Client without read timeout", func(addr string) redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1, WriteTimeout: -1})
		}},
		{"Client with context timeouts", func(addr string) redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
		}},
		{"ClusterClient defaults", func(addr string) redis.UniversalClient {
			return redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
		}},
		{"ClusterClient without read timeout", func(addr string) redis.UniversalClient {
			return redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}, ReadTimeout: -1, WriteTimeout: -1})
		}},
		{"ClusterClient with context timeouts", func(addr string) redis.UniversalClient {
			return redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}, ContextTimeoutEnabled: true})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := tt.client(hungServer(t))
			t.Cleanup(func() { _ = client.Close() })
			synced := make(chan redisbreaker.SyncResult, 1)
			start := time.Now()
			b, err := redisbreaker.New(client, "hung", redisbreaker.WithKeyPrefix(prefix(t)),
				redisbreaker.WithSyncPeriod(period), latestSync(synced))
			require.NoError(t, err)
			defer b.Close()

			for i := range 3 {
				select {
				case r := <-synced:
					require.Error(t, r.Err, "sync %d against a server that never answers", i)
					t.Logf("sync %d failed after %v: %v", i, time.Since(start), r.Err)
				case <-time.After(bound):
					t.Fatalf("sync %d did not end within %v of the last", i, bound)
				}
				start = time.Now()
			}

			// The loop starts the next sync at once, so one is in flight.
			start = time.Now()
			require.NoError(t, b.Close())
			elapsed := time.Since(start)
			t.Logf("Close returned after %v", elapsed)
			assert.Less(t, elapsed, bound)
		})
	}
}
