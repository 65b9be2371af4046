"""What a poll runs on: its frozen config (built by wiring.py) and the live parts, Redis,
the model, the scorer and the HTTP sessions (sessions.py), held by one `Runtime`.

Stages are timed into the metrics and handed to any `Observer` (the benchmark is one), so
nothing outside the product needs a hook in it.

Every Redis call of the service goes through the runtime: `io` and `timed_io` run a step
in its pool of threads (shared with the sender), and `lease` and `save` batch the steps
every poll makes at the same moments (redis_threads.py). No Store, Outbox or NearDupIndex
call runs on the event loop, so a Redis across a network delays only the poll that waits
for it, never the fetches of the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import ParamSpec, Protocol, TypeVar

import aiohttp

from monitor import defaults, limits
from monitor import prune as pruning
from monitor.dedup.across import AcrossLanguages, lexicon_of
from monitor.dedup.index import NearDupConfig, NearDupIndex, StoryMatch
from monitor.delivery import alerts
from monitor.delivery.alerts import TopicRule
from monitor.delivery.outbox import Outbox
from monitor.ingest import fetch
from monitor.ingest.article import ArticleConfig, HostGate
from monitor.ingest.recycled import RecycledThread
from monitor.items import Item
from monitor.metrics import Metrics
from monitor.model.classify import Classifier
from monitor.model.concepts import Lexicon
from monitor.model.scoring import BatchScorer
from monitor.redis_threads import Batched, RedisThreads
from monitor.rules import FeedGate
from monitor.sessions import Sessions
from monitor.store import FeedState, FeedUpdate, Store
from monitor.surge.counter import SurgeCounter
from monitor.surge.detector import SurgeDetector
from monitor.surge.model import SurgeConfig

log = logging.getLogger("monitor.prune")
P = ParamSpec("P")
T = TypeVar("T")

# Polls between their fetch and their save at once: this many times `concurrency` (at most
# POLLS_IN_FLIGHT). Each holds its parsed items, so this bounds the items waiting for the
# scorer (memory); and a poll's fetch then starts soon after the poll does, so a feed's
# items are enqueued soon after its own fetch whatever the number of feeds. Not 1x: a
# poll also waits on Redis round trips (seen, claim, save) while its connection could
# serve another feed. The service's dispatcher takes as many due feeds at most.
POLLS_PER_FETCH = 4
POLLS_IN_FLIGHT = 100


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One enabled feed, its interval resolved."""

    name: str
    url: str  # environment expanded: may hold a secret, show urls.masked(...) of settings' instead
    interval: float  # seconds
    allow_private: bool = False  # may connect to non-public addresses (addresses.py)
    backlog: float = 0.0  # seconds: the first poll takes older items as read (defaults.BACKLOG); 0: none


@dataclass(frozen=True)
class PollConfig:
    """Everything a poll reads of the settings."""

    feeds: tuple[FeedConfig, ...]
    fetch: fetch.FetchLimits
    rules: dict[str, TopicRule]
    neardup: NearDupConfig | None  # None: near-duplicate detection is off
    seen_ttl: float
    follow_up_sources: int
    backoff_base: float
    backoff_max: float
    feed_alert_after: float
    ops_channel: str = ""
    recent_max: int = defaults.RECENT_MAX
    articles: ArticleConfig = ArticleConfig()  # pages behind short items (default here: never)
    feed_gates: Mapping[str, FeedGate] = field(default_factory=dict)  # per feed: topics and mute (rules.py)
    surges: dict[str, SurgeConfig] = field(default_factory=dict)  # topics with surge on
    full_text_channels: frozenset[str] | None = None  # channels printing `text` (None: all of them)


class Observer(Protocol):
    """Told of every timed stage: its name, start and end (perf_counter) and item count."""

    def stage(self, name: str, started: float, ended: float, items: int) -> None: ...


