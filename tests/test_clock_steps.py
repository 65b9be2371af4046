"""A wall clock hours ahead, then set back (NTP stepping it, a VM resumed, a wrong time zone
fixed by hand), on a real Redis and feed server: what was written while ahead must neither
let an item alert twice nor keep a feed silent for the hours of the step."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from monitor import defaults, pipeline, seen, store, wiring
from monitor import settings as settings_mod
from monitor.dedup import index as index_module
from monitor.dedup.index import NearDupIndex
from monitor.keys import Keys
from monitor.store import Claim, Store
from tests.articles import OFF_TOPIC, rss
from tests.test_neardup import WIRE, index, item
from tests.test_store_faults import RECORD, Clock

AHEAD = 3 * 3600.0


def test_items_claimed_by_a_clock_ahead_past_midnight_stay_seen_once_it_is_set_back(
        redis_client, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 23:30 the clock ran 3 h ahead: five items were claimed into tomorrow's strings.
    Set back, the lookup and the claim read days up to today (tomorrow's only in its last
    10 min): all five were new again and enqueued their alerts a second time."""
    midnight = (time.time() // defaults.DAY + 1) * defaults.DAY  # keys expire in the future
    clock = Clock(midnight - 1800 + AHEAD)
    monkeypatch.setattr(store, "time", clock)
    st, keys = Store(redis_client, Keys("step:")), Keys("step:")
    ids = [f"https://news.example.org/story/{n}" for n in range(5)]
    claims = [Claim(i, RECORD, ((f"a{n}", '{"alert": 1}'),)) for n, i in enumerate(ids)]
    assert st.claim_many(claims, defaults.SEEN_TTL, 100) == [True] * 5
    clock.now -= AHEAD  # set back: 23:30 again
    assert st.unseen(ids) == [False] * 5
    assert st.claim_many(claims, defaults.SEEN_TTL, 100, checked_at=clock.now) == [False] * 5
    assert redis_client.xlen(keys.outbox) == 5


def _failed_at(client, name: str, at: float, delay: float) -> None:
    """The state a failure saves (pipeline._failed) when the clock read `at`."""
    client.hset(Keys().feed(name), mapping={
        "last_status": "error", "last_error": "HTTP 503", "errors": 1, "last_poll": f"{at:.3f}",
        "retry_at": f"{at + delay:.3f}", "failing_since": f"{at:.3f}"})


def test_a_backoff_stamped_by_a_clock_ahead_does_not_silence_the_feed(feed_server, make_settings,
                                                                      redis_client) -> None:
    """A feed failed once while the clock ran 3 h ahead (backoff 60 s): after the step back
    its retry_at lay 10,860 s ahead and every poll returned 'backoff' for 3 hours. A backoff
    stamped by a clock within CLOCK_SKEW of now, a Retry-After's 2 h included, still holds."""
    for name in ("ahead", "right"):
        feed_server.set(f"/{name}.xml", rss([(f"https://news.example.org/{name}/1", *OFF_TOPIC[0])]))
    loaded = settings_mod.load(make_settings({n: feed_server.url(f"/{n}.xml") for n in ("ahead", "right")}))
    now = time.time()
    _failed_at(redis_client, "ahead", now + AHEAD, 60)
    _failed_at(redis_client, "right", now - 30, 7200)

    async def poll() -> list[str]:
        async with wiring.runtime(loaded) as rt:
            return [(await pipeline.poll_feed(rt, feed, min_gap=3000)).outcome for feed in rt.config.feeds]

    assert asyncio.run(poll()) == ["ok", "backoff"]
    assert (len(feed_server.hits("/ahead.xml")), len(feed_server.hits("/right.xml"))) == (1, 0)
    assert float(redis_client.hget(Keys().feed("ahead"), "retry_at") or 0) == 0  # polled: state mended


def _stepped_index(rc, monkeypatch: pytest.MonkeyPatch, clock: Clock, **cfg: int) -> NearDupIndex:
    monkeypatch.setattr(index_module, "time", clock)  # the index's clock alone
    return index(rc, **cfg)


def test_a_copy_finds_its_story_indexed_by_a_clock_ahead_in_a_later_slice(rc, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 23:30 the clock ran 3 h ahead: the wire item went to tomorrow's slice (1-day slices,
    the default 3-day window). Set back, checks read slices from now + CLOCK_SKEW back: the
    other outlet's copy started a story of its own, a second alert. The record stamped 3 h
    ahead is in the window (its age reads as below 0) until its stamp + the window: the step
    longer than a record stamped by a right clock."""
    midnight = (time.time() // defaults.DAY + 1) * defaults.DAY  # keys expire in the future
    clock = Clock(midnight - 1800 + AHEAD)
    idx = _stepped_index(rc, monkeypatch, clock)
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    clock.now -= AHEAD  # set back: 23:30 again
    copy = idx.check_and_add(item("b", "Bridge shut", WIRE + " Extra line.", "daily"))
    assert not copy.is_new and copy.story_id == first.story_id and copy.n_sources == 2
    clock.now += defaults.DEDUP_WINDOW + 1  # past the copy's window, in the first's (stamped 3 h on)
    late = idx.check_and_add(item("c", "Bridge shut again", WIRE + " Another line.", "third"))
    assert not late.is_new and late.story_id == first.story_id and late.n_sources == 3


def test_a_short_window_reads_as_far_ahead_as_back(rc, monkeypatch: pytest.MonkeyPatch) -> None:
    """Window 1 h in 20-min slices: an item indexed by a clock 50 min ahead is found once it is
    set back (slices are read to now + the window: as many slices ahead as back)."""
    start = (time.time() // 1200 + 1) * 1200 + 1  # the next slice's first second
    clock = Clock(start + 3000)
    idx = _stepped_index(rc, monkeypatch, clock, window_seconds=3600, slices=3)
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    clock.now = start + 60  # set back, 2 slices before the record's
    copy = idx.check_and_add(item("b", "Bridge shut", WIRE + " Extra line.", "daily"))
    assert not copy.is_new and copy.story_id == first.story_id


def test_a_copy_finds_its_story_indexed_by_a_clock_two_days_ahead(rc, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default 3-day window in 1-day slices: a clock 2 days ahead indexed the wire item two
    slices on. Set back, checks read slices up to a day ahead (CLOCK_AHEAD): the other
    outlet's copy started a story of its own, a second alert. They read the window ahead."""
    now = time.time()
    clock = Clock(now + 2 * defaults.DAY)
    idx = _stepped_index(rc, monkeypatch, clock)
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    clock.now = now  # set back
    copy = idx.check_and_add(item("b", "Bridge shut", WIRE + " Extra line.", "daily"))
    assert not copy.is_new and copy.story_id == first.story_id and copy.n_sources == 2


def test_items_claimed_by_a_clock_days_ahead_stay_seen_once_it_is_set_back(
        redis_client, monkeypatch: pytest.MonkeyPatch) -> None:
    """A VM's clock ran 3 days ahead: five items were claimed into the strings of a day three
    days on. Set back, lookups and claims read up to tomorrow (CLOCK_AHEAD): all five were new
    again and enqueued their alerts a second time. They read to the latest day a claim wrote."""
    now = time.time()
    clock = Clock(now + 3 * defaults.DAY)
    monkeypatch.setattr(store, "time", clock)
    st, keys = Store(redis_client, Keys("step:")), Keys("step:")
    ids = [f"https://news.example.org/story/{n}" for n in range(5)]
    claims = [Claim(i, RECORD, ((f"a{n}", '{"alert": 1}'),)) for n, i in enumerate(ids)]
    assert st.unseen(ids) == [True] * 5
    assert st.claim_many(claims, defaults.SEEN_TTL, 100) == [True] * 5
    clock.now = now  # set back
    assert st.unseen(ids) == [False] * 5
    assert st.claim_many(claims, defaults.SEEN_TTL, 100, checked_at=clock.now) == [False] * 5
    assert st.claim_many(claims, defaults.SEEN_TTL, 100) == [False] * 5
    assert redis_client.xlen(keys.outbox) == 5


def _gets(client, read: Callable[[], object]) -> int:
    """The GETs Redis ran (its scripts' included) for `read`."""
    client.config_resetstat()
    read()
    return int(client.info("commandstats").get("cmdstat_get", {}).get("calls", 0))


def test_a_claim_by_a_clock_years_ahead_does_not_make_lookups_read_past_the_window(
        redis_client, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock 10 years ahead claims an item: lookups read on to the latest day written only
    up to the seen window's length ahead (a GET an item a day: 3,650 more an item, here). An
    item claimed 2 days ahead, within the 3-day window, is still found."""
    now, ttl = time.time(), 3 * defaults.DAY
    clock = Clock(now + 2 * defaults.DAY)
    monkeypatch.setattr(store, "time", clock)
    st, keys = Store(redis_client, Keys("step:")), Keys("step:")
    assert st.claim_many([Claim("two-days", RECORD)], ttl, 100) == [True]
    clock.now = now + 3650 * defaults.DAY
    assert st.claim_many([Claim("years", RECORD)], ttl, 100) == [True]
    assert int(redis_client.get(keys.seen_latest) or 0) == seen.today(clock.now)
    assert 0 < redis_client.ttl(keys.seen_latest) <= seen.latest_kept(ttl)  # as keys.py bounds it
    clock.now = now  # set back
    first, _ = seen.days(now, ttl)
    window = seen.farthest(now, ttl) - first + 1  # 3 days back, today, 3 ahead
    assert _gets(redis_client, lambda: st.unseen(["new"], ttl)) == 1 + window  # the latest day's and 7
    assert st.unseen(["two-days", "new"], ttl) == [False, True]
    assert _gets(redis_client, lambda: st.claim_many([Claim("new", RECORD)], ttl, 100)) == 1 + window


def test_keys_written_by_a_clock_years_ahead_live_no_longer_than_their_window(
        redis_client, rc, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock 10 years ahead claims an item and indexes a story: the seen string and the
    near-dup slice's keys expired at that clock's day end + the window (EXPIREAT, read on
    Redis's clock), so set back they stayed ten years, memory never given back. Their lives
    are now counted in seconds on Redis's clock: the window and a day (a slice) at most."""
    clock = Clock(time.time() + 3650 * defaults.DAY)
    monkeypatch.setattr(store, "time", clock)
    st, keys = Store(redis_client, Keys("step:")), Keys("step:")
    assert st.claim_many([Claim("years", RECORD)], defaults.SEEN_TTL, 100) == [True]
    strings = list(redis_client.scan_iter(match=f"{keys.seen_buckets}*"))
    assert strings
    most = defaults.SEEN_TTL + defaults.DAY + seen.CLOCK_SKEW + 2
    assert all(0 < redis_client.ttl(k) <= most for k in strings)
    idx = _stepped_index(rc, monkeypatch, clock)
    idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    slice_keys = [k for k in rc.scan_iter(match="*nd:*") if rc.ttl(k) != -1]
    assert slice_keys
    most = defaults.DEDUP_WINDOW + defaults.DAY + seen.CLOCK_SKEW + 2
    assert all(0 < rc.ttl(k) <= most for k in slice_keys), {k: rc.ttl(k) for k in slice_keys}
