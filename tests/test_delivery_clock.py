"""Delivery after a wall clock that ran hours ahead is set back (an NTP step, a VM resumed),
on the embedded Redis and a real receiver. What the sender stamped while ahead (its sends
in the channel's hour, the digest clock, a Retry-After pause) silenced the channel until
the true clock caught up; a stamp more than CLOCK_SKEW ahead is now read as stale. Clocks
within CLOCK_SKEW of each other still keep every limit (the second test of each pair)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from monitor import codec
from monitor.delivery import retry as retry_module
from monitor.delivery.outbox import Outbox
from monitor.delivery.policy import ChannelPolicy
from monitor.delivery.retry import RetryPolicy
from monitor.delivery.sender import ChannelConfig, Sender
from monitor.items import Queued
from monitor.keys import Keys
from monitor.seen import CLOCK_SKEW
from tests.test_cli import monitor
from tests.test_delivery import T0, Clock, alert, drain, make_sender
from tests.test_policy_faults import DAILY, goes_when_shown, held_due, utc

AHEAD = 3 * 3600.0  # how far the clock ran ahead before it was set back
HOURLY = ChannelPolicy(mode="digest", digest_every=3600.0)


def limited(receiver_url: str, per_hour: int = 2) -> dict[str, ChannelConfig]:
    return {"hook": ChannelConfig(receiver_url, ChannelPolicy(max_per_hour=per_hour))}


# -- the channel's hour (max_per_hour) -------------------------------------------------------

def test_sends_stamped_by_a_clock_since_set_back_leave_the_hour(redis_client, json_receiver) -> None:
    clock = Clock(T0 + AHEAD)
    s, outbox = make_sender(redis_client, limited(json_receiver.url), clock)
    for n in range(3):
        outbox.enqueue(alert(n))
    assert drain(s) == 2 and outbox.waiting("hook") == 1  # the hour is full: the third folded
    clock.now = T0 + 60  # set back
    assert held_due(redis_client, ChannelPolicy(max_per_hour=2), clock.now) == clock.now
    assert drain(s) == 1 and outbox.waiting("hook") == 0  # its digest at once (was: ~4 h later)
    for n in range(3, 6):
        outbox.enqueue(alert(n))
    assert drain(s) == 1 and outbox.waiting("hook") == 2  # with the right clock, 2 an hour again
    assert outbox.sent_last_hour("hook", clock.now) == 2
    due = T0 + 60 + 3600 + 60  # the minute after the two sends leave the hour (its edge counts)
    assert held_due(redis_client, ChannelPolicy(max_per_hour=2), clock.now) == due  # `monitor outbox`
    goes_when_shown(s, clock, due)
    assert len(json_receiver.received) == 5


def test_sends_stamped_by_a_clock_ahead_within_the_skew_still_fill_the_hour(redis_client, json_receiver) -> None:
    right, ahead = Clock(T0), Clock(T0 + CLOCK_SKEW - 60)
    first, outbox = make_sender(redis_client, limited(json_receiver.url), ahead, consumer="w1")
    second, _ = make_sender(redis_client, limited(json_receiver.url), right, consumer="w2")
    outbox.enqueue(alert(1))
    assert drain(first) == 1
    outbox.enqueue(alert(2))
    assert drain(second) == 1  # its send's trim keeps the other's, 9 min ahead
    outbox.enqueue(alert(3))
    assert drain(second) == 0 and outbox.waiting("hook") == 1
    right.now = T0 + 3601  # alert 2 left the hour, alert 1 (stamped 9 min later) not yet
    assert drain(second) == 1  # the digest of alert 3
    outbox.enqueue(alert(4))
    assert drain(second) == 0 and outbox.waiting("hook") == 1 and len(json_receiver.received) == 3


# -- the digest clock ----------------------------------------------------------------------------

def test_a_digest_clock_stamped_by_a_clock_since_set_back_is_due(redis_client, json_receiver) -> None:
    clock = Clock(T0 + AHEAD)
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, HOURLY)}, clock)
    outbox.enqueue(alert(1))
    assert drain(s) == 0  # folded: the digest clock starts 3 h ahead
    clock.now = T0  # set back: the hourly digest waited 4 h
    assert held_due(redis_client, HOURLY, clock.now) == T0
    assert drain(s) == 1
    outbox.enqueue(alert(2))
    assert drain(s) == 0
    assert held_due(redis_client, HOURLY, clock.now) == T0 + 3600
    goes_when_shown(s, clock, T0 + 3600)  # with the right clock, hourly again: not a minute sooner


def test_a_digest_at_fold_stamped_by_a_clock_since_set_back_goes_today(redis_client, json_receiver) -> None:
    """A fold stamped 09:00 by a clock 3 h ahead of 06:00: the 08:00 digest passed it by
    (a `digest_at` time before its fold) and it waited till tomorrow's."""
    clock = Clock(utc(3, 2, 9))
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, DAILY)}, clock)
    outbox.enqueue(alert(1))
    assert drain(s) == 0
    clock.now = utc(3, 2, 6)  # set back
    assert drain(s) == 1
    outbox.enqueue(alert(2))
    assert drain(s) == 0
    goes_when_shown(s, clock, held_due(redis_client, DAILY, clock.now))
    assert clock.now == utc(3, 2, 8)


