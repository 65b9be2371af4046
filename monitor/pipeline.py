"""The wiring of one poll: one feed through every stage (with service.py and cli.py, the
only modules that wire stages together).

    lease ─► fetch ─► parse ─► seen? ─► classify ─► near-dup ─► claim (seen + outbox, atomic)

A poll saves a feed's HTTP validators only after its items are claimed, so a crash at any
point means the next poll fetches and processes the same items again: nothing is lost,
and the claim's SET NX makes sure nothing is enqueued twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp

from monitor import __version__, alerts, defaults, fetch, parse
from monitor.classify import Classifier
from monitor.errors import ParseError, StoreError
from monitor.items import Item, Scored
from monitor.keys import Keys
from monitor.metrics import Metrics
from monitor.neardup import NearDupConfig, NearDupIndex, StoryMatch
from monitor.outbox import Outbox
from monitor.scoring import BatchScorer
from monitor.sender import ChannelConfig, RetryPolicy, Sender
from monitor.settings import Feed, Loaded
from monitor.store import Claim, FeedState, Store, connect

log = logging.getLogger("monitor")
T = TypeVar("T")

LEASE_MAX = 60.0  # seconds a poll's lease lasts unless renewed (a dead worker's lease expires)
LEASE_MIN = 5.0
SAVED = {"ok", "not_modified", "error"}  # outcomes whose saved state released the lease too


@dataclass(frozen=True)
class PollResult:
    feed: str
    outcome: str  # "ok", "not_modified", "error", "backoff", "leased", "store_error"
    items: int = 0
    new: int = 0
    alerts: int = 0
    error: str | None = None


@dataclass
class Runtime:
    """Everything a poll needs, built once from validated settings."""

    loaded: Loaded
    store: Store
    outbox: Outbox
    classifier: Classifier
    neardup: NearDupIndex | None
    limits: fetch.FetchLimits
    rules: dict[str, alerts.TopicRule]
    worker: str
    metrics: Metrics = field(default_factory=Metrics)
    scorer: BatchScorer = field(init=False)
    session: aiohttp.ClientSession | None = None

    @classmethod
    def build(cls, loaded: Loaded, classifier: Classifier | None = None) -> Runtime:
        classifier = classifier or Classifier.load(loaded.model_path)
        classifier.require(loaded.settings.topics)
        client = connect(loaded.redis_url, loaded.data_dir)
        keys = Keys(loaded.settings.monitor.key_prefix)
        worker = f"{socket.gethostname()}-{os.getpid()}"
        rt = cls(loaded, Store(client, keys), Outbox(client, keys, worker), classifier, None,
                 _limits(loaded), {}, worker)
        rt.configure(loaded)
        return rt

    def configure(self, loaded: Loaded) -> None:
        """Take new settings (a reload): topics, thresholds, channels, dedup and fetch limits."""
        s = loaded.settings
        self.loaded = loaded
        self.limits = _limits(loaded)
        self.rules = {n: alerts.TopicRule(t.title, t.threshold, tuple(t.notify)) for n, t in s.topics.items()}
        self.neardup = (NearDupIndex(self.store.redis, self.store.keys, neardup_config(loaded))
                        if s.dedup.near_duplicates else None)

    def sender(self, clock: Callable[[], float] = time.time) -> Sender:
        a = self.loaded.settings.alerts
        retry = RetryPolicy(a.send_attempts, a.send_backoff_base, a.send_backoff_max)
        return Sender(self.outbox, channel_configs(self.loaded), self.loaded.data_dir, retry,
                      a.claim_timeout, self.metrics, self.loaded.settings.monitor.ops_channel, clock)

    def tell_ops(self, title: str, text: str) -> None:
        """One operator alert to `[monitor] ops_channel`, if there is one."""
        ops = self.loaded.settings.monitor.ops_channel
        if ops:
            self.outbox.enqueue(alerts.health_alert(ops, title, text))

    def metrics_observer(self, stage: str) -> Callable[[float], None]:
        return lambda seconds: self.metrics.stage_seconds.labels(stage).observe(seconds)

    @contextmanager
    def timed(self, stage: str, items: int = 0) -> Iterator[None]:
        """Time a stage into its histogram; `items` (how many items the stage handled)
        is for subclasses that time each item, as the benchmark does."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.metrics.stage_seconds.labels(stage).observe(time.perf_counter() - started)

    def __post_init__(self) -> None:
        self.scorer = BatchScorer(lambda: self.classifier, self.loaded.settings.monitor.score_workers,
                                  observe=self.metrics_observer("classify"))

    async def __aenter__(self) -> Runtime:
        self.session = fetch.make_session(self.limits)
        await self.scorer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.scorer.close()
        if self.session is not None:
            await self.session.close()


def neardup_config(loaded: Loaded) -> NearDupConfig:
    d = loaded.settings.dedup
    return NearDupConfig(window_seconds=int(d.window), jaccard_threshold=d.jaccard,
                         containment_threshold=d.containment)


