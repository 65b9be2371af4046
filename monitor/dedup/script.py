"""The Redis Lua script behind `NearDupIndex.check_and_add`: find, verify, record, index.

One script, so the whole step is atomic with respect to other workers: two copies of one
story checked at the same moment by two workers cannot both become new stories (the
second script runs after the first has indexed its item), and an item is never half
indexed (bands written but no record) if a worker dies mid-way.

ARGV      [1-5] key prefixes: records, refs, LSH, story, story sources (Keys); [6] item ref
          (6 bytes), [7] new story id, [8] signature (shingles.packed), [9] shingle count,
          [10] story entry (JSON), [11] source name, [12] now (s), [13] window (s),
          [14] expiry time of the current slice's keys (index.py), [15] band hashes
          (shingles.band_hashes, 8 bytes a band), [16] Jaccard threshold, [17] containment
          threshold, [18] min shingles for containment, [19] max candidates, [20] max records
          per LSH field, [21] term sketch (terms.TermSketch.encode), [22] cosine threshold,
          [23] names threshold, [24] min shared names, [25] topic candidates kept per topic,
          [26] sources kept per story, [27] current slice, [28] oldest slice of the window,
          [29] field bits of a new index's first segment, [30] records per field a segment is
          sized for, [31] the number T of topic lists, then the T topic lists, the key prefix
          of the answers across languages (Keys.across_story), the newest slice read (a
          worker whose clock is ahead may write there) and the headline's band hashes
          (headline.py; '' for a headline too short: script_headline.py).

Candidates: items sharing at least one LSH band (verified by both tests: shingles, then
rewording), items sharing its headline's bands (the same tests, then script_headline.py's),
and the newest items of the item's topics (rewording only: a rephrased copy shares too few
shingles for any band; terms.py says why its names and words tell it apart).

Layout, per time slice (Keys.neardup_*): a hash of item records (field: the 6-byte ref); a
string of the refs in the order indexed (6 bytes each: an item's sequence number is its place
there); and the LSH, in segments that grow with the slice and move a full one's records into
the next, so a lookup reads one segment a slice (script_lsh.py). Candidate keys are built
here from prefixes, so the script needs one Redis server, not a Cluster.

A story's list and source set are made when its first copy arrives (most stories have
one item: its entry stays in its record); the list keeps its first sources only (a copy
reads at most that many entries), the set says whether the copy's source is new and how
many there are (script_story.py).

Returns   {story id, is new (0/1), new source (0/1), story entries up to this item (at most
           the kept sources), Jaccard, containment, cosine, names, distinct sources, the
           answer across languages kept for the story or nil}; a repeated check returns what
          the first one returned. The answer (dedup/across.py: the story another language's
          item started that the story's first item was linked to, or its own) is read here,
          so a copy of a linked item, and a repeat check, cost no round trip more: a copy
          is recorded on the story its item was linked to, and a repeat check of a linked
          item returns what its link did (script_story.py's replay_link).
"""

from __future__ import annotations

from monitor.dedup.script_headline import HEADLINE
from monitor.dedup.script_lsh import LSH
from monitor.dedup.script_story import ANSWER, SKEW, STORY
from monitor.dedup.script_terms import RECORD_AND_REWORD

HEAD = r"""
local P_REC, P_REFS, P_LSH, P_STORY, P_SRCS = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ref, sig, n, ts = ARGV[6], ARGV[8], tonumber(ARGV[9]), ARGV[21]
local now, window = tonumber(ARGV[12]), tonumber(ARGV[13])
"""

LOCALS = r"""
local bh = ARGV[15]
local bands = #bh / 8
local jt, ct, minc = tonumber(ARGV[16]), tonumber(ARGV[17]), tonumber(ARGV[18])
local maxcand, maxrecords = tonumber(ARGV[19]), tonumber(ARGV[20])
local cost, namet, minnames = tonumber(ARGV[22]), tonumber(ARGV[23]), tonumber(ARGV[24])
local keeptopic, keepsources = tonumber(ARGV[25]), tonumber(ARGV[26])
local storyttl = window + CLOCK_SKEW  -- story lists, sources, answers, topics (script_story.py)
local current, oldest = tonumber(ARGV[27]), tonumber(ARGV[28])
local bits0, perfield, ntopics = tonumber(ARGV[29]), tonumber(ARGV[30]), tonumber(ARGV[31])
local RECORD, REF = 5, 6  -- bytes of an LSH record and of a ref
local P_XLS, newest = ARGV[32 + ntopics], tonumber(ARGV[33 + ntopics])  -- index.reach_ahead
"""

