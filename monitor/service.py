"""`monitor run`: the long-running service around the poll pipeline.

One APScheduler job per feed (interval and jitter, max_instances=1, coalescing), the
outbox sender, optional /healthz and /metrics, systemd readiness and watchdog, and reload
of settings on SIGHUP or when the file changes. The loop is boring on purpose: signal
handlers only set flags; shutdown lets in-flight polls finish (or abandons them before they
mark anything) and cleans up in `finally`; a second SIGTERM/SIGINT exits at once.

Redis is called one way in this process: the synchronous Store and Outbox (the command
line's too) run in the runtime's pool of threads (`rt.io`, redis_threads.py), shared by
the polls, the sender and the health and metrics reads here, never on the event loop, so
a slow Redis delays the call that waits for it and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor import __version__, defaults, metrics, prune, settings, systemd, wiring
from monitor.delivery.sender import Sender, sleep_or_stop
from monitor.errors import MonitorError, StoreError
from monitor.health import HealthProbe, probe_client
from monitor.model.classify import Classifier
from monitor.pipeline import poll_feed
from monitor.runtime import FeedConfig, Runtime
from monitor.settings import Loaded

log = logging.getLogger("monitor")

STOP_GRACE = 5.0  # seconds in-flight polls get to finish after SIGTERM before being abandoned
WATCH_EVERY = 2.0  # seconds between checks of the settings file for changes
MIN_GAP_SHARE = 0.8  # a feed polled by any worker within this share of its interval is skipped


@dataclass
class Service:
    loaded: Loaded
    rt: Runtime
    sender: Sender
    scheduler: AsyncIOScheduler = field(default_factory=AsyncIOScheduler)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    reload: asyncio.Event = field(default_factory=asyncio.Event)
    polls: set[asyncio.Task[object]] = field(default_factory=set)
    feeds: dict[str, FeedConfig] = field(default_factory=dict)
    reload_error: str = ""
    probe: HealthProbe = field(init=False)

    def __post_init__(self) -> None:
        client = probe_client(self.loaded.redis_url, self.rt.store.redis, defaults.HEALTH_TIMEOUT)
        self.probe = HealthProbe(client, self.rt.store.keys.health(self.rt.worker))

    # -- scheduling ------------------------------------------------------------------------

    def schedule(self, feed: FeedConfig) -> None:
        self.scheduler.add_job(
            self._poll_job, "interval", args=(feed.name,), id=feed.name, seconds=feed.interval,
            jitter=int(self.loaded.settings.monitor.jitter) or None, max_instances=1,
            coalesce=True, misfire_grace_time=None, replace_existing=True,
            next_run_time=datetime.now(tz=UTC),
        )
        self.feeds[feed.name] = feed

    def unschedule(self, name: str) -> None:
        self.scheduler.remove_job(name)
        del self.feeds[name]

    async def _poll_job(self, name: str) -> None:
        feed = self.feeds.get(name)
        if feed is None or self.stop.is_set():
            return
        task = asyncio.current_task()
        assert task is not None
        self.polls.add(task)
        try:
            await poll_feed(self.rt, feed, min_gap=MIN_GAP_SHARE * feed.interval)
        finally:
            self.polls.discard(task)

    # -- reload ----------------------------------------------------------------------------

    def apply(self, new: Loaded) -> None:
        """Switch to validated new settings; feeds added start, feeds removed stop."""
        classifier = self.rt.classifier
        if new.model_path != self.loaded.model_path:
            classifier = Classifier.load(new.model_path)
        classifier.require(new.settings.topics)
        self.rt.classifier = classifier
        wiring.reconfigure(new, self.rt, self.sender)
        self.loaded = new
        wanted = {f.name: f for f in self.rt.config.feeds}
        for name in list(self.feeds):
            if name not in wanted:
                self.unschedule(name)
        for name, feed in wanted.items():
            if self.feeds.get(name) != feed:
                self.schedule(feed)
        log.info("settings reloaded: %d feeds, %d topics, %d channels", len(self.feeds),
                 len(new.settings.topics), len(new.channel_urls))

    async def try_reload(self) -> None:
        systemd.reloading()
        try:
            self.apply(settings.load(self.loaded.path))
            await self.prune()
        except MonitorError as exc:
            log.error("reload refused, keeping the previous settings: %s", exc)
            if str(exc) != self.reload_error:  # one ops alert per distinct failure
                await self.rt.tell_ops("Settings reload refused", f"Keeping the previous settings: {exc}")
            self.reload_error = str(exc)
        else:
            if self.reload_error:
                await self.rt.tell_ops("Settings reload succeeded", "The settings file loads again.")
            self.reload_error = ""
        finally:
            systemd.ready()

    async def watch(self) -> None:
        """Reload on SIGHUP or when the settings file changes."""
        path = self.loaded.path
        seen = _mtime(path)
        while not self.stop.is_set():
            try:
                await asyncio.wait_for(self.reload.wait(), timeout=WATCH_EVERY)
            except TimeoutError:
                pass
            current = _mtime(path)
            if self.reload.is_set() or current != seen:
                self.reload.clear()
                seen = current
                await self.try_reload()

    async def prune(self) -> None:
        """Delete the state of feeds and channels no longer in the settings; report it
        (a removed channel's folded alerts are named to the ops channel, never kept)."""
        s = self.loaded.settings
        pruned = await self.rt.io(prune.prune, self.rt.store.redis, self.rt.store.keys,
                                  [f.name for f in s.feeds], list(s.channels))
        if pruned:
            log.warning("%s", pruned.report())
            if pruned.folded:
                await self.rt.tell_ops("Alerts of a removed channel dropped", pruned.report())

    # -- health ----------------------------------------------------------------------------

    async def unhealthy(self) -> str | None:
        """Why this worker cannot do its job now (None: it can), within a second: Redis
        must take a write (health.py), not only answer."""
        if not self.scheduler.running:
            return "scheduler is not running"
        return await self.probe.check()

    async def refresh_metrics(self) -> None:
        try:
            depth, last = await self.rt.io(self._read_metrics, list(self.feeds))
        except StoreError as exc:
            log.warning("metrics: %s", exc)
            return
        m, now = self.rt.metrics, time.time()
        for state, count in depth.items():
            m.outbox.labels(state).set(count)
        for name, success in last.items():
            m.staleness.labels(name).set(now - success if success else float("nan"))

    def _read_metrics(self, feeds: list[str]) -> tuple[dict[str, int], dict[str, float | None]]:
        """The outbox depth and each feed's last success: blocking reads, run in a thread
        (one hop for the lot)."""
        return self.rt.outbox.depth(), {name: self.rt.store.feed_state(name).last_success for name in feeds}

    async def watchdog(self) -> None:
        interval = systemd.watchdog_interval()
        if not interval:
            return
        while not self.stop.is_set():
            if await self.unhealthy() is None:
                systemd.watchdog_ping()
            await sleep_or_stop(self.stop, interval / 2)

    async def finish_polls(self) -> None:
        """Let in-flight polls finish; cancel the rest (a cancelled poll has marked nothing)."""
        if self.polls:
            _, pending = await asyncio.wait(set(self.polls), timeout=STOP_GRACE)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


async def serve(loaded: Loaded) -> int:
    """Poll on schedule and send until SIGTERM/SIGINT; 0 on a clean stop."""
    rt = wiring.runtime(loaded)  # connects before anything runs on the loop: it blocks nothing
    service = Service(loaded, rt, wiring.sender(loaded, rt))
    _install_signals(service)
    http = None
    async with rt:
        try:
            await service.prune()
            for feed in rt.config.feeds:
                service.schedule(feed)
            service.scheduler.start()
            rt.metrics.info.labels(__version__, rt.classifier.version, str(_mtime(loaded.path))).set(1)
            if loaded.settings.monitor.http:
                http = await metrics.start_http(loaded.settings.monitor.http, rt.metrics,
                                                service.unhealthy, service.refresh_metrics)
            tasks = [asyncio.create_task(c) for c in
                     (service.sender.run(service.stop), service.watch(), service.watchdog())]
            systemd.ready()
            log.info("monitor %s running: %d feeds, %d topics, model %s", __version__,
                     len(service.feeds), len(rt.config.rules), rt.classifier.version)
            await service.stop.wait()
            log.info("stopping")
            systemd.stopping()
            service.scheduler.shutdown(wait=False)
            await service.finish_polls()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            if http is not None:
                await http.cleanup()
            service.probe.close()
            await _save(rt)
    log.info("stopped")
    return 0


def _install_signals(service: Service) -> None:
    loop = asyncio.get_running_loop()

    def stop(signum: int) -> None:
        if service.stop.is_set():  # a second signal: stop at once
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            os._exit(1)
        log.info("received %s", signal.Signals(signum).name)
        service.stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum)
    loop.add_signal_handler(signal.SIGHUP, service.reload.set)


async def _save(rt: Runtime) -> None:
    """Ask Redis for a snapshot, so the embedded server restarts from a fresh one too."""
    try:
        await rt.io(rt.store.redis.bgsave)
    except Exception as exc:  # best effort: the append-only file already has the state
        log.debug("bgsave: %s", exc)


def _mtime(path: os.PathLike[str]) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0
