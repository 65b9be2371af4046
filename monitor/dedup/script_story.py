"""Lua pieces of the near-duplicate scripts (script.py, script_across.py): a story's sources,
and the answer kept for a story across languages.

A story's list holds its first `keepsources` entries, first item first, and its source set
the names of its sources (whether a copy's source is new, and how many there are, past the
list's cap too); both are made when the story gets its second item (most stories have one:
its entry stays in its record) and kept `storyttl` seconds from its latest: the window and
seen.CLOCK_SKEW (SKEW below). Every near-dup key lives CLOCK_SKEW past the window it serves
(a slice's records, refs and LSH, index.py; topic lists; the lists across languages): a
worker whose clock is behind by up to that still finds their entries in its own window. A
list gone then restarted the story's source count; a record or topic list gone made a copy
a new story. Matching still uses the window as each worker's clock reads it (entries carry
their time), so the skew keeps keys, not stories, longer.
An item in another language that across.py links to a story is recorded there as a copy is.

These pieces expect the script's locals `P_STORY` and `P_SRCS` (key prefixes of the lists
and the sets), `keepsources` and `storyttl`; ANSWER (script.py's) `P_XLS` too.
"""

from __future__ import annotations

from monitor.seen import CLOCK_SKEW

SKEW = f"local CLOCK_SKEW = {int(CLOCK_SKEW)}  -- seconds two workers' clocks may differ by\n"

STORY = r"""
-- Record an item (its entry and source name) on a story, whose list starts now with its
-- first item's entry `first` if it has none. Returns whether the source is new to the
-- story, the story's distinct sources and the item's place on the list (the list's length
-- when it is full: the item is counted, not listed).
local function add_source(story, first, entry, source)
  local skey, names = P_STORY .. story, P_SRCS .. story
  if redis.call('EXISTS', skey) == 0 and first ~= '' then
    redis.call('RPUSH', skey, first)
    redis.call('SADD', names, cjson.decode(first).s)
  end
  local newsrc = redis.call('SADD', names, source)
  local nsrc = redis.call('SCARD', names)
  local pos = redis.call('LLEN', skey)
  if pos < keepsources then pos = redis.call('RPUSH', skey, entry) end
  redis.call('EXPIRE', skey, storyttl)
  redis.call('EXPIRE', names, storyttl)
  return newsrc, nsrc, pos
end

-- The answer kept for a story across languages (its xls: key, script_across.py): "story
-- \31 first item's entry", its own or another language's story it was linked to; a link
-- made since links record their item as a source adds "\31 new source (0/1) \31 sources
-- \31 the item's place on the list", what the link answered. (An entry is JSON: no \31.)
local function answer_of(answer)  -- story, first entry, then new source, sources, place (or nil)
  local s, first, newsrc, nsrc, pos = string.match(answer, '^([^\31]*)\31([^\31]*)\31(%d+)\31(%d+)\31(%d+)$')
  if s then return s, first, tonumber(newsrc), tonumber(nsrc), tonumber(pos) end
  return string.match(answer, '^([^\31]*)\31(.*)$')
end

-- What a link answered its item, {story, new source, sources, entries up to the item}, read
-- again so that a repeat check (a crash before the claim, another worker's check) gets
-- it and adds nothing. nil for an answer without it (a story's own, or kept before links
-- recorded sources) and for a story whose list has gone (the link is then answered as
-- before, bringing no source: never a second alert).
local function replay_link(answer)
  local s, _, newsrc, nsrc, pos = answer_of(answer)
  if not pos then return nil end
  local entries = redis.call('LRANGE', P_STORY .. s, 0, pos - 1)
  if #entries == 0 then return nil end
  return {s, newsrc, nsrc, entries}
end
"""

ANSWER = r"""
local function across(story)  -- its answer across languages, kept as long as it gets copies
  if not P_XLS or P_XLS == '' then return false end
  local answer = redis.call('GET', P_XLS .. story)
  if not answer then return false end
  redis.call('EXPIRE', P_XLS .. story, storyttl)
  return answer
end
"""
