"""Lua pieces of the check-and-add script (script.py): the LSH layout of a time slice.

Per slice, the LSH is a few hashes ("segments"). A segment's fields are the first B bits of
a band's hash; each field's value is 5-byte records, the record's 2 check bytes and the
item's 3-byte sequence number. The check bytes are the 16 bits after the first `base` bits
of the band's hash, where `base` is the field bits of the segment's lineage (below).

A segment is sized for `perfield` records per field (`capacity`). When it is full, the next
segment has 8x the fields (B + 3), and the full one's records move into it, a few fields on
each check (`migrate`): a record's new field is its old field and the top 3 bits of its
check, so records move whole, without their item. Once moved, the old segment is deleted,
so a lookup reads one segment until the slice holds 8x what its first held: at 1,000,000
items of a new index, one field of ~80 records a band, where layout 2 (until 2026-11-29)
read a full segment's 128 and a second one's ~64 (reading a full segment is ~55 us of the
script). While records move, a lookup reads both segments (a moved field is gone from the
old one).

The moved-into segment keeps its parent's base, so its check has 13 bits of its own; it does
not move again. When it is full the next segment starts a new lineage (base = its bits, a
full 16-bit check) and both are read, as every segment was before. The first segment of a
new index has `bits0` bits (16: 199,728 items; the next, moved into, holds 1,597,830); a
slice's first segment takes the smallest size that held the previous slice's items, so a
steady stream fills one segment a slice, 1/4 to all of it.

A slice's segments are field '%' of its records hash: two bytes a live segment (bits, base),
then "T:S:P": the slice's items, the items before the last segment's lineage began, and the
next field to move ("" when none is moving). Segment keys are `<slice>:<bits>`.

These pieces expect the script's locals `bh` (band hashes, 8 bytes a band: the text's
`bands`, then the headline's, script_headline.py), `bands`,
`perfield`, `maxrecords`, `RECORD`, `P_LSH` and `current`.
"""

from __future__ import annotations

LSH = r"""
local function capacity(b) return math.floor(2 ^ b * perfield / bands) end

local function parse_meta(meta)  -- live segments {bits, base}, items, lineage start, next to move
  local segs = {}
  if not meta then return segs, 0, 0, nil end
  local i = 1
  while string.byte(meta, i) < 48 do
    segs[#segs + 1] = {string.byte(meta, i), string.byte(meta, i + 1)}
    i = i + 2
  end
  local t, s, p = string.match(string.sub(meta, i), '^(%d+):(%d+):(%d*)$')
  return segs, tonumber(t), tonumber(s), tonumber(p)
end

local function meta_of(segs, t, s, p)
  local out = {}
  for i, g in ipairs(segs) do out[i] = string.char(g[1], g[2]) end
  return table.concat(out) .. t .. ':' .. s .. ':' .. (p or '')
end

-- Band b's field in a segment of B bits (the first B bits of its hash).
local fields_of = {}
local function fields(B)
  if fields_of[B] then return fields_of[B] end
  local f, full, rest = {}, math.floor(B / 8), B % 8
  for b = 1, #bh / 8 do
    local at = 8 * (b - 1)
    f[b] = string.sub(bh, at + 1, at + full)
    if rest > 0 then f[b] = f[b] .. string.char(bit.band(string.byte(bh, at + full + 1), 256 - 2 ^ (8 - rest))) end
  end
  fields_of[B] = f
  return f
end

-- Band b's check bytes in a lineage of base a: bits a + 1 .. a + 16 of its hash.
local checks_of = {}
local function checks(a)
  if checks_of[a] then return checks_of[a] end
  local c, k, sh = {}, math.floor(a / 8), a % 8
  for b = 1, #bh / 8 do
    local at = 8 * (b - 1) + k
    local x = (string.byte(bh, at + 1) * 256 + string.byte(bh, at + 2)) * 256 + string.byte(bh, at + 3)
    local v = math.floor(x / 2 ^ (8 - sh)) % 65536
    c[b] = string.char(math.floor(v / 256), v % 256)
  end
  checks_of[a] = c
  return c
end

local function encode(n, B)  -- field number n of a B-bit segment, as its bytes
  local nb = math.ceil(B / 8)
  local v, out = n * 2 ^ (8 * nb - B), {}
  for i = nb, 1, -1 do out[i] = string.char(v % 256); v = math.floor(v / 256) end
  return table.concat(out)
end

-- Fields moved a check: enough to finish before the new segment is half full.
local function rate(b)
  return math.min(256, math.max(1, math.ceil(2 ^ (b + 1) / (capacity(b + 3) - capacity(b)))))
end

-- Move the old segment's fields p .. p + rate - 1 into the new one (3 more bits), older
-- records first in each new field; the next field to move, or nil once all have.
local function migrate(slice, old, new, p)
  local okey, nkey = P_LSH .. slice .. ':' .. old[1], P_LSH .. slice .. ':' .. new[1]
  local last = math.min(p + rate(old[1]), 2 ^ old[1]) - 1
  local names = {}
  for f = p, last do names[#names + 1] = encode(f, old[1]) end
  local vals, groups, targets = redis.call('HMGET', okey, unpack(names)), {}, {}
  local byte, sub, floor = string.byte, string.sub, math.floor
  for i = 1, #names do
    local v, base = vals[i], (p + i - 1) * 8
    for at = 1, v and #v or 0, RECORD do
      local g = base + floor(byte(v, at) / 32)
      local t = groups[g]
      if not t then t = {}; groups[g] = t; targets[#targets + 1] = g end
      t[#t + 1] = sub(v, at, at + RECORD - 1)
    end
  end
  if #targets > 0 then
    local tnames, flat = {}, {}
    for i, g in ipairs(targets) do tnames[i] = encode(g, new[1]) end
    local cur = redis.call('HMGET', nkey, unpack(tnames))
    for i, g in ipairs(targets) do
      local records = table.concat(groups[g]) .. (cur[i] or '')
      if #records > maxrecords * RECORD then records = string.sub(records, -maxrecords * RECORD) end
      flat[#flat + 1] = tnames[i]; flat[#flat + 1] = records
    end
    redis.call('HSET', nkey, unpack(flat))
  end
  if last + 1 >= 2 ^ old[1] then redis.call('DEL', okey); return nil end
  redis.call('HDEL', okey, unpack(names))
  return last + 1
end
"""
