package redisstore

import "github.com/redis/go-redis/v9"

// A record is one hash with a TTL, always: s (state, "i" in flight or "d"
// done), f (fingerprint), t (the holder's token, while in flight) and r
// (the stored response, once done). In flight its TTL is the lease, done
// the retention, so an expired lease frees the key by itself and nothing
// outlives its retention. Each transition is one script, atomic on the
// server, touching one key.

// claimScript: KEYS[1] record; ARGV fingerprint, token, lease ms.
// Returns {"c"} when claimed, {"i", fp} in flight, {"d", fp, result} done.
var claimScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 's', 'f', 'r')
if r[1] then
  if r[1] == 'd' then return {'d', r[2] or '', r[3] or ''} end
  return {'i', r[2] or ''}
end
redis.call('HSET', KEYS[1], 's', 'i', 'f', ARGV[1], 't', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'c'}
`)

// completeScript: KEYS[1] record; ARGV token, result, retention ms.
// Returns 1 when stored, 0 when token does not hold the claim (the lease
// expired, or it was completed or released).
var completeScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', 'd', 'r', ARGV[2])
redis.call('HDEL', KEYS[1], 't')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// releaseScript: KEYS[1] record; ARGV token. Returns 1 when deleted, 0
// when token does not hold the claim.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)
