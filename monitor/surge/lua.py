"""The Lua scripts of the surge counter (counter.py); each runs atomically in Redis.

RECORD_LUA counts one topic's stories and sums its window and baseline, in one step. It is
safe to run twice for the same items (the story marker's SET NX counts a story once, and each
copy renews it: one story counts once while its copies keep coming; sources are set
members), so a crash or a NOSCRIPT resend never counts a story twice, and two workers
recording copies of one story at once count it once. With no items it only reads.
The sums are made here, not by the client: the counts hash holds a field per 15 minutes of
`surge_baseline` (1,344 for 14 days), which is ~20 ms to send and parse per poll in Python
and ~0.3 ms to add up in Redis.
  KEYS: counts, state, the window's bucket hashes (oldest first), then per item: story
        marker, bucket hash
  ARGV: now, history ttl, story ttl (from the latest copy), bucket ttl, most count fields,
        oldest bucket kept, bucket seconds, the window's first bucket, current bucket, the
        baseline's first bucket, window buckets, then per item: bucket, story, source, {"t", "u"} as JSON
  Returns {stories counted now, window stories, baseline stories, since, until, peak,
  window sources}. Each bucket hash keeps per story `n` (1 when first counted there) and `o`
  (its sources). The window's sources are those of the stories first counted in it: an
  older story's copies in the window (outlets re-carrying it) add none, so one outlet's
  burst stays one source however many others re-carry yesterday's news.
"""


RECORD_LUA = """
local now, hist, keep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5])
local size, first, current, lo, nw = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]),
  tonumber(ARGV[10]), tonumber(ARGV[11])
local k, a, counted = 3 + nw, 12, 0
-- The state's first write sets its expiry too: made by a copy of a story counted before
-- (nothing counted now, so no EXPIRE below), it would otherwise never expire.
if a <= #ARGV and redis.call('HSETNX', KEYS[2], 'since', now) == 1 then redis.call('EXPIRE', KEYS[2], hist) end
while a <= #ARGV do
  local bucket, story, source = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local new = redis.call('SET', KEYS[k], '1', 'NX', 'EX', ARGV[3]) and 1 or 0
  -- From the story's latest copy, as its near-dup list: a story kept alive by its copies
  -- was counted again every story ttl.
  if new == 0 then redis.call('EXPIRE', KEYS[k], ARGV[3]) end
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
  redis.call('HSET', KEYS[k + 1], field, cjson.encode(rec))
  redis.call('EXPIRE', KEYS[k + 1], ARGV[4])
  k, a = k + 2, a + 4
end
local flat = redis.call('HGETALL', KEYS[1])
if #flat > 2 * keep then
  local oldest = tonumber(ARGV[6])
  for i = 1, #flat, 2 do
    if tonumber(flat[i]) < oldest then redis.call('HDEL', KEYS[1], flat[i]) end
  end
end
if counted > 0 then
  redis.call('EXPIRE', KEYS[1], hist)
  redis.call('EXPIRE', KEYS[2], hist)
end
local since = redis.call('HGET', KEYS[2], 'since')
local start = since and math.max(math.floor(tonumber(since) / size), lo) or first
local win, base = 0, 0
for i = 1, #flat, 2 do
  local b, c = tonumber(flat[i]), tonumber(flat[i + 1])
  if b >= first and b <= current then win = win + c elseif b >= start and b < first then base = base + c end
end
local recs, fresh = {}, {}
for i = 3, 2 + nw do
  local h = redis.call('HGETALL', KEYS[i])
  for j = 1, #h, 2 do
    if string.sub(h[j], 1, 2) == 's:' then
      local rec = cjson.decode(h[j + 1])
      recs[#recs + 1] = {h[j], rec['o'] or {}}
      if (tonumber(rec['n']) or 0) > 0 then fresh[h[j]] = true end
    end
  end
end
local sources, nsources = {}, 0
for _, r in ipairs(recs) do
  if fresh[r[1]] then
    for _, s in ipairs(r[2]) do
      if not sources[s] then sources[s] = true nsources = nsources + 1 end
    end
  end
end
local state = redis.call('HMGET', KEYS[2], 'until', 'peak')
return {counted, win, base, since or '', state[1] or '0', state[2] or '0', nsources}
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
local active = tonumber(redis.call('HGET', KEYS[1], 'until') or '0') >= now
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
