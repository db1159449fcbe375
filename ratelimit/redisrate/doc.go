// Package redisrate is one rate limit per caller shared by every replica of
// a service, kept in Redis (or Redis Cluster): STANDARDS.md RS-8 for a
// fleet. Use it where ratelimit.PerKey would give each replica its own
// limit, so that a fleet of N replicas admits N times the intended rate.
//
// # Decisions
//
// Each decision is one round trip: one Lua script (EVALSHA) running GCRA,
// the generic cell rate algorithm, on Redis's own clock (TIME), so replicas
// with skewed clocks agree. A caller's state is one key holding its
// theoretical arrival time, which expires as soon as its bucket is full
// again, so idle callers hold no memory in Redis. The key is
//
//	<prefix>{<caller key>}:<limit name>
//
// with the caller's key as the Redis Cluster hash tag; keys longer than
// WithMaxKeyLength or not printable become a digest, so an invented key
// cannot make a huge one. Four limiters sharing one caller admit, over 10 s,
// rate x 10 s + burst calls within 2% on a single Redis and on a one-node
// Cluster (TestFleetSharesOneLimit: 1019 and 1018 of 1020).
//
// # When Redis cannot decide
//
// Every decision is bounded by WithDecisionTimeout (default 50ms), and by
// the caller's deadline when it is sooner (then the call gets
// context.DeadlineExceeded and Redis is not taken for down), so a hung
// Redis delays a call by at most that. go-redis ignores context deadlines
// unless ContextTimeoutEnabled is set; the Limiter bounds a *redis.Client
// without it through read and write timeouts (WithTimeout), and makes a
// ClusterClient of its own with it (closed by Close).
// After a failure, Redis is not asked again for WithStoreRetry (default 1s);
// meanwhile:
//
//   - fail open (the default, WithFailOpen(replicas)): a local limit per
//     caller at the fleet's rate and burst divided by replicas decides, so
//     the fleet stays near its limit;
//   - fail closed (WithFailClosed): calls are refused with ErrUnavailable
//     (a paved rejection whose RetryAfter is the time until Redis is asked
//     again).
//
// The outage is a ratelimit_store_unavailable event, its end a
// ratelimit_store_restored event. A caller whose context ends first gets
// its context's error and does not mark Redis down.
//
// # Answers
//
// Refusals are *ratelimit.LimitedError values, as ratelimit.PerKey's: the
// server adapters answer them with 429, Retry-After and the RateLimit fields
// (gRPC: RESOURCE_EXHAUSTED with grpc-retry-pushback-ms), and admitted calls
// carry their Status for RateLimit on the response. docs/ratelimit.md has
// the whole picture.
package redisrate
