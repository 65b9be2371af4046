"""The Lua scripts of the store (store.py): each runs atomically in Redis, and the comment
above each says which failure its order guards against."""

from monitor.seen import SEEN_FUNCTION

# Mark each item of a batch seen and enqueue its alerts, in one atomic step. The order
# guards two failures: a crash before this script means nothing was marked, so the next
# poll processes the items again (no alert lost); the seen check inside the same script
# means a second worker that scored an item concurrently enqueues nothing for it (no
# alert sent twice). An item is marked by appending its 8-byte record to its day's shard
# string (seen.py), which expires when its last record is `ttl` old: the expiry only moves
# later (a raised seen_ttl must cover the day's items claimed after the change). A day later
# than the latest written is recorded as it (seen.last_day), in this step: a lookup then
# reads that day, though the clock that wrote it is set back, as long as its items are kept.
#   KEYS: outbox, recent, the latest day written, then per item: alert:<id>...
#   ARGV: ttl, now, recent_max, bucket prefix, first day, tomorrow, today, expire-at, farthest
#         day read, seconds the latest day is kept, then per item: its alert count n, legacy
#         seen key, shard, record, recent record, then n pairs (the alert for the outbox, the
#         alert as kept under alert:<id>), each zlib
#   Returns 1 per item claimed here, 0 per item claimed before.
CLAIM_LUA = SEEN_FUNCTION + """
local done, k, a = {}, 4, 11
local prefix, first, today = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[7])
local last, latest = last_day(KEYS[3], tonumber(ARGV[6]), tonumber(ARGV[9]))
-- Seconds on Redis's clock: a worker's clock years ahead set its strings to live for years.
local left = tonumber(ARGV[8]) - math.floor(tonumber(ARGV[2]))
while a <= #ARGV do
  local n = tonumber(ARGV[a])
  if not seen(prefix, ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], first, last) then
    local bucket = prefix .. ARGV[7] .. ':' .. ARGV[a + 2]
    if redis.call('APPEND', bucket, ARGV[a + 3]) == 8 or redis.call('TTL', bucket) < left - 1 then
      redis.call('EXPIRE', bucket, left)
    end
    if today > latest then
      redis.call('SET', KEYS[3], today, 'EX', ARGV[10])
      latest = today
    end
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'item', ARGV[a + 4])
    for i = 1, n do
      redis.call('XADD', KEYS[1], '*', 'alert', ARGV[a + 3 + 2 * i])
      redis.call('SET', KEYS[k + i - 1], ARGV[a + 4 + 2 * i], 'EX', ARGV[1])
    end
    done[#done + 1] = 1
  else
    done[#done + 1] = 0
  end
  k, a = k + n, a + 5 + 2 * n
end
return done
"""


# A lease is taken when free or already ours (a worker that lost Redis mid-poll may still
# hold its own), and renewed or released only by the worker that holds it.
# Taking it returns the feed's state (HGETALL of KEYS[2]); not taking it returns false.
ACQUIRE_LUA = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('HGETALL', KEYS[2])
"""
RENEW_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# A feed's state saved in one step, and its lease released (if ours) in the same round
# trip: a poll then costs two round trips, lease-and-state and this. With no fields it
# only releases the lease.
#   KEYS: feed, lease   ARGV: owner ('' keeps the lease), n set, n cleared, then the set
#   field/value pairs, the cleared fields, and counter/amount pairs
SAVE_LUA = """
local nset, nclear = tonumber(ARGV[2]), tonumber(ARGV[3])
local at = 4
if nset > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, at, at + 2 * nset - 1)) end
at = at + 2 * nset
if nclear > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, at, at + nclear - 1)) end
for i = at + nclear, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
"""
