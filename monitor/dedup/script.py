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
          max records per LSH field, [19] term sketch (terms.TermSketch.encode), cosine
          threshold, names threshold, min shared names, topic candidates kept per topic,
          [24] the number T of topic lists, [25] story sources key prefix, [26] sources kept
          per story, the T topic lists (Keys.neardup_topic), then the
          LSH hash of each time slice overlapping the window, the current slice first
          (Keys.neardup_lsh).

Candidates: items sharing at least one LSH band (verified by both tests: shingles, then
rewording), and the newest items of the item's topics (rewording only: a rephrased copy
shares too few shingles for any band; terms.py says why its names and words tell it apart).

LSH layout: one hash per time slice; band b of an item is a 15-byte record (band number,
its 3 values, the item's ref) appended to the field named by the band's first value (2
bytes, so at most 65,536 fields). Reading is one HMGET per slice and writing one HSET, and
a band costs 15 bytes, where a field or a key per bucket would cost ~80 bytes and one
Redis call per band (measured: 5x slower). Candidate item keys are built here from a
prefix, so the script needs one Redis server, not a Cluster.

An item's record is one string, the signature, the term sketch, then
"n|time|story|new|newsrc|pos|j|c|cos|names" (a hash would hold the 256-byte signature in
its large encoding: twice the memory).

A story's list keeps its first sources only (so a copy reads at most that many entries);
a set of its source names, one SADD per copy, says whether the copy's source is new and
how many there are.

Returns   {story id, is new (0/1), new source (0/1), story entries up to this item (at most
           the kept sources), Jaccard, containment, cosine, names, distinct sources}; a
          repeated check returns what the first one returned.
"""

from __future__ import annotations

CHECK_AND_ADD = r"""
local sig = ARGV[5]
local siglen = #sig

local function sketch_len(value, at)  -- bytes of the term sketch that starts after `at`
  local nt, nn = string.byte(value, at + 1, at + 2)
  return 3 + 3 * nt + 2 * nn
end

local function record(value)  -- an item's record: signature, term sketch and its fields
  local f = {}
  local rest = siglen + sketch_len(value, siglen)
  for x in string.gmatch(string.sub(value, rest + 1), '[^|]+') do f[#f + 1] = x end
  return string.sub(value, 1, siglen), f
end

local prev = redis.call('GET', KEYS[1])
if prev then
  -- Idempotent: a crash after this script but before the item was marked seen replays it.
  local _, f = record(prev)
  local entries = redis.call('LRANGE', ARGV[2] .. f[3], 0, tonumber(f[6]) - 1)
  return {f[3], tonumber(f[4]), tonumber(f[5]), entries, f[7], f[8], f[9], f[10], tonumber(f[11])}
end
local ref, n = ARGV[3], tonumber(ARGV[6])
local now, window = tonumber(ARGV[9]), tonumber(ARGV[10])
local bands, width = tonumber(ARGV[12]), tonumber(ARGV[13]) * 2
local jt, ct, minc = tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16])
local maxcand, maxrecords = tonumber(ARGV[17]), tonumber(ARGV[18])
local ts, cost, namet, minnames = ARGV[19], tonumber(ARGV[20]), tonumber(ARGV[21]), tonumber(ARGV[22])
local keeptopic, ntopics = tonumber(ARGV[23]), tonumber(ARGV[24])
local keepsources = tonumber(ARGV[26])
local firstslice = 27 + ntopics

-- This item's term sketch (terms.py): content words hash -> weight, names, flags.
local function u16(s, at) local lo, hi = string.byte(s, at, at + 1); return lo + 256 * hi end
local mnt, mnn, mflags = string.byte(ts, 1, 3)
local mterms, mhashes, mnames = {}, {}, {}
for i = 1, mnt do
  local h = u16(ts, 4 + 3 * (i - 1))
  mhashes[i], mterms[h] = h, string.byte(ts, 6 + 3 * (i - 1))
end
for i = 1, mnn do mnames[i] = u16(ts, 4 + 3 * mnt + 2 * (i - 1)) end

local function cutoff(myfull, mylast, theirfull, theirlast)
  return math.min(myfull and mylast or 65536, theirfull and theirlast or 65536)
end

-- Names share and names shared against `nn` names (u16) from byte `first` of `s`, `fl`
-- the flags of their sketch.
local myset = {}
for i = 1, mnn do myset[mnames[i]] = true end
local function names_of(s, first, nn, fl)
  local cut = cutoff(bit.band(mflags, 2) > 0, mnames[mnn] or 0, bit.band(fl, 2) > 0,
                     nn > 0 and u16(s, first + 2 * nn - 2) or 0)
  local nb, na, shared = 0, 0, 0
  for i = 1, nn do
    local h = u16(s, first + 2 * i - 2)
    if h <= cut then nb = nb + 1; if myset[h] then shared = shared + 1 end end
  end
  for i = 1, mnn do if mnames[i] <= cut then na = na + 1 end end
  return (na > 0 and nb > 0) and shared / math.min(na, nb) or 0, shared
end

