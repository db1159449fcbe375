package redisrate

import "github.com/redis/go-redis/v9"

// gcraScript decides one call in one round trip, GCRA on Redis's clock
// (TIME), so replicas with skewed clocks agree (internal/gcra has the
// arithmetic). Times are whole microseconds: the unix time in µs (about
// 1.8e15) is exact in Lua's doubles (2^53 ≈ 9e15), and string.format keeps
// every digit, where Lua's own number-to-string conversion keeps 14 and
// would round the stored time to 100µs.
//
// KEYS[1] the caller's key. ARGV[1] the emission interval, µs; ARGV[2]
// burst × interval, µs. It returns {1, ahead} when the call is admitted
// (ahead: how far the bucket is from full after it, µs) and {0, ahead} when
// it is refused (ahead before the call). It writes only KEYS[1], with an
// expiry when the bucket is full again, so idle callers hold no memory.
var gcraScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local new = tat + interval
if new - now > limit then
  return {0, tat - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.max(1, math.ceil((new - now) / 1000)))
return {1, new - now}
`)
