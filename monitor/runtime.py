"""What a poll runs on: its frozen config (built by wiring.py) and the live parts, Redis,
the model, the scorer and the HTTP session, held by one `Runtime`.

Stages are timed into the metrics and handed to any `Observer` (the benchmark is one), so
nothing outside the product needs a hook in it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp

from monitor import defaults
from monitor.dedup.index import NearDupConfig, NearDupIndex
from monitor.delivery import alerts
from monitor.delivery.alerts import TopicRule
from monitor.delivery.outbox import Outbox
from monitor.ingest import fetch
from monitor.metrics import Metrics
from monitor.model.classify import Classifier
from monitor.model.scoring import BatchScorer
from monitor.store import Store


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One enabled feed, its interval resolved."""

    name: str
    url: str
    interval: float  # seconds


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
    scorer: BatchScorer = field(init=False)
    session: aiohttp.ClientSession | None = None

    def __post_init__(self) -> None:
        self.scorer = BatchScorer(lambda: self.classifier, self.score_workers, observe=self._observe_scoring)
        self.configure(self.config)

    def configure(self, config: PollConfig) -> None:
        self.config = config
        self.neardup = (NearDupIndex(self.store.redis, self.store.keys, config.neardup)
                        if config.neardup is not None else None)

    def tell_ops(self, title: str, text: str) -> None:
        """One operator alert to `[monitor] ops_channel`, if there is one."""
        if self.config.ops_channel:
            self.outbox.enqueue(alerts.health_alert(self.config.ops_channel, title, text))

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

    async def __aenter__(self) -> Runtime:
        self.session = fetch.make_session(self.config.fetch)
        await self.scorer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.scorer.close()
        if self.session is not None:
            await self.session.close()