def test_a_digest_clock_ahead_within_the_skew_keeps_the_period(redis_client, json_receiver) -> None:
    ahead, right = Clock(T0 + CLOCK_SKEW), Clock(T0)
    first, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, HOURLY)}, ahead, "w1")
    second, _ = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, HOURLY)}, right, consumer="w2")
    outbox.enqueue(alert(1))
    assert drain(first) == 0  # the digest clock starts 10 min ahead of the right clock
    assert drain(second) == 0 and held_due(redis_client, HOURLY, right.now) == T0 + CLOCK_SKEW + 3600
    goes_when_shown(second, right, T0 + CLOCK_SKEW + 3600)


# -- a Retry-After pause ----------------------------------------------------------------------

def test_a_pause_set_by_a_clock_since_set_back_is_over(redis_client, json_receiver) -> None:
    clock = Clock(T0 + AHEAD)
    first, outbox = make_sender(redis_client, limited(json_receiver.url, 0), clock, consumer="w1")
    second, _ = make_sender(redis_client, limited(json_receiver.url, 0), clock, consumer="w2")
    json_receiver.fail_next, json_receiver.retry_after = 1, "60"
    outbox.enqueue(alert(1))
    assert drain(first) == 0  # paused until 60 s after the clock 3 h ahead
    clock.now = T0 + 120  # set back: the pause held the channel 3 h longer than asked
    outbox.enqueue(alert(2))
    assert drain(second) == 2  # the pause read from Redis; alert 1, the 429's, released (below)
    outbox.enqueue(alert(3))
    assert drain(first) == 1  # the sender's own
    assert [m["title"] for m in json_receiver.received] == ["[T1] Story 2", "[T1] Story 1", "[T1] Story 3"]


def test_the_longest_pause_set_by_a_clock_ahead_within_the_skew_holds(redis_client, json_receiver) -> None:
    ahead, right = Clock(T0 + CLOCK_SKEW), Clock(T0)
    first, outbox = make_sender(redis_client, limited(json_receiver.url, 0), ahead, consumer="w1")
    second, _ = make_sender(redis_client, limited(json_receiver.url, 0), right, consumer="w2")
    json_receiver.fail_next, json_receiver.retry_after = 1, "999999"  # capped at RETRY_AFTER_MAX, 1 h
    outbox.enqueue(alert(1))
    assert drain(first) == 0
    outbox.enqueue(alert(2))
    assert drain(second) == 0 and outbox.depth()["retry"] == 2  # deferred to the pause's end
    right.now = T0 + CLOCK_SKEW + 3600 - 1
    assert drain(second) == 0 and json_receiver.received == []


# -- retries and deferrals ---------------------------------------------------------------------

