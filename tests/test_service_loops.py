"""The service's own loops over a long run: the dispatcher when every place to poll is
taken, and the settings watcher when the ops channel cannot be told of a reload."""

from __future__ import annotations

import asyncio
import time

import pytest

from monitor import settings, wiring
from monitor.delivery.outbox import Outbox
from monitor.errors import StoreError
from monitor.keys import Keys
from monitor.runtime import POLLS_PER_FETCH
from monitor.schedule import Schedule
from monitor.service import Service
from tests.articles import OFF_TOPIC, rss
from tests.test_service_faults import dispatching


def test_a_full_dispatcher_waits_for_a_poll_to_end(feed_server, make_settings, monkeypatch) -> None:
    """Fault: with every place taken (slow servers, `concurrency` 1) the dispatcher asked the
    schedule for 0 feeds, got none, and asked again at once: ~16,500 times and a whole core
    in a second. Now it waits for a poll to end, and then takes the next feed at once."""
    feeds = POLLS_PER_FETCH + 2
    for n in range(feeds):
        feed_server.set(f"/{n}.xml", rss([(f"https://news.example.org/{n}/1", *OFF_TOPIC[0])]), delay=1.5)
    path = make_settings({f"f{n}": feed_server.url(f"/{n}.xml") for n in range(feeds)})
    path.write_text(path.read_text().replace("[monitor]\n", "[monitor]\nconcurrency = 1\n", 1))
    calls: list[int] = []
    real = Schedule.take

    def take(self, now, hold, limit):
        calls.append(limit)
        return real(self, now, hold, limit)

    monkeypatch.setattr(Schedule, "take", take)

    async def run() -> tuple[int, float]:
        async with dispatching(settings.load(path)) as svc:
            await asyncio.sleep(0.4)  # every place taken, two feeds waiting
            assert len(svc.polls) == POLLS_PER_FETCH
            calls.clear()
            cpu = time.process_time()
            await asyncio.sleep(0.8)
            saturated, cpu = len(calls), time.process_time() - cpu
            for _ in range(100):  # polls end: the waiting feeds are taken
                if all(feed_server.hits(f"/{n}.xml") for n in range(feeds)):
                    break
                await asyncio.sleep(0.1)
            return saturated, cpu

    saturated, cpu = asyncio.run(run())
    assert saturated <= 2 and cpu < 0.4, f"{saturated} looks at the schedule, {cpu:.2f} s of CPU"
    assert all(feed_server.hits(f"/{n}.xml") for n in range(feeds))


def test_the_watcher_outlives_an_ops_alert_redis_refuses(feed_server, make_settings, monkeypatch) -> None:
    """Fault: a reload refused while Redis refused the ops alert raised out of the watcher,
    which ended: no later edit or SIGHUP was read, and health said nothing of it. Now the
    alert is logged as not sent, and the next good edit reloads."""
    feed_server.set("/a.xml", rss([("https://news.example.org/a/1", *OFF_TOPIC[0])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, channels={"ops": "console://"})
    good = path.read_text().replace("[monitor]\n", '[monitor]\nops_channel = "ops"\n', 1)
    path.write_text(good)

    def refused(self, alert):
        raise StoreError("Redis refuses writes (test)")

    async def run() -> tuple[bool, int]:
        loaded = settings.load(path)
        async with wiring.runtime(loaded) as rt:
            svc = Service(loaded, rt, wiring.sender(loaded, rt))
            monkeypatch.setattr(Outbox, "enqueue", refused)
            path.write_text(good + "\n[[[broken")
            await svc.try_reload()
            alive_after_refusal = svc.reload_error != ""
            monkeypatch.undo()
            path.write_text(good.replace('interval = "1h"', 'interval = "2h"'))
            await svc.try_reload()
            return alive_after_refusal, int(svc.feeds["a"].interval)

    assert asyncio.run(run()) == (True, 7200)


pytestmark = pytest.mark.slow


def test_a_poll_under_way_as_the_clock_steps_back_is_not_pushed_back_by_the_step(
        feed_server, make_settings, redis_client) -> None:
    """Fault: a poll's start was read before the wall clock stepped back an hour; its feed
    was then due an interval after that start, an hour late, though the step had made every
    feed of the worker due at once."""
    feed_server.set("/a.xml", rss([("https://news.example.org/a/1", *OFF_TOPIC[0])]))
    path = make_settings({"a": feed_server.url("/a.xml")})
    path.write_text(path.read_text().replace('interval = "1h"', 'interval = "10m"'))

    async def run() -> float:
        loaded = settings.load(path)
        async with wiring.runtime(loaded) as rt:
            svc = Service(loaded, rt, wiring.sender(loaded, rt))
            await svc.sync_schedule()
            await svc._polled(svc.feeds["a"], time.time() + 3600, "ok")  # started "an hour ahead"
            return float(redis_client.zscore(Keys().schedule, "a")) - time.time()

    assert asyncio.run(run()) <= 600 + settings.load(path).settings.monitor.jitter
