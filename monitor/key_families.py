"""The families of keys.py's keys: the pattern of each (after the prefix), its Redis type
and the kind of bound its docstring there gives, for checking what is in Redis against
those bounds (Keys.family_of; tests/key_audit.py, the bench's memory shares). A key method
of keys.py without its family here fails tests/test_key_audit.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Family:
    """A family of keys as the methods of keys.py's Keys build them."""

    pattern: str  # after the prefix; "*" stands for the name, id or time slice
    kind: str  # its Redis type ("": any, for the older layouts' keys)
    bound: str  # EXPIRES: every key has a TTL; FEEDS / CHANNELS: one per feed / channel of
    # the settings (pruned when it leaves them); ONE: a single key, its size bounded as its
    # method's docstring says


EXPIRES, FEEDS, CHANNELS, ONE = "expires", "feeds", "channels", "one"

# Every family of keys.py, and the older layouts' keys that are no longer written and expire
# within one `[dedup] window` (an upgraded Redis still holds them for that long). The first
# match wins: a family whose pattern another's also matches comes first.
FAMILIES: tuple[Family, ...] = (
    Family("sb:*", "string", EXPIRES), Family("sblatest", "string", EXPIRES),
    Family("seen:*", "string", EXPIRES),
    Family("article:*", "string", EXPIRES), Family("articles", "hash", ONE),
    Family("feed:*", "hash", FEEDS), Family("due", "zset", ONE),
    Family("health:*", "string", EXPIRES), Family("lease:*", "string", EXPIRES),
    Family("outbox", "stream", ONE), Family("retry", "zset", ONE), Family("dead", "list", ONE),
    Family("channel:*", "hash", CHANNELS), Family("digest:*", "list", CHANNELS),
    Family("sent:*", "zset", CHANNELS), Family("labels", "hash", ONE),
    Family("labels:order", "zset", ONE), Family("recent", "stream", ONE),
    Family("alert:*", "string", EXPIRES),
    Family("nd:rec2:*", "hash", EXPIRES), Family("nd:refs2:*", "string", EXPIRES),
    Family("nd:lsh3:*", "hash", EXPIRES), Family("nd:topic3:*", "string", EXPIRES),
    Family("nd:story:*", "list", EXPIRES), Family("nd:srcs:*", "set", EXPIRES),
    Family("xl:*", "list", EXPIRES), Family("xls:*", "string", EXPIRES),
    Family("surge:n:*", "hash", EXPIRES), Family("surge:state:*", "hash", EXPIRES),
    Family("surge:b:*", "hash", EXPIRES), Family("surge:s:*", "string", EXPIRES),
    # older layouts, read no more (of any type: "")
    *(Family(f"nd:{old}:*", "", EXPIRES) for old in ("item", "rec", "lsh", "lsh2", "topic", "topic2")),
)
