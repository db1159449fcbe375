// Package redisstore is an idempotency.Store in Redis, for server
// instances that share one record of every key (STANDARDS.md RS-11).
//
// Each record is one hash with a TTL: the lease while its request runs,
// the retention once done, so an expired lease frees the key by itself and
// nothing outlives its retention. Each transition (claim, complete,
// release) is one Lua script, atomic on the server and one round trip: a
// first request costs two (claim, complete), a replay one (claim). Keys
// are the prefix and a hash tag holding a digest of caller scope and key,
// so every script touches one key, in one slot of a Redis Cluster, and no
// idempotency key value appears in a key name.
//
// Time is Redis's: leases and retention are PEXPIRE TTLs, so server
// instances' clocks need not agree. Every command is bounded by the
// Store's timeout (default 1s; see New), and the Guard bounds each call
// by its store timeout too.
package redisstore
