"""`monitor run`: the long-running service around the poll pipeline.

A dispatcher that takes due feeds from the schedule shared by every worker in Redis
(schedule.py: each feed polled once an interval, whatever the number of workers), the
outbox sender, optional /healthz and /metrics, systemd readiness and watchdog, and reload
of settings on SIGHUP or when the file changes; serve.py runs it as a process. The loop is
boring on purpose: signal handlers only set flags; shutdown lets in-flight polls finish (or
abandons them before they mark anything) and cleans up in `finally`; a second SIGTERM/SIGINT
exits at once.

Redis is called one way in this process: the synchronous Store and Outbox (the command
line's too) run in the runtime's pool of threads (`rt.io`, redis_threads.py), shared by
the polls, the sender and the health and metrics reads here, never on the event loop, so
a slow Redis delays the call that waits for it and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor import __version__, defaults, health, settings, systemd, wiring
from monitor.delivery.sender import Sender
from monitor.errors import MonitorError, StoreError
from monitor.health import HealthProbe, probe_client
from monitor.pipeline import LEASE_MAX, LEASE_MIN, poll_feed
from monitor.redis_threads import Batched
from monitor.runtime import POLLS_PER_FETCH, FeedConfig, Runtime
from monitor.schedule import Schedule
from monitor.settings import Loaded
from monitor.stopping import end_within, sleep_or_stop

if TYPE_CHECKING:
    from monitor.model.classify import Classifier

log = logging.getLogger("monitor")

STOP_GRACE = 5.0  # seconds in-flight polls get to finish after SIGTERM before being abandoned
WATCH_EVERY = 2.0  # seconds between checks of the settings file for changes
# A feed polled by any worker within this share of its interval is skipped: only a feed
# taken twice (its hold ran out mid-poll) meets it, the schedule spaces polls a whole
# interval apart, less the time a loaded worker takes to begin a poll it took.
MIN_GAP_SHARE = 0.5
TICK = 1.0  # seconds between two looks at the schedule for due feeds
CLOCK_STEP = 60.0  # seconds the wall clock must step back for the schedule to be redone
RESYNC = 300.0  # seconds between two re-entries of this worker's feeds in the shared schedule


@dataclass
class Service:
    loaded: Loaded
    rt: Runtime
    sender: Sender
    dispatcher: asyncio.Task[None] | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    reload: asyncio.Event = field(default_factory=asyncio.Event)
    polls: set[asyncio.Task[object]] = field(default_factory=set)
    polling: set[str] = field(default_factory=set)  # feeds this process is polling now
    resync_at: float = 0.0  # monotonic time of the next re-entry of the feeds (dispatch)
    exit_code: int = 0  # what `monitor run` exits with (1: the embedded Redis was lost)
    feeds: dict[str, FeedConfig] = field(default_factory=dict)
    reload_error: str = ""
    probe: HealthProbe = field(init=False)
    schedule: Schedule = field(init=False)
    due_again: Batched[tuple[str, float], None] = field(init=False)
    model_stamp: wiring.Stamp = (0.0, 0)  # the loaded model file's mtime and size

    def __post_init__(self) -> None:
        self.model_stamp = wiring.stamp(self.loaded.model_path)
        client = probe_client(self.loaded.redis_url, self.rt.store.redis, defaults.HEALTH_TIMEOUT)
        self.probe = HealthProbe(client, self.rt.store.keys.health(self.rt.worker))
        self.schedule = Schedule(self.rt.store.redis, self.rt.store.keys)
        self.due_again = Batched(self.rt.io, self.schedule.due_again)

    # -- scheduling ------------------------------------------------------------------------

    async def sync_schedule(self) -> None:
        """This worker's feeds from the settings; new ones enter the shared schedule."""
        self.feeds = {feed.name: feed for feed in self.rt.config.feeds}
        m = self.loaded.settings.monitor
        disabled = [f.name for f in self.loaded.settings.feeds if f.name not in self.feeds]
        await self.rt.io(self.schedule.sync, [(f.name, f.interval) for f in self.feeds.values()], disabled,
                         time.time(), m.spread)

    def hold(self) -> float:
        """How long a taken feed is this worker's: its lease's time (pipeline.py) for the
        shortest interval, so a dead worker's feeds are due again within half an interval."""
        shortest = min((f.interval for f in self.feeds.values()), default=LEASE_MAX * 2)
        return max(LEASE_MIN, min(LEASE_MAX, shortest / 2))

    async def dispatch(self) -> None:
        """Take due feeds from the shared schedule and poll them, a tick at a time. Every
        RESYNC, and after the schedule could not be read, this worker's feeds are entered
        in it again (a Redis that came back empty, a reload made while it was away, would
        otherwise leave them out for good; entering is NX: their times stay)."""
        self.resync_at = time.monotonic() + RESYNC
        clock = time.time() - time.monotonic()  # moves only when the wall clock is stepped
        while not self.stop.is_set():
            room = POLLS_PER_FETCH * self.rt.config.fetch.concurrency - len(self.polls)
            if room <= 0 and self.polls:  # full until a poll ends (asking took nothing, at once,
                # again and again: a core at 100 % while slow servers held every place)
                await asyncio.wait(set(self.polls), timeout=TICK, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                if time.monotonic() >= self.resync_at:
                    await self.sync_schedule()
                    self.resync_at = time.monotonic() + RESYNC
                clock = await self._after_a_step_back(clock)
                names = await self.rt.io(self.schedule.take, time.time(), self.hold(), room)
            except StoreError as exc:
                log.warning("schedule: %s", exc)
                names, self.resync_at = [], 0.0  # entered again once Redis answers
            for name in names:
                feed = self.feeds.get(name)
                # Not a feed of this worker's settings: another worker's, whose hold runs out.
                # One this process still polls (past its hold: a slow server) is not polled twice.
                if feed is not None and name not in self.polling:
                    self.polling.add(name)
                    task = asyncio.create_task(self._poll(feed))
                    self.polls.add(task)
                    task.add_done_callback(self.polls.discard)
            if len(names) < room:  # nothing more due now
                await sleep_or_stop(self.stop, TICK)
            else:
                await asyncio.sleep(0)

    async def _after_a_step_back(self, clock: float) -> float:
        """The wall clock stepped back (a VM restored, NTP stepping): the schedule's due
        times lie that far ahead, and a feed polled every 10 s waited out an hour's step.
        This worker's feeds are due now; returns the clock's offset now."""
        now = time.time() - time.monotonic()
        if now < clock - CLOCK_STEP:
            log.warning("the clock went back %.0f s: this worker's feeds are due now", clock - now)
            await self.rt.io(self.schedule.due_again, [(name, time.time()) for name in self.feeds])
        return now

    async def _poll(self, feed: FeedConfig) -> None:
        started, cancelled, outcome = time.time(), False, ""
        try:
            outcome = (await poll_feed(self.rt, feed, min_gap=MIN_GAP_SHARE * feed.interval)).outcome
        except asyncio.CancelledError:  # a stop: nothing marked, and due again when its hold
            cancelled = True  # runs out, not a whole interval after the restart
            raise
        finally:
            self.polling.discard(feed.name)
            if not cancelled:
                await self._polled(feed, started, outcome)

    async def _polled(self, feed: FeedConfig, started: float, outcome: str) -> None:
        """A poll ended: the feed is due an interval (and jitter) after it began; one whose
        lease another holds, when this worker's hold would end (a lease left by a poll cut
        short at a stop runs out by then; a live poll's worker sets the interval itself)."""
        jitter = random.uniform(0, self.loaded.settings.monitor.jitter)
        started = min(started, time.time())  # read before the clock stepped back: that far ahead
        due = time.time() + self.hold() if outcome == "leased" else started + feed.interval + jitter
        try:
            await self.due_again((feed.name, due))
            if feed.name not in self.feeds:  # a reload removed it, and pruned, mid-poll:
                self.rt.metrics.retain_feeds(self.feeds)  # the poll counted it again,
                await self.rt.io(self.rt.store.forget_feed, feed.name)  # and saved it again
        except StoreError as exc:  # its hold runs out: due again then
            log.warning("feed '%s': %s", feed.name, exc)

    # -- reload ----------------------------------------------------------------------------

    def apply(self, new: Loaded, model: tuple[Classifier, wiring.Stamp]) -> None:
        """Switch to validated new settings; feeds added start, feeds removed stop."""
        self.rt.classifier, self.model_stamp = model  # its topics checked (wiring.model_in_force)
        show_info(self.rt, new)
        wiring.reconfigure(new, self.rt, self.sender)
        self.loaded = new
        self.feeds = {feed.name: feed for feed in self.rt.config.feeds}
        self.rt.metrics.retain(self.feeds, new.settings.channels, self.rt.config.surges)
        log.info("settings reloaded: %d feeds, %d topics, %d channels", len(self.feeds),
                 len(new.settings.topics), len(new.channel_urls))

    async def try_reload(self) -> None:
        systemd.reloading()
        try:
            new = settings.load(self.loaded.path)
            self.apply(new, await wiring.model_in_force(new, self.loaded, self.model_stamp, self.rt))
        except Exception as exc:  # any failure, a bug too: the watcher must live for the next reload
            expected = isinstance(exc, MonitorError)
            reason = str(exc) if expected else f"{type(exc).__name__}: {exc}"
            log.error("reload refused, keeping the previous settings: %s", reason)
            log.debug("reload refused", exc_info=not expected)  # a bug's traceback (a RecursionError's is long)
            if reason != self.reload_error:  # one ops alert per distinct failure
                await self._tell_ops("Settings reload refused", f"Keeping the previous settings: {reason}")
            self.reload_error = reason
        else:
            if self.reload_error:
                await self._tell_ops("Settings reload succeeded", "The settings file loads again.")
            self.reload_error = ""
            await self._after_reload()
        finally:
            systemd.ready()

    async def _tell_ops(self, title: str, text: str) -> None:
        """Tell ops of a reload, or log why not (a refused alert ended the settings watcher)."""
        try:
            await self.rt.tell_ops(title, text)
        except StoreError as exc:
            log.warning("the ops channel is not told '%s': %s", title, exc)

    async def _after_reload(self) -> None:
        """The new settings are in force: enter their feeds in the schedule and prune what
        they dropped. Redis failing here does not undo the reload: the dispatcher enters the
        feeds once Redis answers, and the next start or reload prunes."""
        try:
            await self.sync_schedule()
            await self.prune()
        except StoreError as exc:
            log.warning("settings reloaded, but %s (the schedule is updated when Redis answers)", exc)
            self.resync_at = 0.0

    async def watch(self) -> None:
        """Reload on SIGHUP or when the settings file or the model file changes."""
        path = self.loaded.path
        seen = (wiring.stamp(path)[0], wiring.stamp(self.loaded.model_path))
        while not self.stop.is_set():
            try:
                await asyncio.wait_for(self.reload.wait(), timeout=WATCH_EVERY)
            except TimeoutError:
                pass
            current = (wiring.stamp(path)[0], wiring.stamp(self.loaded.model_path))
            if self.reload.is_set() or current != seen:
                self.reload.clear()
                seen = current
                await self.try_reload()

    async def prune(self) -> None:
        """Delete the state of feeds and channels no longer in the settings; report it
        (a removed channel's folded alerts are named to the ops channel, never kept)."""
        s = self.loaded.settings
        await self.rt.prune([f.name for f in s.feeds], list(s.channels))

    # -- health ----------------------------------------------------------------------------

    async def unhealthy(self) -> str | None:
        """Why this worker cannot do its job now (None: it can), within a second: Redis
        must take a write (health.py), not only answer."""
        if self.dispatcher is None or self.dispatcher.done():
            return "the dispatcher of due feeds is not running"
        return await self.probe.check()

    async def refresh_metrics(self) -> None:
        try:
            depth, last, memory = await self.rt.io(self._read_metrics, list(self.feeds))
        except StoreError as exc:
            log.warning("metrics: %s", exc)
            return
        m, now = self.rt.metrics, time.time()
        for state, count in depth.items():
            m.outbox.labels(state).set(count)
        for name, success in last.items():
            m.staleness.labels(name).set(now - success if success else float("nan"))
        for what, value in memory.items():
            m.redis.labels(what).set(value)

    def _read_metrics(self, feeds: list[str]) -> tuple[dict[str, int], dict[str, float | None], dict[str, int]]:
        """The outbox depth, each feed's last success and the server's memory: blocking
        reads, run in a thread (one hop for the lot)."""
        states = self.rt.store.feed_states(feeds)  # one pipelined round trip for every feed
        return (self.rt.outbox.depth(), {name: state.last_success for name, state in states.items()},
                self.rt.store.memory())

    async def watchdog(self) -> None:
        interval = systemd.watchdog_interval()
        if not interval:
            return
        while not self.stop.is_set():
            if await self.unhealthy() is None:
                systemd.watchdog_ping()
            await sleep_or_stop(self.stop, interval / 2)

    async def embedded_guard(self) -> None:
        """With the embedded Redis, exit 1 when it is lost for good (health.py)."""
        if not self.loaded.redis_url and await health.wait_until_lost(self.probe, self.stop):
            self.exit_code = 1
            self.stop.set()

    async def finish_polls(self, within: float | None = None) -> None:
        """Let in-flight polls finish (within STOP_GRACE, or less when the stop has less
        left); cancel the rest (a cancelled poll has marked nothing)."""
        await end_within(STOP_GRACE if within is None else min(STOP_GRACE, within), self.polls)


def show_info(rt: Runtime, loaded: Loaded) -> None:
    """`monitor_info`: one series, of the versions running now (a reload replaces it)."""
    rt.metrics.info.clear()
    rt.metrics.info.labels(__version__, rt.classifier.version, str(wiring.stamp(loaded.path)[0])).set(1)
