// Package redisbreaker shares circuit breaker state across a fleet through
// Redis, without putting Redis on the call path.
//
// gobreaker's DistributedCircuitBreaker holds a cluster-wide lock while every
// call runs, serialising all callers of a breaker across the fleet. Here each
// instance keeps deciding locally with a breaker.Breaker (same options, same
// outcome table); a background goroutine, started by New and stopped by
// Close, shares what the instance saw every SyncPeriod (default 200ms):
//
//   - it adds the calls it counted since the last sync (total and failures)
//     to a per-second bucket hash, and
//   - reads the fleet's counts over the window and the fleet's "open until",
//
// in one Lua script on Redis's own clock (TIME), so instances with skewed
// clocks agree. When the fleet's failure ratio over the window reaches the
// local breaker's FailureRatio with at least MinCalls calls, the script sets
// the fleet's open state for OpenDuration; every instance reads it on its next
// sync and opens (breaker.Breaker.TripFor, jittered upward only), so the whole
// fleet is open within one sync period of the trip — well within a second at
// the default. Each instance then probes on its own, half-open as usual.
// Failures counted before a fleet open period ended are never counted again.
// An instance's own local trips stay local. A breaker.WithOutcomeFunc given
// through WithBreakerOptions runs for every counted call, as well as the
// fleet's counting.
//
// When Redis is unreachable, calls go on exactly as the local breaker
// decides; the instance reports breaker_fleet_unavailable once (and
// breaker_fleet_restored when sharing resumes), and drops the counts it could
// not share rather than adding them to a later second.
//
// # Keys
//
// Two keys, under the prefix (default "paved:breaker:") and a hash tag of the
// breaker's name, so that a Redis Cluster keeps them in one slot:
// "<prefix>{<tag>}:counts" (a hash with fields t:<unix second> and
// f:<unix second>, old seconds deleted as new ones are written; expires a
// window after the last write) and "<prefix>{<tag>}:open" (unix ms; expires an
// OpenDuration plus a window after it is set). The script declares both and
// touches no other key, as Redis requires, so it runs on Redis Cluster and
// behind proxies that check script keys.
//
// The tag is the name itself ("paved:breaker:{payments}:counts") unless the
// name is empty, contains '}' or starts with '%': a Redis Cluster hashes only
// what is between a key's first '{' and the next '}', and an empty tag ("{}")
// hashes the whole key, which would put the two keys in different slots and
// fail every sync with CROSSSLOT. Such a name's tag is '%' followed by the
// name with '%' and '}' percent-encoded: "" gives "{%}", "}x" gives "{%%7Dx}",
// "%a" gives "{%%25a}". Distinct names never share keys. New rejects a key
// prefix whose first '{' is directly followed by '}', as its empty tag would
// be every key's; a prefix with a tag of its own ("app:{breakers}:") is
// accepted and puts every breaker under it in one slot.
//
// # Timeouts
//
// Each sync is bounded by the sync timeout, max(SyncPeriod, 100ms), and Close
// waits at most for the sync in flight. go-redis ignores a context's deadline
// unless the client's ContextTimeoutEnabled is set, and would otherwise wait
// its own read timeout (3s for a Client, 5s for a ClusterClient by default,
// forever with -1) on a Redis that accepts connections and never answers. So
// the sync does not use every client as given:
//
//   - a *redis.Client (including a failover client) through its WithTimeout
//     view: the caller's pool, and the hooks added to it before New, with the
//     sync timeout as read and write timeout. The view is never closed, since closing it would close
//     the caller's pool.
//   - a *redis.ClusterClient with ContextTimeoutEnabled as given: the sync's
//     context bounds it.
//   - a *redis.ClusterClient without it through a ClusterClient of the
//     Breaker's own, built from a copy of the caller's options with
//     ContextTimeoutEnabled and the sync timeout as read and write timeout,
//     with a pool of 2 connections per node; it has none of the hooks added
//     to the caller's client (AddHook) and is closed by Close.
//   - any other client (a *redis.Ring, a wrapper of one's own) as given: a
//     sync is bounded by the sync timeout only if the client honours context
//     deadlines (for a Ring, ContextTimeoutEnabled), else by the client's own
//     timeouts, and Close waits for the sync in flight.
//
// The caller's client is never closed by the Breaker; close it after Close.
//
// # Costs
//
// On the call path, the local breaker plus two atomic adds; in the
// background, one EVALSHA per sync period per instance (and, for a
// ClusterClient without ContextTimeoutEnabled, the Breaker's own client's
// connections).
package redisbreaker
