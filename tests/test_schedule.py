"""The schedule shared through Redis: feeds taken once by one worker, spread first polls,
and `poll --once` bounded by `concurrency`; on a real Redis and a real feed server."""

from __future__ import annotations

import asyncio
import collections
import time

import pytest

from monitor import settings, wiring
from monitor.keys import Keys
from monitor.pipeline import poll_once
from monitor.schedule import Schedule
from monitor.service import Service
from tests.articles import OFF_TOPIC, rss


def test_workers_take_each_due_feed_once_and_a_dead_workers_feeds_come_back(redis_client) -> None:
    one, two = Schedule(redis_client, Keys("t:")), Schedule(redis_client, Keys("t:"))
    one.sync([(f"f{n}", 100.0) for n in range(10)], [], now=1000.0, spread=True)
    assert one.due_times() == {f"f{n}": 1000.0 + 10 * n for n in range(10)}  # spread over the interval
    two.sync([(f"f{n}", 100.0) for n in range(12)], ["f9"], now=5000.0, spread=True)  # a later start
    due = one.due_times()
    assert due["f0"] == 1000.0 and "f9" not in due  # scheduled feeds keep their time; f9 is disabled
    assert due["f10"] == pytest.approx(5000.0 + 100 * 10 / 12)  # a new one has its place in the spread
    first = one.take(now=1045.0, hold=30, limit=3)
    second = two.take(now=1045.0, hold=30, limit=10)
    assert first == ["f0", "f1", "f2"] and second == ["f3", "f4"]  # none taken twice
    assert one.take(now=1070.0, hold=30, limit=10) == ["f5", "f6", "f7"]
    two.due_again([("f3", 1145.0), ("f99", 1.0)])  # f99 is not scheduled: it stays out
    assert two.take(now=1076.0, hold=30, limit=10) == ["f0", "f1", "f2", "f4"]  # not done within the hold
    assert "f99" not in one.due_times() and one.due_times()["f3"] == 1145.0


@pytest.mark.slow  # three workers over three intervals of 2 s each: ~8 s
def test_three_workers_poll_each_feed_once_an_interval_spread_over_it(feed_server, make_settings) -> None:
    feeds = 12
    for n in range(feeds):
        feed_server.set(f"/f{n}.xml", rss([(f"https://news.example.org/f{n}/other", *OFF_TOPIC[n % 3])]))
    path = make_settings({f"f{n}": feed_server.url(f"/f{n}.xml") for n in range(feeds)})
    path.write_text(path.read_text().replace('interval = "1h"', 'interval = "2s"').replace(
        "spread = false", "spread = true"))
    loaded = settings.load(path)

    async def three_workers() -> tuple[list[Service], float]:
        services = []
        for _ in range(3):
            rt = wiring.runtime(loaded)
            await rt.__aenter__()
            services.append(Service(loaded, rt, wiring.sender(loaded, rt)))
        began = time.time()
        for service in services:
            await service.sync_schedule()
            service.dispatcher = asyncio.create_task(service.dispatch())
        await asyncio.sleep(6.5)
        for service in services:
            service.stop.set()
        for service in services:
            await service.dispatcher
            await service.finish_polls()
            await service.rt.__aexit__(None, None, None)
        return services, began

    services, began = asyncio.run(three_workers())
    times: dict[str, list[float]] = collections.defaultdict(list)
    for request in feed_server.requests:
        times[request["path"]].append(request["time"] - began)
    # Three intervals (a loaded machine may begin a poll late, never early).
    assert len(times) == feeds and all(2 <= len(t) <= 4 for t in times.values()), times
    for stamps in times.values():  # never twice within an interval (less a late poll's lag)
        assert all(b - a >= 0.75 * 2 for a, b in zip(stamps, stamps[1:], strict=False)), stamps
    firsts = sorted(t[0] for t in times.values())
    assert firsts[-1] - firsts[0] >= 1.0  # spread over the first 2 s interval, not one burst
    outcomes = collections.Counter()
    for service in services:
        for sample in service.rt.metrics.polls.collect()[0].samples:
            if sample.name.endswith("_total"):
                outcomes[sample.labels["outcome"]] += int(sample.value)
    assert outcomes["leased"] == 0 and outcomes["ok"] + outcomes["not_modified"] == len(feed_server.requests)


def test_poll_once_runs_at_most_4x_concurrency_polls_at_once(feed_server, make_settings) -> None:
    for n in range(16):
        feed_server.set(f"/f{n}.xml", rss([(f"https://news.example.org/f{n}/x", *OFF_TOPIC[0])]), delay=0.3)
    path = make_settings({f"f{n}": feed_server.url(f"/f{n}.xml") for n in range(16)})
    path.write_text(path.read_text().replace("[monitor]\n", "[monitor]\nconcurrency = 1\n", 1))
    loaded = settings.load(path)
    fetches: list[tuple[float, float]] = []

    class Fetches:
        def stage(self, name: str, started: float, ended: float, items: int) -> None:
            if name == "fetch":
                fetches.append((started, ended))

    async def run() -> None:
        async with wiring.runtime(loaded) as rt:
            rt.observers.append(Fetches())
            assert [r.outcome for r in await poll_once(rt)] == ["ok"] * 16

    asyncio.run(run())
    # Every fetch timed from its poll's start of it, waits for the one connection included:
    # at most 4 polls fetch at once (all 16, as before, when every poll began together).
    most = max(sum(a <= t < b for a, b in fetches) for t, _ in fetches)
    assert most == 4, most