@dataclass
class Runtime:
    """Everything a poll needs; `configure` swaps in a new config (a reload)."""

    config: PollConfig
    store: Store
    outbox: Outbox
    classifier: Classifier
    worker: str
    score_workers: int = 0
    metrics: Metrics = field(default_factory=Metrics)
    observers: list[Observer] = field(default_factory=list)
    neardup: NearDupIndex | None = field(init=False, default=None)
    across: AcrossLanguages | None = field(init=False, default=None)  # None: each language's stories apart
    surge: SurgeDetector | None = field(init=False, default=None)  # None: no topic has surge on
    scorer: BatchScorer = field(init=False)
    http: Sessions | None = field(init=False, default=None)  # made on entering, again when a reload resizes them
    retired: list[Sessions] = field(init=False, default_factory=list)  # closed as their last poll ends
    io: RedisThreads = field(default_factory=RedisThreads)  # await rt.io(step, *args): Redis off the loop
    leases: Batched[tuple[str, float], FeedState | None] = field(init=False)
    saves: Batched[FeedUpdate, None] = field(init=False)
    # One feed parsed at a time, as on the event loop before (pipeline._parse): parses are
    # CPU under the GIL, and four 5 MB feeds parsed at once went past 300 MB of RSS.
    parsing: asyncio.Semaphore = field(init=False, repr=False)
    parser: RecycledThread = field(  # the thread parses run in, new every PARSE_THREAD_BYTES (lxml's names)
        default_factory=lambda: RecycledThread(limits.PARSE_THREAD_BYTES, "monitor-parse"))
    pages: HostGate = field(default_factory=HostGate)  # pages read per host at once (article.py)
    _lexicon: tuple[Classifier, Lexicon] | None = field(init=False, default=None, repr=False)  # lexicon()'s

    def __post_init__(self) -> None:
        self.scorer = BatchScorer(lambda: self.classifier, self.score_workers, observe=self._observe_scoring)
        # self.store is read when a batch runs: it may be swapped (tests do).
        self.leases = Batched(self.io, lambda leases: self.store.lease_many(leases, self.worker))
        self.saves = Batched(self.io, lambda updates: self.store.update_feeds(updates))
        self.configure(self.config)

    def configure(self, config: PollConfig) -> None:
        self.config = config
        self.neardup = (NearDupIndex(self.store.redis, self.store.keys, config.neardup)
                        if config.neardup is not None else None)
        self.across = (AcrossLanguages(self.store.redis, self.store.keys, config.neardup.window_seconds)
                       if config.neardup is not None and config.neardup.across_languages else None)
        self.surge = (SurgeDetector(SurgeCounter(self.store.redis, self.store.keys), config.surges, self.metrics)
                      if config.surges else None)
        if self.http is not None and config.fetch != self.http.limits:  # concurrency or timeouts
            self.retired.append(self.http)
            self.http = Sessions.open(config.fetch, self.polls_at_once)

    def stories(self, items: Sequence[Item], topics: Sequence[Sequence[str]]) -> list[StoryMatch]:
        """The story of each item that would alert: its near-duplicates' (index.py), then,
        for a new one, another language's (across.py). Redis I/O: run it with `io`."""
        assert self.neardup is not None
        matches = self.neardup.check_and_add_many(items, topics)
        if self.across is None:
            return matches
        linked = self.across.link_many(items, matches, topics, self.lexicon())
        self.metrics.items.labels("across").inc(sum(m.is_new for m in matches) - sum(m.is_new for m in linked))
        return linked

    def lexicon(self) -> Lexicon:
        """The concept lexicon of the model in force, read from its metadata once a model (a
        reload may swap it): read at every near-dup check, it cost ~70 µs of each."""
        model, cached = self.classifier, self._lexicon
        if cached is None or cached[0] is not model:
            cached = self._lexicon = (model, lexicon_of(model.metadata))
        return cached[1]

    async def lease(self, feed: str, ttl: float) -> FeedState | None:
        """Take a feed's lease and read its state (None: another worker holds it), in one
        round trip with the other feeds' leases taken in the same turn of the loop."""
        return await self.leases((feed, ttl))

    async def save(self, update: FeedUpdate) -> None:
        """Save a feed's state (and release its lease), batched as `lease` is."""
        await self.saves(update)

    async def tell_ops(self, title: str, text: str) -> None:
        """One operator alert to `[monitor] ops_channel`, if there is one."""
        if self.config.ops_channel:
            await self.io(self.outbox.enqueue, alerts.health_alert(self.config.ops_channel, title, text))

    async def prune(self, feeds: Collection[str], channels: Collection[str]) -> pruning.Pruned:
        """Delete the state of feeds and channels not in these (prune.py), at a service's start
        and reload and before `poll --once`; report it: logged, and told to the ops channel
        when a removed channel's folded alerts are dropped with it."""
        pruned = await self.io(pruning.prune, self.store.redis, self.store.keys, feeds, channels)
        if pruned:
            log.warning("%s", pruned.report())
            if pruned.folded:
                await self.tell_ops("Alerts of a removed channel dropped", pruned.report())
        return pruned

    async def timed_io(self, stage: str, items: int, step: Callable[P, T], /, *args: P.args,
                       **kwargs: P.kwargs) -> T:
        """A Redis step in a thread, timed as a stage: its own time, not its wait for a
        free thread."""
        def timed() -> T:
            with self.timed(stage, items):
                return step(*args, **kwargs)

        return await self.io(timed)

    @contextmanager
    def timed(self, stage: str, items: int = 0) -> Iterator[None]:
        """Time a stage into its histogram and tell the observers."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self._record(stage, started, time.perf_counter(), items)

    def _record(self, stage: str, started: float, ended: float, items: int) -> None:
        self.metrics.stage_seconds.labels(stage).observe(ended - started)
        for observer in self.observers:
            observer.stage(stage, started, ended, items)

    def _observe_scoring(self, started: float, ended: float, items: int) -> None:
        self._record("classify", started, ended, items)

    def session_for(self, feed: FeedConfig) -> aiohttp.ClientSession:
        """The session a feed is fetched with (sessions.py: its own with allow_private)."""
        return self.page_session(feed.allow_private)

    def page_session(self, allow_private: bool = False) -> aiohttp.ClientSession:
        """The session of the settings in force (a page is read with its feed's)."""
        assert self.http is not None, "Runtime must be entered (async with) before polling"
        return self.http.session(allow_private)

    @property
    def polls_at_once(self) -> int:
        """Polls between their fetch and their save at once (`in_flight`'s size)."""
        return min(POLLS_IN_FLIGHT, POLLS_PER_FETCH * self.config.fetch.concurrency)

    @asynccontextmanager
    async def in_flight(self) -> AsyncIterator[None]:
        """A place among the polls in flight, of the sessions in force when the poll asks
        for it; sessions a reload replaced are closed once their last poll has ended, and
        the last of every set before them (a poll fetches with the sessions in force when
        each fetch starts: those of a later set, after a reload)."""
        assert self.http is not None, "Runtime must be entered (async with) before polling"
        http = self.http
        http.polls += 1
        try:
            async with http.in_flight:
                yield
        finally:
            http.polls -= 1
            await self._close_retired()

    async def _close_retired(self, every: bool = False) -> None:
        while self.retired and (every or not self.retired[0].polls):  # oldest first
            await self.retired.pop(0).close()  # taken out before the await: closed once

    async def __aenter__(self) -> Runtime:
        self.http = Sessions.open(self.config.fetch, self.polls_at_once)
        self.parsing = asyncio.Semaphore(1)
        try:
            await self.scorer.start()
        except BaseException:  # a model the worker refuses: nothing opened is left open
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.scorer.close()
        self.parser.close()
        await self._close_retired(every=True)
        if self.http is not None:
            await self.http.close()
        await self.io.close()


