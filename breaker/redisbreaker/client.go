package redisbreaker

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// syncClient returns the client the sync loop talks to, such that a sync is
// bounded by timeout even against a Redis that accepts connections and never
// answers, and the client the Breaker owns (and Close closes), if any.
//
// go-redis ignores context deadlines unless ContextTimeoutEnabled is set; it
// then waits up to its read timeout (3s for a Client, 5s for a ClusterClient
// by default, none if -1) on every attempt.
//
//   - *redis.Client: a WithTimeout view, whose reads and writes (the
//     connection handshake's too) time out after timeout. It shares the
//     caller's pool, and the hooks added before New. It is never closed, as
//     closing it would close the caller's pool; it starts nothing that needs
//     stopping.
//   - *redis.ClusterClient with ContextTimeoutEnabled: the caller's, as the
//     sync's context deadline bounds it.
//   - *redis.ClusterClient without it: a ClusterClient of the Breaker's own,
//     from a copy of the caller's options with ContextTimeoutEnabled and
//     timeout as read and write timeout. It has its own small pool per node
//     and none of the hooks added to the caller's client (AddHook).
//   - anything else: the caller's, as given (see the package doc).
func syncClient(c redis.UniversalClient, timeout time.Duration) (use redis.UniversalClient, own *redis.ClusterClient) {
	switch c := c.(type) {
	case *redis.Client:
		return c.WithTimeout(timeout), nil
	case *redis.ClusterClient:
		if c.Options().ContextTimeoutEnabled {
			return c, nil
		}
		opt := *c.Options()
		opt.ContextTimeoutEnabled = true
		opt.ReadTimeout, opt.WriteTimeout = timeout, timeout
		// One sync at a time, plus room for the client's own background
		// state reloads.
		opt.PoolSize, opt.MinIdleConns, opt.MaxIdleConns = 2, 0, 2
		own := redis.NewClusterClient(&opt)
		return own, own
	default:
		return c, nil
	}
}
