"""The seen-set: which item ids were processed, in ~10-16 bytes of Redis per item.

A key per item (`seen:<id>`, TTL) cost ~165 B of `used_memory` each: the key, its
object, the expiry entry. Here an item is 8 bytes appended to a string, one string per
day and shard (keys.py `seen_bucket`): the first byte of sha1(id) picks one of 256
shards, the next 8 bytes are the record. A lookup reads the item's shard of every day of
the window and searches it for the record at an 8-byte boundary (Lua's plain find, in
Redis), so it is exact up to a 64-bit collision (about 1 in 10^13 per lookup at 3 million
items in the window), is shared by every worker and survives restarts like any key.

An item a feed keeps listing for longer than that is not new again: the feed's state holds
the digests of its items at the last poll that read it (`listing`), and the poll takes an
item listed there as seen whatever the seen-set says (pipeline.py). Beside each, the digest
of its headline: an item listed with another headline is revised (pipeline.py).

Days are fixed (UTC, 86,400 s), whatever `seen_ttl` is, so changing the setting never
loses a day: an item is remembered for `seen_ttl` at least and one day (and CLOCK_SKEW) more
at most (its day's string expires when the last of its items is due). A lookup reads
tomorrow's string too (`days`), and up to the latest day any claim wrote (keys.py
`seen_latest`, `last_day` below): a clock days ahead, since set back, claimed its items
there. The claim checks again, atomically with marking, but only the days since its lookup
(`claim_days`): 2-3 strings, not 32. Ids claimed before this layout (`seen:<id>` keys) are
still honoured until they expire.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from monitor.defaults import DAY
from monitor.normalise import words

SHARDS = 256  # one per first byte of sha1(id): strings stay short (a lookup scans one)
RECORD = 8  # bytes of an item's record


def record(item_id: str) -> tuple[str, bytes]:
    """(shard as two hex digits, the 8-byte record) of an item id."""
    digest = hashlib.sha1(item_id.encode("utf-8")).digest()
    return f"{digest[0]:02x}", digest[1:1 + RECORD]


LISTED = 16  # hex digits of an item's digest in its feed's listing (64 bits)
TITLE = 8  # hex digits of its headline's digest beside it (32 bits: told from the one before)
TITLED = "t"  # a listing that opens so holds both, LISTED + TITLE digits an item; else LISTED


def listed(item_id: str) -> str:
    """An item's digest in its feed's listing of the last poll that read it (FeedState.listed):
    64 bits, so a new item taken for one listed among a feed's thousand is about 1 in 10^16."""
    return hashlib.sha1(item_id.encode("utf-8")).hexdigest()[:LISTED]


def headline(title: str) -> str:
    """A headline's digest: its words as normalised, numbers left out, so case, accents and
    punctuation that an outlet retypes, a live page's counter ("Live: 14 new posts") or the
    time in its title do not make an item revised at every poll (pipeline.py)."""
    kept = " ".join(word for word in words(title) if not word.isdigit())
    return hashlib.sha1(kept.encode("utf-8")).hexdigest()[:TITLE]


def listing(entries: Sequence[tuple[str, str]]) -> str:
    """A feed's listing as its state holds it: its items' digests (`listed`) and their
    headlines' (`headline`), sorted, end to end; "" when it lists nothing."""
    return TITLED + "".join(sorted({digest + title for digest, title in entries})) if entries else ""


def parse_listing(field: str) -> dict[str, str | None]:
    """A stored listing: item digest -> its headline's digest (None in a listing saved before
    headlines were kept). A malformed tail is left out."""
    if field.startswith(TITLED):
        body, width = field[len(TITLED):], LISTED + TITLE
        return {body[at:at + LISTED]: body[at + LISTED:at + width] for at in range(0, len(body) - width + 1, width)}
    return dict.fromkeys(field[at:at + LISTED] for at in range(0, len(field) - LISTED + 1, LISTED))


CLOCK_SKEW = 600.0  # seconds the clocks of two workers may differ by, at most (NTP: < 1 s)
# Seconds ahead a clock may run (a wrong time zone, a VM's clock; then stepped back by NTP or
# by hand) whose claims are always read: tomorrow's seen strings. The seen-set reads further,
# to the latest day a claim wrote (`last_day`), within its window.
CLOCK_AHEAD = DAY


def latest_stamp(now: float, wait: float = 0.0) -> float:
    """The latest time any worker's clock can have stamped, at `now`, on something it set
    `wait` seconds ahead (a backoff, a pause): a stamp later than that was made by a clock
    since set back (an NTP step, a VM resumed), and is not to be waited for."""
    return now + wait + CLOCK_SKEW