def test_retries_put_back_by_a_clock_since_set_back_are_released(redis_client, json_receiver) -> None:
    """A failed send's backoff, a 429's Retry-After and a deferral to its pause's end, all
    stamped by a clock 3 h ahead: after the step back they waited the 3 h in the retry set
    (none is due later than RETRY_AFTER_MAX or send_backoff_max + CLOCK_SKEW from now)."""
    clock = Clock(T0 + AHEAD)
    s, outbox = make_sender(redis_client, limited(json_receiver.url, 0), clock)
    json_receiver.fail_next = 1
    outbox.enqueue(alert(1))
    assert drain(s) == 0  # a 503: retry after ~10 s by the clock ahead
    json_receiver.fail_next, json_receiver.retry_after = 1, "600"
    outbox.enqueue(alert(2))
    assert drain(s) == 0  # a 429: retry after 600 s, the channel paused as long
    outbox.enqueue(alert(3))
    assert drain(s) == 0 and outbox.depth()["retry"] == 3  # deferred to the pause's end
    clock.now = T0 + 60  # set back
    assert drain(s) == 3 and outbox.depth()["retry"] == 0
    assert sorted(m["title"] for m in json_receiver.received) == [f"[T1] Story {n}" for n in (1, 2, 3)]


def test_the_longest_backoff_from_a_clock_ahead_within_the_skew_holds(redis_client, json_receiver,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """send_backoff_max 2 h, longer than RETRY_AFTER_MAX: the longest backoff (its jitter at
    the top) set by a clock 10 min ahead is held by a right clock to its last second."""
    monkeypatch.setattr(retry_module.random, "uniform", lambda low, high: high)
    ahead, right = Clock(T0 + CLOCK_SKEW), Clock(T0)
    outbox = Outbox(redis_client, Keys(), "w1")
    outbox.ensure_group()
    retry = RetryPolicy(5, base=7200, cap=7200)
    first, second = (Sender(outbox, limited(json_receiver.url, 0), Path("/tmp"), retry, 60, clock=clock)
                     for clock in (ahead, right))
    json_receiver.fail_next = 1
    outbox.enqueue(alert(1))
    assert drain(first) == 0
    [(_, due)] = redis_client.zrange(Keys().retry, 0, -1, withscores=True)
    assert due == T0 + CLOCK_SKEW + 7200
    assert drain(second) == 0 and outbox.depth()["retry"] == 1  # at once: still held
    right.now = due - 1
    assert drain(second) == 0 and json_receiver.received == []
    right.now = due
    assert drain(second) == 1


@pytest.mark.slow
def test_monitor_outbox_shows_retries_put_back_by_a_clock_since_set_back_as_going_now(
        redis_client, json_receiver, make_settings) -> None:
    """`monitor outbox` showed a 503's retry, a 429's and a deferral to its pause's end, all
    stamped by a clock 3 h ahead, as going "in 3 h (HH:MM UTC)" after the step back, while the
    sender releases them at its next round. A retry a right clock put back still shows its time."""
    clock = Clock(time.time() + AHEAD)
    s, outbox = make_sender(redis_client, limited(json_receiver.url, 0), clock)
    json_receiver.fail_next = 1
    outbox.enqueue(alert(1))
    assert drain(s) == 0  # a 503
    json_receiver.fail_next, json_receiver.retry_after = 1, "600"
    outbox.enqueue(alert(2))
    outbox.enqueue(alert(3))
    assert drain(s) == 0 and outbox.depth()["retry"] == 3  # a 429, and alert 3 deferred to its pause's end
    right = time.time() + 600  # as a right clock's 10-min backoff
    redis_client.zadd(Keys().retry, {codec.encode_queued(Queued(alert(4), 1, "HTTP 503")): right})
    path = make_settings({}, {"hook": json_receiver.url})
    table = [line for line in monitor("outbox", settings=path).stdout.splitlines() if line.startswith("retrying")]
    assert len(table) == 4 and sum("now (clock set back)" in line for line in table) == 3, table
    [line] = [line for line in table if "a0000004" in line]
    assert re.search(r" in (9|10) min \(\d\d:\d\d UTC\)", line), line
    raw = json.loads(monitor("outbox", "--json", settings=path).stdout)["alerts"]
    assert {(a["id"], a["stamped_ahead"]) for a in raw} == {("a0000001", True), ("a0000002", True),
                                                            ("a0000003", True), ("a0000004", False)}
    assert all(a["due"] > clock.now - 60 for a in raw if a["stamped_ahead"])  # as stored
    clock.now = time.time()  # set back: the sender does what the table said
    assert drain(s) == 3 and outbox.depth()["retry"] == 1  # alert 4, due in 10 min
    assert sorted(m["title"] for m in json_receiver.received) == [f"[T1] Story {n}" for n in (1, 2, 3)]
