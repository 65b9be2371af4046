"""A topic's story counts in Redis: recorded, read back and the surge claimed (keys.py).

Buckets live in Redis with TTLs, so every worker adds to and reads the same counts, and
they survive restarts. The clock is the caller's (`now`), so replays and tests control it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis

from monitor.keys import Keys
from monitor.seen import CLOCK_SKEW
from monitor.store import redis_errors, run_each
from monitor.surge.lua import CLAIM_LUA, RECORD_LUA
from monitor.surge.model import SurgeConfig, Verdict

SLACK_BUCKETS = 8  # count fields kept past the baseline and window before pruning (prunes once per 2 hours)


@dataclass(frozen=True)
class Seen:
    """One item over a topic's threshold, as the surge counter records it."""

    topic: str
    story: str  # its near-duplicate story (copies share it), else its own id
    source: str
    title: str
    url: str
    published: float  # seconds; never later than the moment it is recorded


@dataclass(frozen=True)
class WindowStory:
    title: str
    url: str
    sources: tuple[str, ...]
    counted: bool  # first seen in the window (counts towards its stories)


@dataclass(frozen=True)
class Summary:
    """What the record script sums of a topic at `now` (lua.py)."""

    stories: int  # distinct stories first seen in the window
    baseline: int  # stories in the baseline before the window
    since: float | None  # when the topic's history began (None: never)
    until: float  # the current surge is on until then (0: none)
    peak: int  # the surge's size, for a later, larger one
    sources: int  # distinct sources in the window
    counted: int = 0  # stories this record counted (new to the topic)

    def active(self, now: float) -> bool:
        return self.until >= now


class SurgeCounter:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys
        self._record = client.register_script(RECORD_LUA)
        self._claim = client.register_script(CLAIM_LUA)

    def record(self, cfg: SurgeConfig, seen: Sequence[Seen], now: float) -> Summary:
        """Count the items (copies of a story once) and sum the topic's window and baseline,
        in one script run (no items: only the sums)."""
        with redis_errors(f"counting the stories of topic '{cfg.topic}'"):
            reply = run_each(self.redis, self._record, [self._record_call(cfg, seen, now)])[0]
        counted, stories, baseline, since, until, peak, sources = reply
        return Summary(int(stories), int(baseline), float(since) if since else None, float(until), int(peak),
                       int(sources), int(counted))

    def _record_call(self, cfg: SurgeConfig, seen: Sequence[Seen], now: float) -> tuple[list[Any], list[Any]]:
        keep = int(cfg.baseline // cfg.bucket) + cfg.window_buckets + SLACK_BUCKETS
        current = cfg.bucket_of(now)
        first = current - cfg.window_buckets + 1
        keys = [self.keys.surge_counts(cfg.topic), self.keys.surge_state(cfg.topic),
                *(self.keys.surge_bucket(cfg.topic, b) for b in range(first, current + 1))]
        # a story's marker lives as long as its near-dup story does, CLOCK_SKEW included (keys.py)
        story_ttl = int(max(cfg.story_ttl, cfg.window) + CLOCK_SKEW)
        args: list[Any] = [repr(now), int(cfg.baseline + cfg.window), story_ttl,
                           int(cfg.window + cfg.bucket), keep, current - keep, repr(cfg.bucket), first, current,
                           cfg.bucket_of(now - cfg.baseline), cfg.window_buckets]
        for s in seen:
            bucket = cfg.bucket_of(min(s.published, now))
            keys += [self.keys.surge_story(cfg.topic, s.story), self.keys.surge_bucket(cfg.topic, bucket)]
            args += [bucket, s.story, s.source, json.dumps({"t": s.title, "u": s.url}, ensure_ascii=False)]
        return keys, args

    def begin(self, cfg: SurgeConfig, now: float) -> None:
        """Start the topic's history at `now` unless it began before (a replay starts every
        topic at its first item; the service at each topic's first story)."""
        with redis_errors(f"starting the history of topic '{cfg.topic}'"):
            self.redis.hsetnx(self.keys.surge_state(cfg.topic), "since", repr(now))
            self.redis.expire(self.keys.surge_state(cfg.topic), int(cfg.baseline + cfg.window))

    def window(self, cfg: SurgeConfig, now: float) -> dict[str, WindowStory]:
        """The window's stories by story id, with their sources (read for a surge's alert)."""
        current = cfg.bucket_of(now)
        with redis_errors(f"reading the window of topic '{cfg.topic}'"):
            pipe = self.redis.pipeline(transaction=False)
            for b in range(current - cfg.window_buckets + 1, current + 1):
                pipe.hgetall(self.keys.surge_bucket(cfg.topic, b))
            buckets = cast(list[dict[bytes, bytes]], pipe.execute())
        stories: dict[str, WindowStory] = {}
        for bucket in buckets:
            for field, value in bucket.items():
                if field.startswith(b"s:"):
                    sid = field[2:].decode()
                    stories[sid] = _merge(stories.get(sid), json.loads(value))
        return stories

    def counts(self, cfg: SurgeConfig) -> dict[int, int]:
        """Stories per bucket over the topic's history (for `status`'s sparkline)."""
        with redis_errors(f"reading the counts of topic '{cfg.topic}'"):
            raw = cast(dict[bytes, bytes], self.redis.hgetall(self.keys.surge_counts(cfg.topic)))
        return {int(b): int(c) for b, c in raw.items()}

    def claim(self, cfg: SurgeConfig, verdict: Verdict, payloads: Sequence[str]) -> bool:
        """Record the verdict in the topic's state; True when this call enqueued its alerts."""
        now = verdict.now
        args: list[str | int | float] = [
            repr(now), verdict.stories, cfg.again, repr(now + cfg.window), int(verdict.positive),
            int(verdict.elevated), int(cfg.baseline + cfg.window), *payloads]
        with redis_errors(f"claiming a surge of topic '{cfg.topic}'"):
            return bool(self._claim(keys=[self.keys.surge_state(cfg.topic), self.keys.outbox], args=args))


def _merge(known: WindowStory | None, rec: dict[str, Any]) -> WindowStory:
    """A story's record of one bucket, added to what earlier buckets held of it."""
    sources = tuple(str(s) for s in rec.get("o", []))
    if known is None:
        return WindowStory(str(rec.get("t", "")), str(rec.get("u", "")), sources, bool(rec.get("n")))
    merged = known.sources + tuple(s for s in sources if s not in known.sources)
    return WindowStory(known.title, known.url, merged, known.counted or bool(rec.get("n")))
