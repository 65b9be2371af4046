"""Lua piece of the check-and-add script (script.py): the story of an item's headline
(dedup/headline.py), found through the LSH.

ARGV[34 + T] (T topic lists) is the headline's band hashes (8 bytes a band, HEADLINE_BANDS
of them; '' when the headline is too short to name a story). They are appended to the
text's bands (`bh`), so the LSH files and finds them as it does those, in the same slices
and segments, expiring with them: 5 bytes of LSH records an item a band, and no key of
their own. `bands` stays the text's count: a segment's capacity, and the hits that rank
candidates, are the text's.

A record found in every headline band (`same_headline`: 64 bits of the headline's hash
agree) is a candidate (the first `maxcand` found, as the text's bands' are bounded), verified
as any other; when its text is no copy of this item's, yet it is within the window and it
or this item is short (fewer shingles than containment needs, `minc`), it is this item's
copy by headline (`head_candidate`): a headline-only copy joins the outlet's item, and the
outlet's item a copy that came first. Of those, the newest. An item that found a copy by
its text joins that one; two long items of one headline and unlike texts stay apart.

Expects the script's locals `bh`, `bands`, `ntopics`, `n` and `minc`.
"""

from __future__ import annotations

HEADLINE = r"""
bh = bh .. (ARGV[34 + ntopics] or '')
local nhead = #bh / 8 - bands  -- the headline's bands (0: none)
local head_hits, head_order = {}, {}
local function head_hit(h)  -- slice:seq of a record found in a headline band
  if not head_hits[h] then head_hits[h] = 0; head_order[#head_order + 1] = h end
  head_hits[h] = head_hits[h] + 1
end
local function same_headline(h) return nhead > 0 and head_hits[h] == nhead end

local hbest, hentry, htime, hmeasures = nil, nil, -1, nil
local function head_candidate(f, entry, measures)  -- f: the record's fields (script_terms.py)
  local t = tonumber(f[2])
  if (n < minc or tonumber(f[1]) < minc) and t >= htime then  -- ties: the later indexed
    hbest, hentry, htime, hmeasures = f[3], entry, t, measures
  end
end
"""
