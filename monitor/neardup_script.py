"""The Redis Lua script behind `NearDupIndex.check_and_add`: find, verify, record, index.

One script, so the whole step is atomic with respect to other workers: two copies of one
story checked at the same moment by two workers cannot both become new stories (the
second script runs after the first has indexed its item), and an item is never half
indexed (bands written but no item hash) if a worker dies mid-way.

KEYS[1]   the item's record (Keys.neardup_item); present = this item id was checked before
ARGV      item key prefix, story key prefix, item ref (8 bytes), new story id, signature (uint16
          little-endian), shingle count, story entry (JSON), source name, now (s), window
          (s), expiry time of the current slice's LSH hashes, bands, rows, Jaccard
          threshold, containment threshold, min shingles for containment, max candidates,
          max refs per bucket, LSH shards per slice, then the LSH key prefix of each time
          slice overlapping the window, the current slice first (Keys.neardup_lsh).

The LSH buckets of a slice are spread over `shards` small hashes (shard = first three bytes
of the band) so that Redis keeps each one in its compact encoding: ~20 bytes per bucket
entry instead of ~80 in one big hash. Keys built here from prefixes mean the script needs
one Redis server, not a Cluster.
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
local maxcand, maxrefs, shards = tonumber(ARGV[17]), tonumber(ARGV[18]), tonumber(ARGV[19])

local function bucket(b)  -- the shard (hash key suffix) and field of band b
  local values = string.sub(sig, b * width + 1, (b + 1) * width)
  local a, b2, c = string.byte(values, 1, 3)
  local shard = (a * 65536 + b2 * 256 + c) % shards
  return shard, string.char(b) .. values
end

local function hex(raw)
  return (string.gsub(raw, '.', function(c) return string.format('%02x', string.byte(c)) end))
end

-- Candidates: items sharing at least one band, most shared bands first.
local hits, order, current = {}, {}, {}
if n > 0 then
  for b = 0, bands - 1 do
    local shard, field = bucket(b)
    for k = 20, #ARGV do
      local refs = redis.call('HGET', ARGV[k] .. shard, field)
      if k == 20 then current[b] = refs or '' end  -- the current slice: appended to below
      if refs then
        for p = 1, #refs, 8 do
          local r = string.sub(refs, p, p + 7)
          if hits[r] then hits[r] = hits[r] + 1 else hits[r] = 1; order[#order + 1] = r end
        end
      end
    end
  end
end
table.sort(order, function(x, y) return hits[x] > hits[y] end)

-- Verify each candidate on its whole signature; keep the most similar that passes.
local m = siglen / 2
local best, bj, bc, bscore = nil, 0, 0, -1
for i = 1, math.min(#order, maxcand) do
  local value = order[i] ~= ref and redis.call('GET', ARGV[1] .. hex(order[i]))
  if value then
    local other, f = record(value)
    if now - tonumber(f[2]) <= window then
      local eq = 0
      for p = 1, siglen, 2 do
        if string.sub(sig, p, p + 1) == string.sub(other, p, p + 1) then eq = eq + 1 end
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
local fields = {n, ARGV[9], story, isnew, newsrc, pos, string.format('%.4f', bj),
                string.format('%.4f', bc)}
redis.call('SET', KEYS[1], sig .. table.concat(fields, '|'), 'EX', window)
if n > 0 then
  for b = 0, bands - 1 do
    local shard, field = bucket(b)
    local key = ARGV[20] .. shard
    local refs = current[b] .. ref
    -- A bucket shared by very many items (boilerplate-only texts) keeps its newest refs.
    if #refs > maxrefs * 8 then refs = string.sub(refs, #refs - maxrefs * 8 + 1) end
    redis.call('HSET', key, field, refs)
    redis.call('EXPIREAT', key, tonumber(ARGV[11]))
  end
end
return {story, isnew, newsrc, redis.call('LRANGE', skey, 0, pos - 1),
        string.format('%.4f', bj), string.format('%.4f', bc)}
"""
