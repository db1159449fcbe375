// Package redisutil holds what the packages that talk to Redis share
// (breaker/redisbreaker, ratelimit/redisrate).
package redisutil

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// Bounded returns a client whose commands are bounded by timeout even
// against a Redis that accepts connections and never answers, and the
// client it made for that, if any, which the caller owns and must close.
//
// go-redis ignores context deadlines unless ContextTimeoutEnabled is set; it
// then waits up to its read timeout (3s for a Client, 5s for a ClusterClient
// by default, none if -1) on every attempt.
//
//   - *redis.Client: a WithTimeout view, whose reads and writes (the
//     connection handshake's too) time out after timeout. It shares the
//     caller's pool, and the hooks added before the call. It is never
//     closed, as closing it would close the caller's pool; it starts nothing
//     that needs stopping.
//   - *redis.ClusterClient with ContextTimeoutEnabled: the caller's, as a
//     context deadline bounds it.
//   - *redis.ClusterClient without it: a ClusterClient of its own, from a
//     copy of the caller's options with ContextTimeoutEnabled and timeout as
//     read and write timeout, and a pool of poolSize connections per node
//     (0: the caller's). It has none of the hooks added to the caller's
//     client (AddHook).
//   - anything else: the caller's, as given.
func Bounded(c redis.UniversalClient, timeout time.Duration, poolSize int) (use redis.UniversalClient, own *redis.ClusterClient) {
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
		if poolSize > 0 {
			opt.PoolSize, opt.MinIdleConns, opt.MaxIdleConns = poolSize, 0, poolSize
		}
		own := redis.NewClusterClient(&opt)
		return own, own
	default:
		return c, nil
	}
}
