"""The Redis Lua script behind `NearDupIndex.check_and_add`: find, verify, record, index.

One script, so the whole step is atomic with respect to other workers: two copies of one
story checked at the same moment by two workers cannot both become new stories (the
second script runs after the first has indexed its item), and an item is never half
indexed (bands written but no item hash) if a worker dies mid-way.

KEYS[1]   the item's record (Keys.neardup_item); present = this item id was checked before
ARGV      item key prefix, story key prefix, item ref (8 bytes), new story id, signature
          (uint16 little-endian), shingle count, story entry (JSON), source name, now (s),
          window (s), expiry time of the current slice's LSH hash, bands, rows, Jaccard
          threshold, containment threshold, min shingles for containment, max candidates,
          max records per LSH field, then the LSH hash of each time slice overlapping the
          window, the current slice first (Keys.neardup_lsh).

LSH layout: one hash per time slice; band b of an item is a 15-byte record (band number,
its 3 values, the item's ref) appended to the field named by the band's first value (2
bytes, so at most 65,536 fields). Reading is one HMGET per slice and writing one HSET, and
a band costs 15 bytes, where a field or a key per bucket would cost ~80 bytes and one
Redis call per band (measured: 5x slower). Candidate item keys are built here from a
prefix, so the script needs one Redis server, not a Cluster.

An item's record is one string, the signature then "n|time|story|new|newsrc|pos|j|c"
(a hash would hold the 256-byte signature in its large encoding: twice the memory).

Returns   {story id, is new (0/1), new source (0/1), story entries up to this item,
           Jaccard, containment}; a repeated check returns what the first one returned.
"""

from __future__ import annotations

CHECK_AND_ADD = r"""
local sig = ARGV[5]
local siglen = #sig

local function record(value)  -- an item's record: signature and its fields
  local f = {}
  for x in string.gmatch(string.sub(value, siglen + 1), '[^|]+') do f[#f + 1] = x end
  return string.sub(value, 1, siglen), f
end

local prev = redis.call('GET', KEYS[1])
if prev then
  -- Idempotent: a crash after this script but before the item was marked seen replays it.
  local _, f = record(prev)
  local entries = redis.call('LRANGE', ARGV[2] .. f[3], 0, tonumber(f[6]) - 1)
  return {f[3], tonumber(f[4]), tonumber(f[5]), entries, f[7], f[8]}
end
local ref, n = ARGV[3], tonumber(ARGV[6])
local now, window = tonumber(ARGV[9]), tonumber(ARGV[10])
local bands, width = tonumber(ARGV[12]), tonumber(ARGV[13]) * 2
local jt, ct, minc = tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16])
local maxcand, maxrecords = tonumber(ARGV[17]), tonumber(ARGV[18])

-- Band b of this item: `keys[b]` (band number and its 3 values, 7 bytes) is filed under
-- `fields[b]` (its first value, 2 bytes) of the slice's LSH hash, as a 15-byte record
-- key .. ref appended to that field's value.
local keys, fields = {}, {}
for b = 1, bands do
  local values = string.sub(sig, (b - 1) * width + 1, b * width)
  keys[b], fields[b] = string.char(b - 1) .. values, string.sub(values, 1, 2)
end

local function hex(raw)  -- of an 8-byte ref
  return string.format('%02x%02x%02x%02x%02x%02x%02x%02x', string.byte(raw, 1, 8))
end

-- Candidates: items sharing at least one band, most shared bands first.
local hits, order, current = {}, {}, {}
if n > 0 then
  for k = 19, #ARGV do
    local found = redis.call('HMGET', ARGV[k], unpack(fields))
    for b = 1, bands do
      local records = found[b]
      if k == 19 then current[b] = records or '' end  -- the current slice: appended to below
      local at = records and string.find(records, keys[b], 1, true)
      while at do
        if (at - 1) % 15 == 0 then  -- a whole record, not bytes straddling two
          local r = string.sub(records, at + 7, at + 14)
          if hits[r] then hits[r] = hits[r] + 1 else hits[r] = 1; order[#order + 1] = r end
        end
        at = string.find(records, keys[b], at + 1, true)
      end
    end
  end
end
table.sort(order, function(x, y) return hits[x] > hits[y] end)

-- Verify each candidate on its whole signature; keep the most similar that passes.
local m = siglen / 2
local mine = {string.byte(sig, 1, siglen)}
local best, bj, bc, bscore = nil, 0, 0, -1
for i = 1, math.min(#order, maxcand) do
  local value = order[i] ~= ref and redis.call('GET', ARGV[1] .. hex(order[i]))
  if value then
    local other, f = record(value)
    if now - tonumber(f[2]) <= window then
      -- bytes compared from two tables (string.sub per value made verifying 20x slower)
      local theirs, eq = {string.byte(other, 1, siglen)}, 0
      for p = 1, siglen, 2 do
        if mine[p] == theirs[p] and mine[p + 1] == theirs[p + 1] then eq = eq + 1 end
      end
      local j, nc = eq / m, tonumber(f[1])
      local small = math.min(n, nc)
      local c = math.min(1, j * (n + nc) / ((1 + j) * small))
      local score = math.max(j, c)
      if (j >= jt or (c >= ct and small >= minc)) and score > bscore then
        best, bj, bc, bscore = f[3], j, c, score
      end
    end
  end
end

-- Record the item on its story (a new one, or the earlier copy's).
local story, isnew, newsrc = best, 0, 1
if not best then story, isnew = ARGV[4], 1 end
local skey = ARGV[2] .. story
if isnew == 0 then
  for _, e in ipairs(redis.call('LRANGE', skey, 0, -1)) do
    if cjson.decode(e)['s'] == ARGV[8] then newsrc = 0; break end
  end
end
local pos = redis.call('RPUSH', skey, ARGV[7])
redis.call('EXPIRE', skey, window)

-- Index the item (copies too: a third copy may resemble the second more than the first).
local rec = {n, ARGV[9], story, isnew, newsrc, pos, string.format('%.4f', bj),
             string.format('%.4f', bc)}
redis.call('SET', KEYS[1], sig .. table.concat(rec, '|'), 'EX', window)
if n > 0 then
  local updates = {}
  for b = 1, bands do
    -- One field shared by very many items (boilerplate-only texts) keeps its newest records.
    local records = current[b]
    if #records >= maxrecords * 15 then records = string.sub(records, 16) end
    -- Two bands of this item may share a field: append to what the first one wrote.
    if updates[fields[b]] then records = updates[fields[b]] end
    updates[fields[b]] = records .. keys[b] .. ref
  end
  local flat = {}
  for f, v in pairs(updates) do flat[#flat + 1] = f; flat[#flat + 1] = v end
  redis.call('HSET', ARGV[19], unpack(flat))
  redis.call('EXPIREAT', ARGV[19], tonumber(ARGV[11]))
end
-- This script leaves ~100 KB of garbage (bucket strings); a small collection step per call
-- keeps Redis's own, every 50 scripts, from pausing for milliseconds (p99 0.97 -> 0.64 ms).
if collectgarbage then collectgarbage('step', 0) end
return {story, isnew, newsrc, redis.call('LRANGE', skey, 0, pos - 1),
        string.format('%.4f', bj), string.format('%.4f', bc)}
"""
