"""The Redis Lua script behind `AcrossLanguages.link_many` (across.py): link a new story to
the one another language's item started, recording the item as a source of that story, or
record the new story for the items to come.

KEYS: the answer kept for the item's story in the index (Keys.across_story), then one per
      topic the item alerts on (Keys.across)
ARGV: [1] the index's window (the answer and the story's list live that and CLOCK_SKEW),
      [2] language, [3] concepts (sorted, comma-joined), [4] story id, [5] now, [6] window
      (ACROSS_WINDOW: the topic keys live that and CLOCK_SKEW, script_story.py says why),
      [7] entries kept, [8] min shared concepts, [9] the item's source entry, [10-11] key prefixes of the index's story
      lists and source sets (Keys.neardup_story, neardup_story_sources), [12] sources kept
      per story, [13] the item's source name
Returns {story id, source entry of its first item, new source (0/1), distinct sources,
        the story's entries up to this item} of the story another language's item started,
        or false: a new story, recorded. (An answer kept before links recorded sources
        returns the first two alone.)

The answer is kept by the index's story, and the index's script reads it (StoryMatch
.across): the index finds a linked item's copies in its story, which never alerted; they
are the first story's too (else a follow-up for a story nobody was told of, and two
stories for the surge), and are recorded there. A linked item is a source of the story it
joins, recorded in the same script as the link: it counts towards `follow_up_sources` and
is listed by `monitor stories` like a copy in the story's language; recorded in a second
step, a crash between the two would lose it or, the step repeated, count it twice.

A repeat check (a crash between this and the claim checks the item again at the next poll)
gives the first answer, whatever it would find now: the entry it was linked to may be past
the window or trimmed, its topics or figures may differ (a reload, its page read this
time), and a match would leave its recorded entry a story nobody was told of. So the answer
holds what the link returned (new source, sources, the item's place on the list), and the
index's script, which reads it first, returns that again without recording anything
(script_story.py's replay_link): the same follow-up decided, never a second one (the claim
marks the item seen with its alerts). Read here too: another worker's check of the item may
have kept it since the index's. Its own entry under any topic key is the same answer
(entries kept before answers were).
"""

from __future__ import annotations

from monitor.dedup.script_story import SKEW, STORY

HEAD = r"""
local storyttl = tonumber(ARGV[1]) + CLOCK_SKEW  -- the index's: a story's list, sources, answer
local P_STORY, P_SRCS, keepsources = ARGV[10], ARGV[11], tonumber(ARGV[12])
"""

BODY = r"""
local function reply(answer)  -- what a link answers, from its kept answer
  local s, first = answer_of(answer)
  local link = replay_link(answer)
  if link then return {s, first, link[2], link[3], link[4]} end
  return {s, first}
end

local kept = redis.call('GET', KEYS[1])  -- kept since the index's check (another worker's)
if kept then return reply(kept) end
local lang, concepts, story, now, window = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local mine = {}
for c in string.gmatch(concepts, '[^,]+') do mine[c] = true end
local found
for k = 2, #KEYS do
  for _, e in ipairs(redis.call('LRANGE', KEYS[k], 0, -1)) do
    local l, cs, s, t, src = string.match(e, '^([^\31]*)\31([^\31]*)\31([^\31]*)\31([^\31]*)\31(.*)$')
    if s == story then return false end  -- under any of its topics: a repeat check, not a match
    if not found and l and l ~= lang and now - tonumber(t) <= window then
      local shared = 0
      for c in string.gmatch(cs, '[^,]+') do if mine[c] then shared = shared + 1 end end
      if shared >= tonumber(ARGV[8]) then found = {s, src} end
    end
  end
end
if found then
  local newsrc, nsrc, pos = add_source(found[1], found[2], ARGV[9], ARGV[13])
  local answer = table.concat({found[1], found[2], newsrc, nsrc, pos}, '\31')
  redis.call('SET', KEYS[1], answer, 'EX', storyttl)
  return reply(answer)
end
local entry = table.concat({lang, concepts, story, ARGV[5], ARGV[9]}, '\31')
for k = 2, #KEYS do
  redis.call('RPUSH', KEYS[k], entry)
  redis.call('LTRIM', KEYS[k], -tonumber(ARGV[7]), -1)
  redis.call('EXPIRE', KEYS[k], window + CLOCK_SKEW)  -- a lagging worker reads it so long
end
redis.call('SET', KEYS[1], story .. '\31' .. ARGV[9], 'EX', storyttl)
return false
"""

ACROSS_LUA = SKEW + HEAD + STORY + BODY
