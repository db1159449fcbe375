package redisrate_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/internal/redistest"
	"github.com/paved-go/paved/ratelimit/redisrate"
)

// Four limiters, as on four replicas, share one caller's limit: over 10 s
// they admit rate x 10 s + burst calls between them, within 2%, on a single
// Redis and on a Redis Cluster (the key's hash tag keeps it in one slot).
func TestFleetSharesOneLimit(t *testing.T) {
	for _, tt := range []struct {
		name   string
		client func(t *testing.T) redis.UniversalClient
	}{
		{"redis", func(t *testing.T) redis.UniversalClient { return redistest.NewClient(t) }},
		{"cluster", func(t *testing.T) redis.UniversalClient { return redistest.NewCluster(t) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const (
				r        = 100
				burst    = 20
				replicas = 4
				period   = 10 * time.Second
			)
			c := tt.client(t)
			pfx := redistest.Prefix(t)
			var admitted, decided atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			stop := start.Add(period)
			for range replicas {
				l := redisrate.MustNew(c, r, burst, redisrate.WithKeyPrefix(pfx), redisrate.WithFailClosed(),
					redisrate.WithDecisionTimeout(time.Second)) // a loaded CI machine must not make this an outage test
				t.Cleanup(func() { _ = l.Close() })
				wg.Go(func() {
					tick := time.NewTicker(2 * time.Millisecond) // each replica offers 500/s, 20x the share it gets
					defer tick.Stop()
					for now := range tick.C {
						if now.After(stop) {
							return
						}
						d, err := l.Allow(context.Background(), "tenant-42")
						if !assert.NoError(t, err) {
							return
						}
						decided.Add(1)
						if d.Allowed {
							admitted.Add(1)
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			want := r*elapsed.Seconds() + burst
			got := float64(admitted.Load())
			t.Logf("%s: %d of %d decisions admitted in %v; rate x time + burst = %.0f", tt.name, admitted.Load(), decided.Load(), elapsed.Round(time.Millisecond), want)
			require.Greater(t, decided.Load(), int64(5*r*period/time.Second), "the replicas offered far more than the limit")
			assert.InEpsilon(t, want, got, 0.02)
		})
	}
}
