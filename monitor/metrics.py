"""Prometheus metrics, defined once, and the HTTP endpoint serving them with /healthz.

`/healthz` answers 200 while the scheduler runs and Redis takes a write (health.py), 503
otherwise, with a JSON reason. `/metrics` is the Prometheus text format of this process's registry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from monitor.errors import SettingsError
from monitor.feed_metrics import PerFeed
from monitor.http_guard import GuardedSite

log = logging.getLogger("monitor.metrics")

STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """Every metric the monitor exports, in one registry (one per service, so tests can
    make their own)."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        # Series per feed: plain numbers (feed_metrics.py), not a prometheus_client child each.
        self.polls = PerFeed("counter", "monitor_polls", "Feed polls by feed and outcome", ["feed", "outcome"], r)
        self.items = Counter("monitor_items", "Items by stage: fetched, backlog (a first poll's older items, "
                             "taken as read), revised (listed items with a new headline, judged again), "
                             "new, neardup (checked), "
                             "across (another language's story), alerted", ["stage"], registry=r)
        self.languages = Counter("monitor_items_by_language", "New items by the language detected "
                                 "(ISO 639-1 code, und: too little text to tell)", ["language"], registry=r)
        self.articles = Counter("monitor_articles", "Short items wanting their page, by outcome: page, "
                                "cached (used), or why the feed text was used: error, not_html, thin, unrelated, "
                                "backoff, capped",
                                ["outcome"], registry=r)
        self.stage_seconds = Histogram("monitor_stage_seconds", "Latency of each pipeline stage",
                                       ["stage"], buckets=STAGE_BUCKETS, registry=r)
        self.outbox = Gauge("monitor_outbox_alerts", "Alerts in the outbox by state", ["state"], registry=r)
        self.sends = Counter("monitor_sends", "Alert sends by channel and result", ["channel", "result"], registry=r)
        self.last_success = PerFeed("gauge", "monitor_feed_last_success_timestamp_seconds",
                                    "Time of each feed's last successful poll", ["feed"], r)
        self.staleness = PerFeed("gauge", "monitor_feed_staleness_seconds",
                                 "Seconds since each feed's last successful poll", ["feed"], r)
        self.topic_stories = Counter("monitor_topic_stories", "Distinct stories over each topic's threshold "
                                     "(copies counted once), as the surge detector counts them", ["topic"], registry=r)
        self.surge_window = Gauge("monitor_surge_window_stories", "Distinct stories of each topic in its "
                                  "surge window, at its last count", ["topic"], registry=r)
        self.surge_expected = Gauge("monitor_surge_expected_stories", "Stories a surge window of each topic "
                                    "holds at its usual rate (-1: too little history)", ["topic"], registry=r)
        self.redis = Gauge("monitor_redis", "The Redis server: used_memory and used_memory_peak (bytes), "
                           "keys (of its database)", ["what"], registry=r)
        self.info = Gauge("monitor_info", "Versions of the running monitor, model and settings",
                          ["version", "model", "settings"], registry=r)

    def retain_feeds(self, feeds: Collection[str]) -> None:
        """Keep the per-feed series of these feeds only (after a reload)."""
        for metric in (self.polls, self.last_success, self.staleness):
            metric.retain(feeds)

    def retain(self, feeds: Collection[str], channels: Collection[str], surge_topics: Collection[str]) -> None:
        """Keep the series of these feeds, channels and topics only (after a reload). The
        per-topic series are the surge detector's: those of a topic removed, or with its surge
        turned off, would stay frozen at their last count."""
        self.retain_feeds(feeds)
        _retain(self.sends, "channel", channels)
        for metric in (self.topic_stories, self.surge_window, self.surge_expected):
            _retain(metric, "topic", surge_topics)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _retain(metric: Counter | Gauge, label: str, keep: Collection[str]) -> None:
    """Remove the series whose `label` is not one of `keep`. prometheus_client lists a metric's
    series only as samples (labels in the metric's order; a counter's `_total` and `_created`
    name one series), and removes one by its label values."""
    wanted = set(keep)
    stale = {tuple(sample.labels.values()) for family in metric.collect() for sample in family.samples
             if sample.labels[label] not in wanted}
    for values in stale:
        metric.remove(*values)


Check = Callable[[], Awaitable[str | None]]  # None when healthy, else the reason


Route = tuple[str, Callable[[web.Request], Awaitable[web.StreamResponse]]]


async def start_http(address: str, metrics: Metrics, health: Check,
                     refresh: Callable[[], Awaitable[None]], routes: Sequence[Route] = ()) -> web.AppRunner:
    """Serve /healthz and /metrics (and `routes`, GET) on host:port until the returned
    runner is cleaned up; SettingsError (`monitor.http: ...`) when it cannot listen there."""
    host, _, port = address.rpartition(":")

    async def healthz(_: web.Request) -> web.Response:
        reason = await health()  # off the event loop, within a second (health.py)
        body = json.dumps({"status": "ok" if reason is None else "unhealthy", "reason": reason})
        return web.Response(status=200 if reason is None else 503, text=body, content_type="application/json")

    async def metrics_view(_: web.Request) -> web.Response:
        await refresh()
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    for path, view in routes:
        app.router.add_get(path, view)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await GuardedSite(runner, host.strip("[]") or "127.0.0.1", int(port)).start()  # bounded (http_guard)
    except OSError as exc:  # the port taken, the host unknown or not this machine's
        await runner.cleanup()
        raise SettingsError(f"monitor.http: cannot listen on {address}: {exc.strerror or exc}") from None
    log.info("health and metrics on http://%s/healthz and /metrics", address)
    return runner
