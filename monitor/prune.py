"""State of feeds and channels that left the settings, removed at start and on reload.

Each feed has a hash (and a place in the shared schedule) and each channel a hash, a sends
set and maybe a digest list, all named after it (keys.py). A feed or channel removed from
settings.toml would otherwise keep them forever. A removed channel's folded alerts are
never sent (no channel to send them to): they are counted and named in the report, which
the service logs and tells the ops channel, then deleted. A feed that is only disabled
(`enabled = false`) is still in the settings and keeps its state.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import cast

import redis

from monitor import codec
from monitor.keys import Keys
from monitor.store import redis_errors

FEED_FAMILIES = ("feed:",)
CHANNEL_FAMILIES = ("channel:", "sent:", "digest:")
NAMED_SHOWN = 10  # folded alerts of a removed channel named in the report (all are counted)


@dataclass(frozen=True)
class Pruned:
    feeds: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    folded: dict[str, int] = field(default_factory=dict)  # removed channel -> alerts dropped
    titles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the first few of them

    def __bool__(self) -> bool:
        return bool(self.feeds or self.channels)

    def report(self) -> str:
        """One paragraph for the log and the ops channel."""
        parts = []
        if self.feeds:
            parts.append(f"state of {len(self.feeds)} removed feed(s) deleted: {', '.join(self.feeds)}")
        if self.channels:
            parts.append(f"state of {len(self.channels)} removed channel(s) deleted: {', '.join(self.channels)}")
        for channel, count in self.folded.items():
            shown = "; ".join(self.titles.get(channel, ()))
            parts.append(f"{count} alert(s) folded for removed channel '{channel}' were never sent"
                         + (f" (first: {shown})" if shown else ""))
        return ". ".join(parts)


def prune(client: redis.Redis, keys: Keys, feeds: Collection[str], channels: Collection[str]) -> Pruned:
    """Delete the keys of feeds and channels not in `feeds` / `channels`; what went."""
    with redis_errors("removing the state of feeds and channels no longer in the settings"):
        gone_feeds = _absent(client, keys, FEED_FAMILIES, set(feeds))
        members = cast(list[bytes], client.zrange(keys.schedule, 0, -1))  # one per feed: bounded
        scheduled = {codec.text(name) for name in members}
        unscheduled = sorted(scheduled - set(feeds))
        gone_channels = _absent(client, keys, CHANNEL_FAMILIES, set(channels))
        folded, titles = {}, {}
        for channel in sorted(gone_channels):
            digest = keys.digest(channel)
            count = int(client.llen(digest))
            if count:
                folded[channel] = count
                titles[channel] = tuple(_title(raw) for raw in client.lrange(digest, 0, NAMED_SHOWN - 1))
        doomed = [keys.feed(n) for n in gone_feeds]
        doomed += [k for n in gone_channels for k in (keys.channel(n), keys.sent(n), keys.digest(n))]
        pipe = client.pipeline(transaction=True)
        for at in range(0, len(doomed), 500):
            pipe.delete(*doomed[at:at + 500])
        if unscheduled:
            pipe.zrem(keys.schedule, *unscheduled)
        pipe.execute()
    return Pruned(tuple(sorted(gone_feeds)), tuple(sorted(gone_channels)), folded, titles)


def _absent(client: redis.Redis, keys: Keys, families: tuple[str, ...], wanted: set[str]) -> set[str]:
    """Names that have a key of one of `families` but are not `wanted`."""
    found: set[str] = set()
    for family in families:
        head = f"{keys.prefix}{family}".encode()
        for key in client.scan_iter(match=keys.named(family), count=1000):
            raw = key if isinstance(key, bytes) else str(key).encode()
            found.add(raw[len(head):].decode("utf-8", "replace"))
    return found - wanted


def _title(raw: bytes | str) -> str:
    try:
        alert = codec.decode_alert(raw)
    except ValueError:
        return "(unreadable)"
    return f"{alert.title} <{alert.url}>"
