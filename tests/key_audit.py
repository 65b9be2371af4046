"""Every key a run left in Redis, checked against the bound monitor/keys.py gives its family.

A key the monitor writes must belong to a family of `key_families.FAMILIES`, be of that family's
Redis type, and be bounded the way the family says: a TTL no longer than the longest the
settings allow (a key left without one, by a crash between writing a key and setting its
TTL, would outlive every window and grow over months), a name among the settings' feeds or
channels, or a single key of a capped size. Used by the kill harness after its last run and
by tests/test_key_audit.py.
"""

from __future__ import annotations

from collections import Counter

import redis

from monitor import defaults, limits, seen
from monitor.key_families import CHANNELS, EXPIRES, FEEDS
from monitor.keys import Keys
from monitor.settings import Settings

LEASE_MOST = 60  # a poll's lease and a health probe's key (keys.py)
RECENT_SLACK = 100  # MAXLEN ~ trims whole nodes: a stream may hold a node's worth more


def longest_ttl(settings: Settings) -> int:
    """The longest TTL any key may have: the seen window past the end of its day, the dedup
    window past its slice and the across-languages window (each + CLOCK_SKEW, which a worker
    whose clock is behind still reads), a topic's surge baseline."""
    baselines = [t.surge_baseline for t in settings.topics.values()] or [defaults.SURGE_BASELINE]
    windows = max(settings.dedup.seen_ttl + defaults.DAY, 2 * settings.dedup.window, limits.ACROSS_WINDOW)
    return int(max(windows + seen.CLOCK_SKEW, *baselines)) + 1


def audit(client: redis.Redis, settings: Settings) -> tuple[list[str], Counter[str]]:
    """What is wrong with the keys under the settings' prefix, one line each (none: all
    bounded), and how many keys of each family were checked."""
    keys = Keys(settings.monitor.key_prefix)
    feeds = {f.name for f in settings.feeds}
    channels = set(settings.channels)
    most_ttl = longest_ttl(settings)
    problems: list[str] = []
    checked = Counter[str]()
    for raw in client.scan_iter(match=keys.named(""), count=1000):
        name = raw.decode() if isinstance(raw, bytes) else str(raw)
        family = keys.family_of(name)
        if family is None:
            problems.append(f"{name}: in no family of keys.py")
            continue
        checked[family.pattern] += 1
        kind = client.type(raw)
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        if kind == "none":  # expired between SCAN and TYPE
            continue
        if family.kind and kind != family.kind:
            problems.append(f"{name}: a {kind}, its family {family.pattern} is a {family.kind}")
            continue
        ttl = int(client.ttl(raw))
        suffix = name[len(keys.prefix) + len(family.pattern) - 1:]
        if family.bound == EXPIRES:
            most = LEASE_MOST if family.pattern in ("lease:*", "health:*") else most_ttl
            if ttl == -1 or ttl > most:
                problems.append(f"{name}: TTL {ttl} s, its family's is at most {most} s")
        elif family.bound == FEEDS and suffix not in feeds:
            problems.append(f"{name}: no feed {suffix!r} in the settings")
        elif family.bound == CHANNELS and suffix not in channels:
            problems.append(f"{name}: no channel {suffix!r} in the settings")
        problems += _size(client, keys, name, settings, len(feeds))  # ONE: its size is its bound
    return problems, checked


def _size(client: redis.Redis, keys: Keys, name: str, settings: Settings, feeds: int) -> list[str]:
    """The caps keys.py gives the keys of a capped size."""
    caps = {keys.dead: ("llen", settings.alerts.dead_max), keys.labels: ("hlen", settings.alerts.labels_max),
            keys.labels_order: ("zcard", settings.alerts.labels_max),
            keys.recent: ("xlen", defaults.RECENT_MAX + RECENT_SLACK), keys.schedule: ("zcard", feeds)}
    if name in caps:
        how, most = caps[name]
    elif name.startswith(keys.neardup_story("")):
        how, most = "llen", defaults.STORY_SOURCES_MAX
    elif name.startswith(keys.neardup_story_sources("")):
        how, most = "scard", feeds
    elif name.startswith(keys.across("", "")[:-1]):
        how, most = "llen", limits.ACROSS_ENTRIES
    elif name.startswith(keys.feed("")):  # its listing of items (seen.listing)
        field = (client.hget(name, "listed") or b"").decode()
        titled = field.startswith(seen.TITLED)
        size = (len(field) - titled) // (seen.LISTED + seen.TITLE * titled)
        return [f"{name}: lists {size} items, at most {limits.FEED_ITEMS_MAX}"] if size > limits.FEED_ITEMS_MAX else []
    else:
        return []
    size = int(getattr(client, how)(name))
    return [f"{name}: {size} entries, at most {most}"] if size > most else []
