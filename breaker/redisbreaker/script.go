package redisbreaker

import "github.com/redis/go-redis/v9"

// syncScript publishes one instance's counts and reads the fleet's verdict,
// atomically and on Redis's clock (TIME), so instances with skewed clocks
// still agree on buckets and on when an open state ends.
//
// KEYS[1]: the breaker's key prefix, ending in a hash tag ("...{name}:") so
// every key it builds lands in one cluster slot.
// ARGV: total, failures (since the last sync), window seconds, min calls,
// failure ratio, open milliseconds.
//
// Keys: <prefix>b:<unix second> is a hash {t, f} of the calls counted in that
// second, expiring after the window; <prefix>open holds the fleet's "open
// until" (unix ms), kept for the open time plus a window so that the
// failures that caused it are not counted again once it expires.
//
// Returns {remaining open ms (0: not open), open until ms, total, failures}.
var syncScript = redis.NewScript(`
local p = KEYS[1]
local dt, df = tonumber(ARGV[1]), tonumber(ARGV[2])
local win, minc = tonumber(ARGV[3]), tonumber(ARGV[4])
local ratio, openms = tonumber(ARGV[5]), tonumber(ARGV[6])
local tm = redis.call('TIME')
local sec = tonumber(tm[1])
local now = sec * 1000 + math.floor(tonumber(tm[2]) / 1000)
if dt > 0 then
  local k = p .. 'b:' .. sec
  redis.call('HINCRBY', k, 't', dt)
  if df > 0 then redis.call('HINCRBY', k, 'f', df) end
  redis.call('EXPIRE', k, win + 2)
end
local okey = p .. 'open'
local untilms = tonumber(redis.call('GET', okey) or '0')
if untilms > now then
  return {untilms - now, untilms, 0, 0}
end
local from = sec - win + 1
local after = math.floor(untilms / 1000) + 1
if after > from then from = after end
local total, fails = 0, 0
for s = from, sec do
  local v = redis.call('HMGET', p .. 'b:' .. s, 't', 'f')
  total = total + (tonumber(v[1]) or 0)
  fails = fails + (tonumber(v[2]) or 0)
end
if total >= minc and fails >= ratio * total then
  untilms = now + openms
  redis.call('SET', okey, untilms, 'PX', openms + win * 1000 + 1000)
  return {openms, untilms, total, fails}
end
return {0, untilms, total, fails}
`)
