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
from redis.client import Pipeline

from monitor.keys import Keys
from monitor.store import evalsha, pipelined, redis_errors
from monitor.surge.lua import CLAIM_LUA, RECORD_LUA
from monitor.surge.model import SurgeConfig, Verdict

SLACK_BUCKETS = 8  # count fields kept past the baseline before pruning (prunes once per bucket)


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
class Counts:
    """What Redis holds of a topic: stories per bucket, its state, and the window's detail."""

    counts: dict[int, int]
    since: float | None
    until: float  # the current surge is on until then (0: none)
    peak: int
    sources: frozenset[str]  # distinct sources in the window
    stories: dict[str, WindowStory]  # the window's stories by story id
    counted: int = 0  # stories this record counted (new to the topic)

    def active(self, now: float) -> bool:
        return self.until > now


class SurgeCounter:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys
        self._record = client.register_script(RECORD_LUA)
        self._claim = client.register_script(CLAIM_LUA)

    def record_and_read(self, cfg: SurgeConfig, seen: Sequence[Seen], now: float) -> Counts:
        """Count the items (copies of a story once), then read the topic back, in one round trip."""
        window = self._window_keys(cfg, now)

        def build(pipe: Pipeline) -> None:
            if seen:
                evalsha(pipe, self._record, *self._record_call(cfg, seen, now))
            pipe.hgetall(self.keys.surge_counts(cfg.topic))
            pipe.hgetall(self.keys.surge_state(cfg.topic))
            for key in window:
                pipe.hgetall(key)

        with redis_errors(f"counting the stories of topic '{cfg.topic}'"):
            replies = pipelined(self.redis, build, [self._record])  # the record is safe to repeat
        return _counts(replies[1:], int(replies[0])) if seen else _counts(replies, 0)

    def begin(self, cfg: SurgeConfig, now: float) -> None:
        """Start the topic's history at `now` unless it began before (a replay starts every
        topic at its first item; the service at each topic's first story)."""
        with redis_errors(f"starting the history of topic '{cfg.topic}'"):
            self.redis.hsetnx(self.keys.surge_state(cfg.topic), "since", repr(now))
            self.redis.expire(self.keys.surge_state(cfg.topic), int(cfg.baseline + cfg.window))

    def read(self, cfg: SurgeConfig, now: float) -> Counts:
        return self.record_and_read(cfg, (), now)

    def _window_keys(self, cfg: SurgeConfig, now: float) -> list[str]:
        current = cfg.bucket_of(now)
        return [self.keys.surge_bucket(cfg.topic, b) for b in range(current - cfg.window_buckets + 1, current + 1)]

    def _record_call(self, cfg: SurgeConfig, seen: Sequence[Seen], now: float) -> tuple[list[Any], list[Any]]:
        keep = int(cfg.baseline // cfg.bucket) + cfg.window_buckets + SLACK_BUCKETS
        keys = [self.keys.surge_counts(cfg.topic), self.keys.surge_state(cfg.topic)]
        args: list[Any] = [repr(now), int(cfg.baseline + cfg.window), int(max(cfg.story_ttl, cfg.window)),
                           int(cfg.window + cfg.bucket), keep, cfg.bucket_of(now) - keep]
        for s in seen:
            bucket = cfg.bucket_of(min(s.published, now))
            keys += [self.keys.surge_story(cfg.topic, s.story), self.keys.surge_bucket(cfg.topic, bucket)]
            args += [bucket, s.story, s.source, json.dumps({"t": s.title, "u": s.url}, ensure_ascii=False)]
        return keys, args

    def claim(self, cfg: SurgeConfig, verdict: Verdict, payloads: Sequence[str]) -> bool:
        """Record the verdict in the topic's state; True when this call enqueued its alerts."""
        now = verdict.now
        args: list[str | int | float] = [
            repr(now), verdict.stories, cfg.again, repr(now + cfg.window), int(verdict.positive),
            int(verdict.elevated), int(cfg.baseline + cfg.window), *payloads]
        with redis_errors(f"claiming a surge of topic '{cfg.topic}'"):
            return bool(self._claim(keys=[self.keys.surge_state(cfg.topic), self.keys.outbox], args=args))


def _counts(replies: list[Any], counted: int) -> Counts:
    counts_raw, state_raw, *buckets = cast(list[dict[bytes, bytes]], replies)
    state = {k.decode(): v.decode() for k, v in state_raw.items()}
    sources: set[str] = set()
    stories: dict[str, WindowStory] = {}
    for bucket in buckets:
        for field, value in bucket.items():
            name = field.decode()
            if name.startswith("o:"):
                sources.add(name[2:])
            elif name.startswith("s:"):
                stories[name[2:]] = _merge(stories.get(name[2:]), json.loads(value))
    return Counts({int(b): int(c) for b, c in counts_raw.items()},
                  float(state["since"]) if "since" in state else None,
                  float(state.get("until", 0)), int(state.get("peak", 0)), frozenset(sources), stories, counted)


def _merge(known: WindowStory | None, rec: dict[str, Any]) -> WindowStory:
    """A story's record of one bucket, added to what earlier buckets held of it."""
    sources = tuple(str(s) for s in rec.get("o", []))
    if known is None:
        return WindowStory(str(rec.get("t", "")), str(rec.get("u", "")), sources, bool(rec.get("n")))
    merged = known.sources + tuple(s for s in sources if s not in known.sources)
    return WindowStory(known.title, known.url, merged, known.counted or bool(rec.get("n")))