def days(now: float, ttl: float) -> tuple[int, int]:
    """The first and last day numbers whose strings a lookup at `now` reads: the last is
    tomorrow's, where a worker whose clock is ahead (by up to CLOCK_AHEAD) writes (the
    scripts read on to the latest day a claim wrote, `last_day`). Before,
    tomorrow's was read only in a day's last CLOCK_SKEW: items claimed by a clock 3 h ahead
    past midnight were new again once it was set back, and alerted twice."""
    return int((now - ttl) // DAY), int((now + CLOCK_AHEAD) // DAY)


def today(now: float) -> int:
    """The day whose string an item claimed at `now` goes to."""
    return int(now // DAY)


def claim_days(now: float, ttl: float, checked_at: float | None) -> tuple[int, int]:
    """The days a claim's own seen check reads. Items found unseen at `checked_at` can have
    been claimed since only by another worker, whose record then went to the string of a
    day from then on (by its clock): those days are read, usually one, not the window's 31.
    None (when they were checked is not known): the whole window."""
    first, last = days(now, ttl)
    if checked_at is None:
        return first, last
    return max(first, min(last, int((checked_at - CLOCK_SKEW) // DAY))), last


def farthest(now: float, ttl: float) -> int:
    """The last day a lookup at `now` reads, whatever day a claim wrote: `ttl` on (tomorrow at
    least). A claim further ahead, by a clock more than the window ahead, is not found once
    that clock is set back: reading it would cost a GET an item a day of the step."""
    return today(now) + max(1, math.ceil(ttl / DAY))


def latest_kept(ttl: float) -> int:
    """Seconds the latest day written (keys.py `seen_latest`) is kept from when a claim raised
    it: that day's claims, made within a day of it, stay found for `ttl` and CLOCK_SKEW more."""
    return int(ttl + DAY + CLOCK_SKEW) + 1


def expires_at(day: int, ttl: float) -> int:
    """When a day's string may go: its last item, claimed at the day's end, is then `ttl` old,
    and CLOCK_SKEW more, as a worker whose clock is behind still reads it (and one behind
    wrote its day's items up to CLOCK_SKEW past the day's end)."""
    return int((day + 1) * DAY + ttl + CLOCK_SKEW) + 1


# Shared by the lookup and the claim scripts: is this item in the seen-set? Keys are made
# here from the prefix (a standalone Redis: every key of a monitor lives on one server),
# since a lookup's keys depend on the window, not only on the items.
#   seen(prefix, legacy_key, shard, record, first_day, last_day) -> true when seen
# And the last day to read (`last_day`): tomorrow, or the latest day a claim wrote (a clock
# ahead since set back wrote there; the days between cost a missing key's GET an item), at
# most `farthest`. Read in the script, so a claim sees what another wrote up to that moment.
#   last_day(latest_key, tomorrow, farthest) -> day, and the latest day written (0: none)
SEEN_FUNCTION = """
local function last_day(latest_key, tomorrow, farthest)
  local latest = tonumber(redis.call('GET', latest_key)) or 0
  return math.min(math.max(tomorrow, latest), farthest), latest
end
local function seen(prefix, legacy, shard, rec, first, last)
  if redis.call('EXISTS', legacy) == 1 then return true end
  for day = last, first, -1 do
    local s = redis.call('GET', prefix .. day .. ':' .. shard)
    if s then
      local at = 1
      while true do
        local i = string.find(s, rec, at, true)
        if not i then break end
        if (i - 1) % 8 == 0 then return true end
        at = i + 1
      end
    end
  end
  return false
end
"""

# For each item (legacy key, shard, record triples after the window): 1 when seen.
#   KEYS: the latest day written   ARGV: bucket prefix, first day, tomorrow, farthest day,
#   then per item: legacy key, shard, record
UNSEEN_LUA = SEEN_FUNCTION + """
local out, first = {}, tonumber(ARGV[2])
local last = last_day(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]))
for a = 5, #ARGV, 3 do
  out[#out + 1] = seen(ARGV[1], ARGV[a], ARGV[a + 1], ARGV[a + 2], first, last) and 1 or 0
end
return out
"""


def lookup_args(prefix: str, legacy: Sequence[str], item_ids: Sequence[str], now: float,
                ttl: float) -> list[str | bytes | int]:
    """ARGV of UNSEEN_LUA for these items (their legacy keys in the same order)."""
    first, last = days(now, ttl)
    args: list[str | bytes | int] = [prefix, first, last, farthest(now, ttl)]
    for key, item_id in zip(legacy, item_ids, strict=True):
        args += [key, *record(item_id)]
    return args
