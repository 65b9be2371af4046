"""A wall clock hours ahead, then set back (NTP stepping it, a VM resumed, a wrong time zone
fixed by hand), on a real Redis and feed server: what was written while ahead must neither
let an item alert twice nor keep a feed silent for the hours of the step."""

from __future__ import annotations

import asyncio
import time

import pytest

from monitor import defaults, pipeline, store, wiring
from monitor import settings as settings_mod
from monitor.keys import Keys
from monitor.store import Claim, Store
from tests.articles import OFF_TOPIC, rss
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
