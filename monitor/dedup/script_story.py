"""Lua pieces of the check-and-add script (script.py): a story's sources.

A story's list holds its first `keepsources` entries, first item first, and its source set
the names of its sources (whether a copy's source is new, and how many there are, past the
list's cap too); both are made when the story gets its second item (most stories have one:
its entry stays in its record) and kept `storyttl` seconds from its latest.

These pieces expect the script's locals `P_STORY` and `P_SRCS` (key prefixes of the lists
and the sets), `keepsources` and `storyttl`.
"""

from __future__ import annotations

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
"""
