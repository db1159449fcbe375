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
// An instance's own local trips stay local.
//
// When Redis is unreachable, calls go on exactly as the local breaker
// decides; the instance reports breaker_fleet_unavailable once (and
// breaker_fleet_restored when sharing resumes), and drops the counts it could
// not share rather than adding them to a later second.
//
// Two keys, under the prefix (default "paved:breaker:") and a hash tag of the
// breaker's name, so that a Redis Cluster keeps them in one slot:
// "<prefix>{name}:counts" (a hash with fields t:<unix second> and
// f:<unix second>, old seconds deleted as new ones are written; expires a
// window after the last write) and "<prefix>{name}:open" (unix ms; expires an
// OpenDuration plus a window after it is set). The script declares both and
// touches no other key, as Redis requires, so it runs on Redis Cluster and
// behind proxies that check script keys.
//
// Costs: on the call path, the local breaker plus two atomic adds; in the
// background, one EVALSHA per sync period per instance.
package redisbreaker