-- Rewording measures against a record whose term sketch starts after byte `at`:
-- cosine (0 when the names disagree: not computed), names share, names shared.
local function reword(value, at)
  local nt, nn, fl = string.byte(value, at + 1, at + 3)
  local names, shared = names_of(value, at + 4 + 3 * nt, nn, fl)
  if names < namet or shared < minnames then return 0, names, shared end
  local cut = cutoff(bit.band(mflags, 1) > 0, mhashes[mnt] or 0, bit.band(fl, 1) > 0,
               nt > 0 and u16(value, at + 3 + 3 * (nt - 1) + 1) or 0)
  local dot, n2a, n2b = 0, 0, 0
  for i = 1, nt do
    local p = at + 4 + 3 * (i - 1)
    local h = u16(value, p)
    if h <= cut then
      local w = string.byte(value, p + 2)
      n2b = n2b + w * w
      if mterms[h] then dot = dot + w * mterms[h] end
    end
  end
  for i = 1, mnt do
    local h = mhashes[i]
    if h <= cut then n2a = n2a + mterms[h] * mterms[h] end
  end
  local cos = (n2a > 0 and n2b > 0) and dot / math.sqrt(n2a * n2b) or 0
  return cos, names, shared
end

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
  for k = firstslice, #ARGV do
    local found = redis.call('HMGET', ARGV[k], unpack(fields))
    for b = 1, bands do
      local records = found[b]
      if k == firstslice then current[b] = records or '' end  -- the current slice: appended to below
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
if #order > maxcand then for i = #order, maxcand + 1, -1 do order[i] = nil end end
-- Then the newest items of the item's topics that share no band (rewording test only),
-- those whose names agree: a topic entry is the item's ref, sketch flags and names, so
-- the others cost no read of their record. (An item with fewer names than a rewording
-- needs shares them with none.)
for t = 27, (mnn >= minnames) and 26 + ntopics or 0 do
  for _, e in ipairs(redis.call('LRANGE', ARGV[t], 0, keeptopic - 1)) do
    local r = string.sub(e, 1, 8)
    if not hits[r] then
      local names, shared = names_of(e, 10, (#e - 9) / 2, string.byte(e, 9))
      if names >= namet and shared >= minnames then hits[r] = 0; order[#order + 1] = r end
    end
  end
end

-- Verify each candidate; keep the most similar that passes (a shingle match first).
local m = siglen / 2
local mine = {string.byte(sig, 1, siglen)}
local best, bj, bc, bcos, bnames, bscore = nil, 0, 0, 0, 0, -1
for i = 1, #order do
  local value = order[i] ~= ref and redis.call('GET', ARGV[1] .. hex(order[i]))
  if value then
    local other, f = record(value)
    if now - tonumber(f[2]) <= window then
      local j, c, pass = 0, 0, false
      if hits[order[i]] > 0 then
        -- bytes compared from two tables (string.sub per value made verifying 20x slower)
        local theirs, eq = {string.byte(other, 1, siglen)}, 0
        for p = 1, siglen, 2 do
          if mine[p] == theirs[p] and mine[p + 1] == theirs[p + 1] then eq = eq + 1 end
        end
        local nc = tonumber(f[1])
        local small = math.min(n, nc)
        j = eq / m
        c = small > 0 and math.min(1, j * (n + nc) / ((1 + j) * small)) or 0
        pass = j >= jt or (c >= ct and small >= minc)
      end
      local cos, names, shared = reword(value, siglen)
      local score = pass and 2 + math.max(j, c) or cos
      pass = pass or (cos >= cost and names >= namet and shared >= minnames)
      if pass and score > bscore then
        best, bj, bc, bcos, bnames, bscore = f[3], j, c, cos, names, score
      end
    end
  end
end

-- Record the item on its story (a new one, or the earlier copy's).
local story, isnew, newsrc = best, 0, 1
if not best then story, isnew = ARGV[4], 1 end
local skey, names = ARGV[2] .. story, ARGV[25] .. story
newsrc = redis.call('SADD', names, ARGV[8])
local nsrc = redis.call('SCARD', names)
local pos = redis.call('LLEN', skey)
if pos < keepsources then pos = redis.call('RPUSH', skey, ARGV[7]) end
redis.call('EXPIRE', skey, window)
redis.call('EXPIRE', names, window)

-- Index the item (copies too: a third copy may resemble the second more than the first).
local measures = {string.format('%.4f', bj), string.format('%.4f', bc),
                  string.format('%.4f', bcos), string.format('%.4f', bnames)}
local rec = {n, ARGV[9], story, isnew, newsrc, pos, measures[1], measures[2], measures[3],
             measures[4], nsrc}
redis.call('SET', KEYS[1], sig .. ts .. table.concat(rec, '|'), 'EX', window)
local entry = ref .. string.char(mflags) .. string.sub(ts, 4 + 3 * mnt)
for t = 27, 26 + ntopics do
  redis.call('LPUSH', ARGV[t], entry)
  redis.call('LTRIM', ARGV[t], 0, keeptopic - 1)
  redis.call('EXPIRE', ARGV[t], window)
end
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
  redis.call('HSET', ARGV[firstslice], unpack(flat))
  redis.call('EXPIREAT', ARGV[firstslice], tonumber(ARGV[11]))
end
-- This script leaves ~100 KB of garbage (bucket strings); a small collection step per call
-- keeps Redis's own, every 50 scripts, from pausing for milliseconds (p99 0.97 -> 0.64 ms).
if collectgarbage then collectgarbage('step', 0) end
return {story, isnew, newsrc, redis.call('LRANGE', skey, 0, pos - 1), measures[1], measures[2],
        measures[3], measures[4], nsrc}
"""