def channel_configs(loaded: Loaded) -> dict[str, ChannelConfig]:
    return {name: ChannelConfig(loaded.channel_urls[name], channel.to_policy(), channel.to_templates())
            for name, channel in loaded.settings.channels.items()}


def _limits(loaded: Loaded) -> fetch.FetchLimits:
    m = loaded.settings.monitor
    return fetch.FetchLimits(
        connect_timeout=m.connect_timeout, read_timeout=m.read_timeout, max_bytes=m.max_bytes,
        max_redirects=m.max_redirects, concurrency=m.concurrency,
        user_agent=defaults.USER_AGENT.format(version=__version__),
    )


async def poll_feed(rt: Runtime, feed: Feed, force: bool = False, min_gap: float = 0.0) -> PollResult:
    """Poll one feed through every stage; never raises for a feed's or Redis's failure.

    Several workers may run this for the same feed: the lease lets one in at a time, and
    `min_gap` (scheduled polls pass most of the interval) skips a feed another worker has
    just polled, so each feed is polled once per interval.
    """
    # Half the interval at most, so a dead worker's feeds are polled again next interval.
    ttl = max(LEASE_MIN, min(LEASE_MAX, rt.loaded.interval(feed) / 2))
    try:
        state = rt.store.lease_and_state(feed.name, rt.worker, ttl)
        if state is None:
            result = PollResult(feed.name, "leased")
        else:
            renewer = asyncio.create_task(_renew(rt, feed.name, ttl))
            result = None
            try:
                result = await _poll(rt, feed, state, force, min_gap)
            finally:
                renewer.cancel()
                if result is None or result.outcome not in SAVED:
                    rt.store.release_lease(feed.name, rt.worker)
    except StoreError as exc:
        log.error("feed '%s': poll failed, nothing marked: %s", feed.name, exc)
        result = PollResult(feed.name, "store_error", error=str(exc))
    rt.metrics.polls.labels(feed.name, result.outcome).inc()
    return result


async def _renew(rt: Runtime, name: str, ttl: float) -> None:
    while True:
        await asyncio.sleep(ttl / 3)
        try:
            rt.store.renew_lease(name, rt.worker, ttl)
        except StoreError as exc:
            log.warning("feed '%s': %s", name, exc)


async def _poll(rt: Runtime, feed: Feed, state: FeedState, force: bool, min_gap: float) -> PollResult:
    assert rt.session is not None, "Runtime must be entered (async with) before polling"
    now = time.time()
    if not force and state.retry_at > now:
        return PollResult(feed.name, "backoff", error=state.last_error)
    if min_gap and state.last_poll and now - state.last_poll < min_gap:
        return PollResult(feed.name, "leased")  # another worker polled it this interval
    with rt.timed("fetch"):
        fetched = await fetch.fetch(rt.session, feed.name, feed.url,
                                    fetch.Validators(state.etag, state.last_modified), rt.limits)
    if fetched.outcome == "error":
        return _failed(rt, feed, state, fetched.error or "unknown error", fetched.retry_after)
    if fetched.outcome == "not_modified":
        _succeeded(rt, feed, state, fetched.validators, "not modified", state.items)
        return PollResult(feed.name, "not_modified", items=state.items)
    try:
        with rt.timed("parse"):
            items = parse.parse_feed(fetched.body or b"", fetched.content_type, feed.name,
                                     datetime.fromtimestamp(now, tz=UTC), base_url=feed.url)
    except ParseError as exc:
        return _failed(rt, feed, state, str(exc), None)
    new, alerted = await process_items(rt, items)
    _succeeded(rt, feed, state, fetched.validators, "ok", len(items), new=new, alerted=alerted)
    return PollResult(feed.name, "ok", items=len(items), new=new, alerts=alerted)


async def process_items(rt: Runtime, items: Sequence[Item]) -> tuple[int, int]:
    """Seen-check, score, near-dup check and claim; returns (new items, alerts enqueued)."""
    with rt.timed("seen"):
        unseen = rt.store.unseen([item.id for item in items])
    fresh = _unique([item for item, new in zip(items, unseen, strict=True) if new])
    rt.metrics.items.labels("fetched").inc(len(items))
    if not fresh:
        return 0, 0
    scores = await rt.scorer.score([item.document for item in fresh])  # times itself
    scored = [Scored(item, topic_scores) for item, topic_scores in zip(fresh, scores, strict=True)]
    claims = await _decide(rt, scored)
    rt.metrics.items.labels("new").inc(len(fresh))
    claimed = await _in_thread(rt, "claim", len(fresh), rt.store.claim_many, claims,
                               rt.loaded.settings.dedup.seen_ttl, defaults.RECENT_MAX)
    enqueued = sum(len(c.alerts) for c, ok in zip(claims, claimed, strict=True) if ok)
    rt.metrics.items.labels("alerted").inc(enqueued)
    return len(fresh), enqueued