BODY = r"""
-- Each slice's records hash also holds, in field '%', its LSH segments (script_lsh.py).
-- Read with this item's record, so the repeat check and the segments cost one call a slice.
local metas, prev, prevslice, stale = {}, nil, nil, false
for s = newest, oldest, -1 do
  local found = redis.call('HMGET', P_REC .. s, ref, '%')
  if found[1] and not prev then prev, prevslice = found[1], s end
  metas[s] = found[2]
end
if prev then
  -- Idempotent: a crash after this script but before the item was marked seen replays it.
  local _, f, entry = record(prev, ref, prevslice)
  local pos = tonumber(f[6])
  local entries = pos > 1 and redis.call('LRANGE', P_STORY .. f[3], 0, pos - 1) or {entry}
  -- A record outlives its story's list by up to a slice: past the window, or with the list
  -- gone, there is no answer to repeat, and the item is checked afresh.
  if #entries > 0 and entries[1] ~= '' and now - tonumber(f[2]) <= window then
    local answer = across(f[3])
    -- An item that started its story here and was linked to another language's: the link's
    -- answer (script_across.py recorded the item on that story and kept what it returned).
    local link = tonumber(f[4]) == 1 and answer and replay_link(answer)
    if link then return {link[1], 0, link[2], link[4], f[7], f[8], f[9], f[10], link[3], answer} end
    return {f[3], tonumber(f[4]), tonumber(f[5]), entries, f[7], f[8], f[9], f[10], tonumber(f[11]), answer}
  end
  stale = true  -- its own old record is no candidate (it would match itself)
end

local function find_record(r)  -- an item's record and its slice, searching the window's
  for s = newest, oldest, -1 do
    local v = redis.call('HGET', P_REC .. s, r)
    if v then return v, s end
  end
end

-- Candidates: items sharing at least one band, most shared bands first.
local hits, order, at_slice, at_seq = {}, {}, {}, {}
local segs, T, S, P, last, before = {}, 0, 0, nil, {}, nil
if n > 0 then
  for s = newest, oldest, -1 do
    local sg, t, st, p = parse_meta(metas[s])
    if s == current then segs, T, S, P = sg, t, st, p elseif s == current - 1 and t > 0 then before = t end
    for g = 1, #sg do
      local found = redis.call('HMGET', P_LSH .. s .. ':' .. sg[g][1], unpack(fields(sg[g][1])))
      local check = checks(sg[g][2])
      if s == current and g == #sg then last = found end  -- appended to below
      for b = 1, #bh / 8 do  -- the text's bands, then the headline's
        local records = found[b]
        local at = records and string.find(records, check[b], 1, true)
        -- At most maxcand matches a field: 4,100 copies of one text (a feed minting new
        -- ids for one item) matched in every band, and each check took ~100 ms of Redis.
        local room = maxcand
        while at and room > 0 do
          if (at - 1) % RECORD == 0 then  -- a whole record, not bytes straddling two
            local seq = string.sub(records, at + 2, at + 4)
            local h = s .. ':' .. seq
            if not at_seq[h] then at_slice[h], at_seq[h] = s, seq end  -- h names both: once
            if b > bands then head_hit(h)
            elseif hits[h] then hits[h] = hits[h] + 1 else hits[h] = 1; order[#order + 1] = h end
            room = room - 1
          end
          at = string.find(records, check[b], at + 1, true)
        end
      end
    end
  end
end
table.sort(order, function(x, y) return hits[x] > hits[y] end)

-- Their records: the sequence number gives the ref, the ref the record.
local cands, seen = {}, {}
if stale then seen[ref] = true end
local function candidate(h)  -- {record, shingle tests, ref, slice, headline shared}
  local s, q = at_slice[h], at_seq[h]
  local at = REF * ((string.byte(q, 1) * 256 + string.byte(q, 2)) * 256 + string.byte(q, 3))
  local r = redis.call('GETRANGE', P_REFS .. s, at, at + REF - 1)
  if #r == REF and not seen[r] then
    seen[r] = true
    cands[#cands + 1] = {redis.call('HGET', P_REC .. s, r), true, r, s, same_headline(h)}
  end
end
for i = 1, math.min(#order, maxcand) do candidate(order[i]) end
for i = 1, math.min(#head_order, maxcand) do if same_headline(head_order[i]) then candidate(head_order[i]) end end
-- Then the newest items of the item's topics that share no band (rewording test only),
-- those whose names agree: a topic's list is one string of entries, newest first, each
-- its count of names, the item's ref, sketch flags and names, so the others cost no read
-- of their record (nor a Lua string of their own: one GET, not a LRANGE of 50). (An item
-- with fewer names than a rewording needs shares them with none.)
local lists, ENTRY = {}, REF + 2  -- an entry's bytes before its names
for t = 32, 31 + ntopics do
  local list = redis.call('GET', ARGV[t]) or ''
  lists[t] = list
  local at, kept = 1, 0
  while mnn >= minnames and at < #list and kept < keeptopic do
    local nn, fl = string.byte(list, at), string.byte(list, at + REF + 1)
    if names_may_agree(list, at + ENTRY, nn, fl, namet, minnames) then
      local names, shared = names_of(list, at + ENTRY, nn, fl)
      local r = string.sub(list, at + 1, at + REF)
      if names >= namet and shared >= minnames and not seen[r] then
        seen[r] = true
        local v, s = find_record(r)
        cands[#cands + 1] = {v, false, r, s}
      end
    end
    at, kept = at + ENTRY + 2 * nn, kept + 1
  end
end

-- Verify each candidate; keep the most similar that passes (a shingle match first).
local best, bentry, bj, bc, bcos, bnames, bscore = nil, nil, 0, 0, 0, 0, -1
for _, cand in ipairs(cands) do
  local value = cand[1]
  if value then
    local other, f, entry = record(value, cand[3], cand[4])
    if now - tonumber(f[2]) <= window then
      local j, c, pass = 0, 0, false
      if cand[2] then
        local nc = tonumber(f[1])
        local small = math.min(n, nc)
        j = jaccard(other)
        c = small > 0 and math.min(1, j * (n + nc) / ((1 + j) * small)) or 0
        pass = j >= jt or (c >= ct and small >= minc)
      end
      local cos, names, shared = reword(value, siglen, namet, minnames)
      local score = pass and 2 + math.max(j, c) or cos
      pass = pass or (cos >= cost and names >= namet and shared >= minnames)
      if pass and score > bscore then
        best, bentry, bj, bc, bcos, bnames, bscore = f[3], entry, j, c, cos, names, score
      elseif cand[5] then head_candidate(f, entry, {j, c, cos, names}) end  -- script_headline.py
    end
  end
end
"""

