"""Delivery after a wall clock that ran hours ahead is set back (an NTP step, a VM resumed),
on the embedded Redis and a real receiver. What the sender stamped while ahead (its sends
in the channel's hour, the digest clock, a Retry-After pause) silenced the channel until
the true clock caught up; a stamp more than CLOCK_SKEW ahead is now read as stale. Clocks
within CLOCK_SKEW of each other still keep every limit (the second test of each pair)."""

from __future__ import annotations

from monitor.delivery.policy import ChannelPolicy
from monitor.delivery.sender import ChannelConfig
from monitor.seen import CLOCK_SKEW
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
    assert drain(second) == 1  # the pause read from Redis
    outbox.enqueue(alert(3))
    assert drain(first) == 1  # the sender's own
    assert [m["title"] for m in json_receiver.received] == ["[T1] Story 2", "[T1] Story 3"]


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
