"""The Lua scripts of the surge counter (counter.py); each runs atomically in Redis.

RECORD_LUA counts one topic's stories. It is safe to run twice for the same items (the
story marker's SET NX counts a story once, sources are set members), so a crash or a
NOSCRIPT resend never counts a story twice, and two workers recording copies of one
story at once count it once.
  KEYS: counts, state, then per item: story marker, bucket hash
  ARGV: now, history ttl, story ttl, bucket ttl, most count fields, oldest bucket kept, then
        per item: bucket, story, source, {"t": title, "u": url} as JSON
Returns the stories counted (new to the topic). Its bucket hash keeps per story `n` (1 when
first counted there) and `o` (its sources).
"""

RECORD_LUA = """
local now, hist, keep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5])
redis.call('HSETNX', KEYS[2], 'since', now)
local k, a, counted = 3, 7, 0
while a <= #ARGV do
  local bucket, story, source = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local new = redis.call('SET', KEYS[k], '1', 'NX', 'EX', ARGV[3]) and 1 or 0
  if new == 1 then redis.call('HINCRBY', KEYS[1], bucket, 1) counted = counted + 1 end
  local field = 's:' .. story
  local raw = redis.call('HGET', KEYS[k + 1], field)
  local rec = raw and cjson.decode(raw) or cjson.decode(ARGV[a + 3])
  rec['n'] = (rec['n'] or 0) + new
  local src = rec['o'] or {}
  local known = false
  for _, s in ipairs(src) do if s == source then known = true end end
  if not known then src[#src + 1] = source end
  rec['o'] = src
  redis.call('HSET', KEYS[k + 1], field, cjson.encode(rec), 'o:' .. source, '1')
  redis.call('EXPIRE', KEYS[k + 1], ARGV[4])
  k, a = k + 2, a + 4
end
if redis.call('HLEN', KEYS[1]) > keep then
  local oldest = tonumber(ARGV[6])
  for _, b in ipairs(redis.call('HKEYS', KEYS[1])) do
    if tonumber(b) < oldest then redis.call('HDEL', KEYS[1], b) end
  end
end
redis.call('EXPIRE', KEYS[1], hist)
redis.call('EXPIRE', KEYS[2], hist)
return counted
"""

# Decide and enqueue a surge alert in one step, so two workers that both see the surge
# send one alert, and a crash cannot record a surge without enqueueing its alert. A surge
# is on until `until`; an elevated window keeps it on; a positive window alerts when no
# surge is on, or, a window or more after the surge's last alert, when it has `again` times
# the surge's size: the most stories of a window in the window after that alert (so a burst
# still growing into its plateau is one surge, not one alert per doubling).
#   KEYS: state, outbox   ARGV: now, stories, again, until, positive, elevated, ttl, alert JSON...
#   Returns 1 when the alerts were enqueued here.
CLAIM_LUA = """
local now, k = tonumber(ARGV[1]), tonumber(ARGV[2])
local active = tonumber(redis.call('HGET', KEYS[1], 'until') or '0') > now
local peak = tonumber(redis.call('HGET', KEYS[1], 'peak') or '0')
local later = now >= tonumber(redis.call('HGET', KEYS[1], 'alerted') or '0') + tonumber(ARGV[4]) - now
local fire = ARGV[5] == '1' and ((not active) or (later and k >= tonumber(ARGV[3]) * peak))
if active and not later and not fire and k > peak then redis.call('HSET', KEYS[1], 'peak', k) end
if fire then
  redis.call('HSET', KEYS[1], 'peak', k, 'alerted', ARGV[1])
  if not active then redis.call('HSET', KEYS[1], 'start', ARGV[1]) end
  for i = 8, #ARGV do redis.call('XADD', KEYS[2], '*', 'alert', ARGV[i]) end
end
if (active or fire) and ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'until', ARGV[4]) end
redis.call('EXPIRE', KEYS[1], ARGV[7])
return fire and 1 or 0
"""
