"""Lua pieces of the check-and-add script (script.py): reading an item's record and the
rewording test on term sketches (terms.py), which the script's other parts call.

They expect `sig` (this item's packed signature) and `ts` (its term sketch) as locals of
the script, and define `record`, `names_of`, `names_may_agree` and `reword` (see each function's comment).
"""

from __future__ import annotations

RECORD_AND_REWORD = r"""
local siglen = #sig

local function sketch_len(value, at)  -- bytes of the term sketch that starts after `at`
  local nt, nn = string.byte(value, at + 1, at + 2)
  return 3 + 3 * nt + 2 * nn
end

-- An item's record: signature, term sketch, FIELDS '|'-ended fields, then the story entry
-- of its first item (empty for a copy, whose entry is on the story's list). Field 3, the
-- story id, is empty when the item started its story: that id is the item's ref in hex
-- and the slice of its record (records.py's story_id_of), 17 bytes not stored per item.
local FIELDS = 11
local function own_story(r, s)
  return (string.gsub(r, '.', function(c) return string.format('%02x', string.byte(c)) end))
         .. '-' .. string.format('%x', s)
end
local function record(value, r, s)  -- the record of ref r in slice s
  local at, f = siglen + sketch_len(value, siglen), {}
  for i = 1, FIELDS do
    local bar = string.find(value, '|', at + 1, true)
    f[i], at = string.sub(value, at + 1, bar - 1), bar
  end
  if f[3] == '' then f[3] = own_story(r, s) end
  return string.sub(value, 1, siglen), f, string.sub(value, at + 1)
end

-- This item's term sketch (terms.py): content words hash -> weight, names, flags. The
-- words are read only if a candidate's names agree (most checks have no candidate).
local function u16(s, at) local lo, hi = string.byte(s, at, at + 1); return lo + 256 * hi end
local mnt, mnn, mflags = string.byte(ts, 1, 3)
local mterms, mhashes, mnames = nil, {}, {}
local function my_terms()
  mterms = {}
  for i = 1, mnt do
    local h = u16(ts, 4 + 3 * (i - 1))
    mhashes[i], mterms[h] = h, string.byte(ts, 6 + 3 * (i - 1))
  end
end
for i = 1, mnn do mnames[i] = u16(ts, 4 + 3 * mnt + 2 * (i - 1)) end

local function cutoff(myfull, mylast, theirfull, theirlast)
  return math.min(myfull and mylast or 65536, theirfull and theirlast or 65536)
end

local myset = {}
for i = 1, mnn do myset[mnames[i]] = true end

-- How many names of each side are under the cut-off both sketches sampled alike: ours
-- (of mnames) and theirs (of `nn` names (u16) from byte `first` of `s`, `fl` the flags of
-- their sketch). Both lists are ascending, so each count is a prefix.
local function names_under_cut(s, first, nn, fl)
  local cut = cutoff(bit.band(mflags, 2) > 0, mnames[mnn] or 0, bit.band(fl, 2) > 0,
                     nn > 0 and u16(s, first + 2 * nn - 2) or 0)
  local na, nb = mnn, nn
  if cut < 65536 then
    while nb > 0 and u16(s, first + 2 * nb - 2) > cut do nb = nb - 1 end
    while na > 0 and mnames[na] > cut do na = na - 1 end
  end
  return na, nb
end

-- Names share and names shared against their names (arguments as names_under_cut).
local function names_of(s, first, nn, fl)
  local na, nb = names_under_cut(s, first, nn, fl)
  local shared, byte = 0, string.byte
  for p = first, first + 2 * nb - 2, 2 do
    local lo, hi = byte(s, p, p + 1)
    if myset[lo + 256 * hi] then shared = shared + 1 end
  end
  return (na > 0 and nb > 0) and shared / math.min(na, nb) or 0, shared
end

-- Whether names_of's test can pass (names >= namet, shared >= minnames) for the same
-- arguments: a topic's list is walked at every check and nearly all of its entries share
-- few names with this item, so the walk stops once more of theirs are missing from ours
-- than a pass allows. Never false where names_of would pass.
local function names_may_agree(s, first, nn, fl, namet, minnames)
  local na, nb = names_under_cut(s, first, nn, fl)
  if na == 0 or nb == 0 then return false end
  local misses, byte = nb - math.max(minnames, math.ceil(namet * math.min(na, nb) - 1e-9)), string.byte
  if misses < 0 then return false end
  for p = first, first + 2 * nb - 2, 2 do
    local lo, hi = byte(s, p, p + 1)
    if not myset[lo + 256 * hi] then
      misses = misses - 1
      if misses < 0 then return false end
    end
  end
  return true
end

-- Rewording measures against a record whose term sketch starts after byte `at`:
-- cosine (0 when the names disagree: not computed), names share, names shared.
local function reword(value, at, namet, minnames)
  local nt, nn, fl = string.byte(value, at + 1, at + 3)
  local names, shared = names_of(value, at + 4 + 3 * nt, nn, fl)
  if names < namet or shared < minnames then return 0, names, shared end
  if not mterms then my_terms() end
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

-- Estimated Jaccard against a packed signature (shingles.packed_estimate): two values a
-- byte, 4 bits each, corrected for chance agreement (1 in 16).
local mine, mylo, myhi = nil, {}, {}
local function jaccard(other)
  if not mine then
    mine = {string.byte(sig, 1, siglen)}
    for i = 1, siglen do mylo[i] = mine[i] % 16; myhi[i] = (mine[i] - mylo[i]) / 16 end
  end
  local theirs, eq = {string.byte(other, 1, siglen)}, 0
  for i = 1, siglen do
    local y = theirs[i]
    if y == mine[i] then eq = eq + 2 else
      local lo = y % 16
      if lo == mylo[i] then eq = eq + 1 end
      if (y - lo) / 16 == myhi[i] then eq = eq + 1 end
    end
  end
  return math.max(0, (eq / (2 * siglen) - 0.0625) / 0.9375)
end
"""
