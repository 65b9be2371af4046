"""Settings reloaded into a running service, on a real Redis and feed server: what the
settings sized or named at start follows the new file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor import settings, wiring
from monitor.pipeline import poll_feed, poll_once
from monitor.service import Service
from tests.articles import OFF_TOPIC, ON_TOPIC, rss
from tests.conftest import FeedServer

FETCH_SECONDS = 0.3  # each feed answers this late: fetches under way at once overlap


def with_concurrency(path: Path, concurrency: int) -> Path:
    path.write_text(path.read_text().replace("[monitor]\n", f"[monitor]\nconcurrency = {concurrency}\n", 1))
    return path


def most_at_once(spans: list[tuple[float, float]]) -> int:
    return max(sum(a <= t < b for a, b in spans) for t, _ in spans)


class Fetches:
    """Each poll's fetch stage, from the poll's start of it: its waits for a place among
    the polls in flight and for a connection included."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []

    def stage(self, name: str, started: float, ended: float, items: int) -> None:
        if name == "fetch":
            self.spans.append((started, ended))


def test_a_reload_raising_concurrency_fetches_that_many_feeds_at_once(feed_server: FeedServer,
                                                                       make_settings) -> None:
    """The bound on polls in flight (4 x concurrency) and the HTTP sessions' connection
    limit were sized by the settings of the first poll: after a reload from 1 to 2 the
    feeds were still fetched one at a time, four polls at a time."""
    feeds = {f"f{n}": feed_server.url(f"/f{n}.xml") for n in range(16)}
    for n in range(16):
        feed_server.set(f"/f{n}.xml", rss([(f"https://news.example.org/f{n}/1", *OFF_TOPIC[0])]))
    loaded = settings.load(with_concurrency(make_settings(feeds), 1))
    fetches = Fetches()

    async def go() -> tuple[list[str], bool]:
        async with wiring.runtime(loaded) as rt:
            svc = Service(loaded, rt, wiring.sender(loaded, rt))
            await poll_once(rt)  # polled under concurrency 1, as a running service has
            first = rt.session_for(rt.config.feeds[0])
            with_concurrency(make_settings(feeds), 2)
            await svc.try_reload()
            for route in feed_server.routes.values():
                route.delay = FETCH_SECONDS
            feed_server.requests.clear()
            rt.observers.append(fetches)
            return [r.outcome for r in await poll_once(rt, force=True)], first.closed

    outcomes, closed = asyncio.run(go())
    assert outcomes == ["not_modified"] * 16
    answering = [(hit["time"], hit["time"] + FETCH_SECONDS) for hit in feed_server.requests]
    assert (most_at_once(answering), most_at_once(fetches.spans)) == (2, 8)
    assert closed  # the sessions the reload replaced, once their polls had ended


def test_a_reload_drops_the_series_of_removed_channels_and_topics(feed_server: FeedServer, json_receiver,
                                                                  second_receiver, make_settings) -> None:
    """`retain_feeds` dropped a removed feed's series; a removed channel's sends and a removed
    topic's surge counts stayed on /metrics, the gauges frozen, until a restart. An alert
    queued for the removed channel, failing as "not configured", brought its series back."""
    def story(n: int) -> str:
        return rss([(f"https://news.example.org/a/{k}", *ON_TOPIC[k]) for k in range(n)])

    feed_server.set("/a.xml", story(1))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url, "old": second_receiver.url})
    text = path.read_text()
    path.write_text(text.replace('notify = ["hook", "old"]', 'notify = ["hook", "old"]\nsurge = true'))
    loaded = settings.load(path)
    kept = text.replace("[topics.turkey_russia_syria]", "[topics.israel_gaza]").replace(
        'notify = ["hook", "old"]', 'notify = ["hook"]').replace(f'[channels.old]\nurl = "{second_receiver.url}"', "")

    async def go() -> tuple[str, str]:
        async with wiring.runtime(loaded) as rt:
            svc = Service(loaded, rt, wiring.sender(loaded, rt))
            await poll_once(rt)
            assert await svc.sender.drain() == 2  # one alert to each channel
            before = rt.metrics.render().decode()
            feed_server.set("/a.xml", story(2))
            await poll_once(rt)  # one more alert to each, waiting in the outbox
            path.write_text(kept)
            await svc.try_reload()
            await svc.sender.drain()  # 'hook' sends; 'old' is no longer configured
            return before, rt.metrics.render().decode()

    before, after = asyncio.run(go())
    assert 'channel="old"' in before and 'topic="turkey_russia_syria"' in before
    assert 'topic="turkey_russia_syria"' not in after
    assert 'channel="old"' not in after
    assert 'monitor_sends_total{channel="hook",result="ok"} 2.0' in after
    assert len(json_receiver.received) == 2 and len(second_receiver.received) == 1


