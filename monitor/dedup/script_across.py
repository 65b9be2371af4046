"""The Redis Lua script behind `AcrossLanguages.link_many` (across.py): link a new story to
the one another language's item started, or record it for the items to come.
"""

from __future__ import annotations

# Link an item to the story another language's item started, or record its own.
#   KEYS: the answer kept for the item's story in the index (keys.across_story), then one
#         per topic the item alerts on (keys.across)
#   ARGV: the answer's TTL, language, concepts (sorted, comma-joined), story id, now,
#         window, entries kept, min shared concepts, the item's source entry
#   Returns {story id, source entry} of the earlier item, or false: a new story, recorded.
# The answer is kept by the index's story, and the index's script reads it (StoryMatch
# .across): the index puts a linked item's copies in that story, which never alerted, and
# they join the first story (else a follow-up for a story nobody was told of, and two
# stories for the surge). And a repeat check (a crash between this and the claim checks
# the item again at the next poll) gives the first answer, whatever it would find now: the
# entry it was linked to may be past the window or trimmed, its topics or figures may
# differ (a reload, its page read this time), and a match would leave its recorded entry
# a story nobody was told of. Read here too: another worker's check of the item may have
# kept it since the index's. Its own entry under any topic key is the same answer
# (entries kept before answers were).
ACROSS_LUA = """
local ttl = ARGV[1]
local answer = redis.call('GET', KEYS[1])  -- kept since the index's check (another worker's)
if answer then
  local s, src = string.match(answer, '^([^\\31]*)\\31(.*)$')
  return {s, src}
end
local lang, concepts, story, now, window = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local mine = {}
for c in string.gmatch(concepts, '[^,]+') do mine[c] = true end
local found
for k = 2, #KEYS do
  for _, e in ipairs(redis.call('LRANGE', KEYS[k], 0, -1)) do
    local l, cs, s, t, src = string.match(e, '^([^\\31]*)\\31([^\\31]*)\\31([^\\31]*)\\31([^\\31]*)\\31(.*)$')
    if s == story then return false end  -- under any of its topics: a repeat check, not a match
    if not found and l and l ~= lang and now - tonumber(t) <= window then
      local shared = 0
      for c in string.gmatch(cs, '[^,]+') do if mine[c] then shared = shared + 1 end end
      if shared >= tonumber(ARGV[8]) then found = {s, src} end
    end
  end
end
if found then
  redis.call('SET', KEYS[1], found[1] .. '\\31' .. found[2], 'EX', ttl)
  return found
end
local entry = table.concat({lang, concepts, story, ARGV[5], ARGV[9]}, '\\31')
for k = 2, #KEYS do
  redis.call('RPUSH', KEYS[k], entry)
  redis.call('LTRIM', KEYS[k], -tonumber(ARGV[7]), -1)
  redis.call('EXPIRE', KEYS[k], window)
end
redis.call('SET', KEYS[1], story .. '\\31' .. ARGV[9], 'EX', ttl)
return false
"""