TAIL = r"""
if not best and hbest then best, bentry, bj, bc, bcos, bnames = hbest, hentry, unpack(hmeasures) end
-- Record the item on its story: a new one, or the earlier copy's (whose list and source
-- set start now if that copy was the story's only item). A copy of an item linked across
-- languages is recorded on the story that item joined, which its answer names: a source
-- of the story its readers were told of, as the item is (and a repeat check finds the
-- story in its record).
local story, isnew, newsrc, nsrc, pos = best, 0, 1, 1, 1
local answer = across(best or ARGV[7])
if not best then
  story, isnew = ARGV[7], 1
else
  local joined, first = false, nil
  if answer then joined, first = answer_of(answer) end
  if joined and joined ~= best then story, bentry, answer = joined, first, across(joined) end
  newsrc, nsrc, pos = add_source(story, bentry, ARGV[10], ARGV[11])
end

-- Index the item (copies too: a third copy may resemble the second more than the first).
local function measure(x) return x == 0 and '0' or string.format('%.4f', x) end
local measures = {measure(bj), measure(bc), measure(bcos), measure(bnames)}
local rec = {n, ARGV[12], isnew == 1 and '' or story, isnew, newsrc, pos, measures[1], measures[2], measures[3],
             measures[4], nsrc, isnew == 1 and ARGV[10] or ''}
local lives = tonumber(ARGV[14]) - math.floor(now)  -- seconds on Redis's clock, not a worker's
local value = sig .. ts .. table.concat(rec, '|')
local entry = string.char(mnn) .. ref .. string.char(mflags) .. string.sub(ts, 4 + 3 * mnt)
for t = 32, 31 + ntopics do  -- this item first, then the newest keeptopic - 1 of the list
  local list, at, kept = lists[t], 1, 1
  while at < #list and kept < keeptopic do at, kept = at + ENTRY + 2 * string.byte(list, at), kept + 1 end
  redis.call('SET', ARGV[t], entry .. string.sub(list, 1, at - 1), 'EX', storyttl)
end
-- (A slice holds at most 2**24 items in its LSH: a sequence number is 3 bytes.)
if n > 0 and T < 16777216 then
  -- The segment written to: the current slice's last, or a new one once that is full
  -- (the first of a slice sized for the previous slice's items).
  local fresh = #segs == 0
  if fresh then
    local B = bits0
    if before then  -- the smallest that held the previous slice's items (fills 1/4 to all)
      B = 8
      while capacity(B) < before and B < 30 do B = B + 2 end
    end
    segs, S = {{B, B}}, T
  elseif T - S >= capacity(segs[#segs][1]) and not P and segs[#segs][1] < 30 then
    local top = segs[#segs]
    fresh, last = true, {}
    if top[1] == top[2] and top[1] <= 27 then  -- a lineage's first: its records move on
      segs[#segs + 1], P = {top[1] + 3, top[2]}, 0
    else  -- a new lineage (segment keys are named by their bits, so bits only grow)
      local B = math.min(30, top[1] + 3)
      segs[#segs + 1], S = {B, B}, T
    end
  end
  local top = segs[#segs]
  local seq = redis.call('APPEND', P_REFS .. current, ref) / REF - 1
  local q = string.char(math.floor(seq / 65536) % 256, math.floor(seq / 256) % 256, seq % 256)
  local f, check, updates = fields(top[1]), checks(top[2]), {}
  for b = 1, #bh / 8 do
    local records = updates[f[b]]  -- two bands of this item may share a field
    if not records then
      records = last[b] or ''
      -- One field shared by very many items (boilerplate-only texts) keeps its newest records.
      if #records >= maxrecords * RECORD then records = string.sub(records, RECORD + 1) end
    end
    updates[f[b]] = records .. check[b] .. q
  end
  local flat = {}
  for k, v in pairs(updates) do flat[#flat + 1] = k; flat[#flat + 1] = v end
  local lsh = P_LSH .. current .. ':' .. top[1]
  redis.call('HSET', lsh, unpack(flat))
  if fresh then redis.call('EXPIRE', lsh, lives) end
  if seq == 0 then redis.call('EXPIRE', P_REFS .. current, lives) end
  if P then  -- after this item's write, which read its fields before they moved
    P = migrate(current, segs[#segs - 1], top, P)
    if not P then table.remove(segs, #segs - 1) end
  end
  redis.call('HSET', P_REC .. current, ref, value, '%', meta_of(segs, T + 1, S, P))
else
  redis.call('HSET', P_REC .. current, ref, value)
end
-- A slice's keys all expire at its end + window + CLOCK_SKEW: set once, by its first item.
if not metas[current] then redis.call('EXPIRE', P_REC .. current, lives) end
-- This script leaves garbage (bucket strings); a small collection step per call keeps
-- Redis's own, every 50 scripts, from pausing for milliseconds (p99 0.97 -> 0.64 ms).
if collectgarbage then collectgarbage('step', 0) end
local entries = isnew == 1 and {ARGV[10]} or redis.call('LRANGE', P_STORY .. story, 0, pos - 1)
return {story, isnew, newsrc, entries, measures[1], measures[2], measures[3], measures[4], nsrc, answer}
"""

CHECK_AND_ADD = SKEW + HEAD + RECORD_AND_REWORD + LOCALS + LSH + HEADLINE + STORY + ANSWER + BODY + TAIL