def test_two_reloads_do_not_close_the_sessions_a_poll_fetches_with(feed_server: FeedServer, make_settings) -> None:
    """A poll counted in the sessions in force when it began fetches with those in force
    when its fetch starts: after a first reload, the second set. A second reload retired
    that set with no poll counted in it, and the next poll to end closed it under the
    fetch ("Connector is closed.": the feed's poll failed, backoff and all)."""
    feed_server.set("/slow.xml", rss([("https://news.example.org/s/1", *OFF_TOPIC[0])]), delay=1.0)
    path = make_settings({"slow": feed_server.url("/slow.xml")})
    text = path.read_text()
    loaded = settings.load(with_concurrency(path, 1))

    async def go() -> str:
        async with wiring.runtime(loaded) as rt:
            svc = Service(loaded, rt, wiring.sender(loaded, rt))
            ends = [asyncio.Event() for _ in range(rt.polls_at_once)]

            async def other_poll(end: asyncio.Event) -> None:
                async with rt.in_flight():
                    await end.wait()

            others = [asyncio.create_task(other_poll(end)) for end in ends]  # every place taken
            poll = asyncio.create_task(poll_feed(rt, rt.config.feeds[0], force=True))
            while rt.http is None or rt.http.polls < len(ends) + 1:  # waiting for a place
                await asyncio.sleep(0.01)
            path.write_text(text)
            with_concurrency(path, 2)
            await svc.try_reload()  # a second set (B)
            ends[0].set()  # a place: the slow feed's poll fetches, with B
            while not feed_server.hits("/slow.xml"):
                await asyncio.sleep(0.01)
            path.write_text(text)
            with_concurrency(path, 3)
            await svc.try_reload()  # a third (C): B retired, no poll counted in it
            ends[1].set()  # another poll ends: retired sets are closed
            result = await poll
            for end in ends:
                end.set()
            await asyncio.gather(*others)
            return f"{result.outcome} {result.error or ''}".strip()

    assert asyncio.run(go()) == "ok"


def test_a_send_under_way_as_a_reload_removes_its_channel_is_not_counted(feed_server: FeedServer, json_receiver,
                                                                         second_receiver, make_settings) -> None:
    """The sender counted a send by the channel it had looked up before sending: an alert
    being sent to a channel as a reload removed it brought the channel's series back after
    the reload had dropped it, until the next reload or a restart."""
    import threading

    feed_server.set("/a.xml", rss([("https://news.example.org/a/0", *ON_TOPIC[0])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url, "old": second_receiver.url})
    text = path.read_text()
    loaded = settings.load(path)
    kept = text.replace('notify = ["hook", "old"]', 'notify = ["hook"]').replace(
        f'[channels.old]\nurl = "{second_receiver.url}"', "")
    second_receiver.hold = threading.Event()

    async def go() -> str:
        async with wiring.runtime(loaded) as rt:
            svc = Service(loaded, rt, wiring.sender(loaded, rt))
            await poll_once(rt)
            drain = asyncio.create_task(svc.sender.drain())
            await asyncio.to_thread(second_receiver.arrived.wait, 10)  # 'old' is sending
            path.write_text(kept)
            await svc.try_reload()
            assert second_receiver.hold is not None
            second_receiver.hold.set()  # its send ends, after the reload
            await drain
            return rt.metrics.render().decode()

    after = asyncio.run(go())
    assert len(second_receiver.received) == 1  # sent
    assert 'channel="old"' not in after
    assert 'monitor_sends_total{channel="hook",result="ok"} 1.0' in after
