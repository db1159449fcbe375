package redisbreaker

import "github.com/redis/go-redis/v9"

// syncScript publishes one instance's counts and reads the fleet's verdict,
// atomically and on Redis's clock (TIME), so instances with skewed clocks
// still agree on buckets and on when an open state ends.
//
// It touches only the keys it is given, as Redis requires of scripts (a
// Redis Cluster routes the script by them, and a proxy may check them):
// KEYS[1], the counts hash, and KEYS[2], the open key. Both carry the
// breaker's hash tag, so they are in one cluster slot. The per-second buckets
// are fields of the counts hash, named by Redis's own second, which the
// client could not name without asking Redis for TIME first.
//
// ARGV: total, failures (since the last sync), window seconds, min calls,
// failure ratio, open milliseconds.
//
// Counts hash: fields t:<unix second> and f:<unix second> count the calls
// and failures of that second; field c is the last second whose fields were
// deleted (each write deletes the fields that left the window). The hash
// expires a window after the last write. Open key: the fleet's "open until"
// (unix ms), kept for the open time plus a window so that the failures that
// caused it are not counted again once it expires.
//
// Returns {remaining open ms (0: not open), open until ms, total, failures}.
var syncScript = redis.NewScript(`
local ck, okey = KEYS[1], KEYS[2]
local dt, df = tonumber(ARGV[1]), tonumber(ARGV[2])
local win, minc = tonumber(ARGV[3]), tonumber(ARGV[4])
local ratio, openms = tonumber(ARGV[5]), tonumber(ARGV[6])
local tm = redis.call('TIME')
local sec = tonumber(tm[1])
local now = sec * 1000 + math.floor(tonumber(tm[2]) / 1000)
if dt > 0 then
  -- Fields older than the window go. The hash lives at most win + 2 seconds
  -- after a write, so at most about 2 * win seconds are ever left to delete.
  local upto = sec - win
  local c = tonumber(redis.call('HGET', ck, 'c') or (upto - 1))
  for s = math.max(c + 1, upto - 2 * win - 4), upto do
    redis.call('HDEL', ck, 't:' .. s, 'f:' .. s)
  end
  if upto > c then redis.call('HSET', ck, 'c', upto) end
  redis.call('HINCRBY', ck, 't:' .. sec, dt)
  if df > 0 then redis.call('HINCRBY', ck, 'f:' .. sec, df) end
  redis.call('EXPIRE', ck, win + 2)
end
local untilms = tonumber(redis.call('GET', okey) or '0')
if untilms > now then
  return {untilms - now, untilms, 0, 0}
end
local from = sec - win + 1
local after = math.floor(untilms / 1000) + 1
if after > from then from = after end
local total, fails = 0, 0
for s = from, sec do
  local v = redis.call('HMGET', ck, 't:' .. s, 'f:' .. s)
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
