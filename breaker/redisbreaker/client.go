package redisbreaker

import (
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/paved-go/paved/internal/redisutil"
)

// syncClient returns the client the sync loop talks to, such that a sync is
// bounded by timeout even against a Redis that accepts connections and never
// answers, and the client the Breaker owns (and Close closes), if any: see
// redisutil.Bounded. A ClusterClient of the Breaker's own has a pool of 2
// connections per node: one sync at a time, plus room for the client's own
// background state reloads.
func syncClient(c redis.UniversalClient, timeout time.Duration) (use redis.UniversalClient, own *redis.ClusterClient) {
	return redisutil.Bounded(c, timeout, 2)
}