async def _decide(rt: Runtime, batch: list[Scored]) -> list[Claim]:
    """What to claim for each scored item: its alerts, after the near-duplicate check of
    those that would alert (one round trip for the feed's batch).

    The check runs in a thread: its script keeps Redis busy for ~0.5 ms per item, and
    meanwhile this process goes on parsing and scoring other feeds (each script is atomic,
    so concurrent checks of two feeds are safe, as they are between two workers)."""
    dedup = rt.loaded.settings.dedup
    wanted = [alerts.build_alerts(scored, rt.rules) for scored in batch]
    stories: dict[int, StoryMatch] = {}
    if rt.neardup is not None and any(wanted):
        alerting = [i for i, found in enumerate(wanted) if found]
        matches = await _in_thread(rt, "neardup", len(alerting), rt.neardup.check_and_add_many,
                                   [batch[i].item for i in alerting])
        rt.metrics.items.labels("neardup").inc(len(alerting))
        stories = dict(zip(alerting, matches, strict=True))
    claims = []
    for i, scored in enumerate(batch):
        story = stories.get(i)
        found = wanted[i]
        if story is not None and story.is_new:
            found = [replace(a, story=story.story_id) for a in found]
        elif story is not None:  # a later copy of a story already alerted: at most a follow-up
            follow = story.new_source and story.n_sources == dedup.follow_up_sources > 0
            found = [replace(a, kind="follow_up", story=story.story_id) for a in found] if follow else []
        payloads = tuple((a.id, json.dumps(alerts.to_json(a), ensure_ascii=False)) for a in found)
        claims.append(Claim(scored.item.id, _recent_record(scored, story.story_id if story else None), payloads))
    return claims


async def _in_thread(rt: Runtime, stage: str, items: int, step: Callable[..., T], *args: Any) -> T:
    """Run a blocking Redis step in a thread; its stage time is the step's own, not its
    wait for a free thread."""
    def timed() -> T:
        with rt.timed(stage, items):
            return step(*args)

    return await asyncio.to_thread(timed)


def _unique(items: list[Item]) -> list[Item]:
    """A feed may list one item twice; score and claim it once."""
    seen: dict[str, Item] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return list(seen.values())


def _recent_record(scored: Scored, story_id: str | None) -> dict[str, object]:
    item = scored.item
    return {
        "id": item.id, "source": item.source, "title": item.title, "url": item.url,
        "published": item.published.isoformat(), "story": story_id, "seen_at": round(time.time(), 3),
        "scores": {t: round(s.score, 4) for t, s in scored.scores.items()},
        "terms": {t: list(s.terms) for t, s in scored.scores.items()},
    }


def _failed(rt: Runtime, feed: Feed, state: FeedState, error: str, retry_after: float | None) -> PollResult:
    errors = state.errors + 1
    m = rt.loaded.settings.monitor
    delay = fetch.backoff_delay(errors, retry_after, m.backoff_base, m.backoff_max)
    if state.last_status != "error" or state.last_error != error:  # once per change of state
        log.warning("feed '%s': %s (retry in %.0fs; errors in a row: %d)", feed.name, error, delay, errors)
    now = time.time()
    since = state.failing_since or now
    fields: dict[str, object] = {
        "last_poll": f"{now:.3f}", "last_status": "error", "last_error": error,
        "errors": errors, "retry_at": f"{now + delay:.3f}", "failing_since": f"{since:.3f}",
    }
    if not state.ops_told and now - since >= m.feed_alert_after:
        rt.tell_ops(f"Feed '{feed.name}' is failing",
                    f"Failing for {(now - since) / 3600:.1f} h ({errors} polls): {error}")
        fields["ops_told"] = 1
    rt.store.update_feed(feed.name, fields, release=rt.worker)
    return PollResult(feed.name, "error", error=error)


def _succeeded(rt: Runtime, feed: Feed, state: FeedState, validators: fetch.Validators,
               status: str, items: int, new: int = 0, alerted: int = 0) -> None:
    if state.last_status == "error":
        log.info("feed '%s': recovered after %d errors", feed.name, state.errors)
    if state.ops_told:
        rt.tell_ops(f"Feed '{feed.name}' recovered", f"Polls succeed again after {state.errors} errors.")
    now = time.time()
    rt.store.update_feed(
        feed.name,
        {"last_poll": f"{now:.3f}", "last_success": f"{now:.3f}", "last_status": status,
         "last_error": None, "errors": 0, "retry_at": 0, "items": items,
         "failing_since": None, "ops_told": None,
         "etag": validators.etag, "last_modified": validators.last_modified},
        counts={"new_items": new, "alerts": alerted}, release=rt.worker,
    )
    rt.metrics.last_success.labels(feed.name).set(now)


async def poll_once(rt: Runtime, force: bool = False) -> list[PollResult]:
    feeds = [f for f in rt.loaded.settings.feeds if f.enabled]
    return list(await asyncio.gather(*(poll_feed(rt, f, force) for f in feeds)))
