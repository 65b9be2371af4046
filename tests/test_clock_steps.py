"""A wall clock hours ahead, then set back (NTP stepping it, a VM resumed, a wrong time zone
fixed by hand), on a real Redis: what was written while ahead must not let an item alert
twice."""

from __future__ import annotations

import time

import pytest

from monitor import defaults, store
from monitor.keys import Keys
from monitor.store import Claim, Store
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
