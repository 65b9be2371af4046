"""Delivery policy faults found in review, on a real Redis and real receivers: a `digest_at`
digest sent early after a quiet spell, `max_per_hour` not limiting digests, two senders both
sending past `max_per_hour`; and a surge made of one outlet's burst plus others re-carrying
an older story. In each, what `monitor outbox` says (waiting.py) agrees with what is sent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import redis

from monitor.delivery import waiting
from monitor.delivery.outbox import Outbox
from monitor.delivery.policy import ChannelPolicy
from monitor.delivery.sender import ChannelConfig, Sender
from monitor.keys import Keys
from tests.test_delivery import LONGEST, Clock, alert, drain, make_sender
from tests.test_surge import HOUR, detector, quiet_baseline, seen, surges


def utc(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> float:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def held_due(client: redis.Redis, policy: ChannelPolicy, now: float) -> float | None:
    """When `monitor outbox` says the channel's held alerts go."""
    found, _ = waiting.read(client, Keys(), {"hook": policy}, now, LONGEST)
    [due] = {w.due for w in found if w.state == "held"}
    return due


def goes_when_shown(s: Sender, clock: Clock, due: float | None) -> None:
    """The sender sends nothing a minute before the time shown, and the digest at it."""
    assert due is not None
    clock.now = due - 60
    assert drain(s) == 0
    clock.now = due
    assert drain(s) == 1


# -- digest_at after a quiet spell -----------------------------------------------------------

DAILY = ChannelPolicy(mode="digest", digest_at=(8 * 60,), zone="UTC")


def daily_digest_sent(redis_client, json_receiver) -> tuple[Clock, Sender, Outbox]:
    """A DAILY channel whose Mar 2 08:00 digest (one alert) has just been sent."""
    clock = Clock(utc(3, 2, 7))
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, DAILY)}, clock)
    outbox.enqueue(alert(1))
    drain(s)
    clock.now = utc(3, 2, 8, 0, 30)
    assert drain(s) == 1
    return clock, s, outbox


def test_a_digest_at_channel_waits_for_its_next_time_after_a_quiet_spell(redis_client, json_receiver) -> None:
    clock, s, outbox = daily_digest_sent(redis_client, json_receiver)  # then nothing for three days
    clock.now = utc(3, 5, 14)
    outbox.enqueue(alert(2))
    assert drain(s) == 0
    clock.now += 60
    assert drain(s) == 0 and len(json_receiver.received) == 1  # the days-old 08:00 times are past
    due = held_due(redis_client, DAILY, clock.now)
    assert due == utc(3, 6, 8)
    goes_when_shown(s, clock, due)
    assert "Story 2" in json_receiver.received[-1]["message"]


def test_a_digest_at_time_missed_while_the_service_was_down_goes_at_once(redis_client, json_receiver) -> None:
    clock, s, outbox = daily_digest_sent(redis_client, json_receiver)  # the last digest, Mar 2 08:00
    clock.now = utc(3, 5, 14)
    outbox.enqueue(alert(2))
    assert drain(s) == 0
    clock.now = utc(3, 6, 9, 30)  # down from 14:00 to 09:30: Mar 6 08:00 was missed
    assert held_due(redis_client, DAILY, clock.now) == clock.now
    assert drain(s) == 1 and "Story 2" in json_receiver.received[-1]["message"]


def test_a_channel_switched_to_digest_at_by_a_reload_waits_for_its_time(redis_client, json_receiver) -> None:
    clock = Clock(utc(3, 2, 12))
    limited = ChannelConfig(json_receiver.url, ChannelPolicy(max_per_hour=1))
    s, outbox = make_sender(redis_client, {"hook": limited}, clock)
    outbox.enqueue(alert(1))
    outbox.enqueue(alert(2))
    assert drain(s) == 1  # the second folds (rate limit) ...
    clock.now = utc(3, 2, 13, 1)
    assert drain(s) == 1  # ... and goes as a digest an hour later
    clock.now = utc(3, 5, 14)
    s.set_channels({"hook": ChannelConfig(json_receiver.url, DAILY)}, Path("/tmp"))  # a reload
    outbox.enqueue(alert(3))
    assert drain(s) == 0
    clock.now += 60
    assert drain(s) == 0
    due = held_due(redis_client, DAILY, clock.now)
    assert due == utc(3, 6, 8)
    goes_when_shown(s, clock, due)


# -- max_per_hour on digests -------------------------------------------------------------------

def test_max_per_hour_limits_a_digest_channel(redis_client, json_receiver) -> None:
    clock = Clock(utc(3, 2, 12))
    policy = ChannelPolicy(mode="digest", digest_every=600, max_per_hour=2)
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, policy)}, clock)
    sent_at: list[float] = []
    for n in range(7):  # an alert every ten minutes, each digest due ten minutes after the last
        outbox.enqueue(alert(n))
        sent_at += [clock.now] * drain(s)
        clock.now += 601
        sent_at += [clock.now] * drain(s)
    assert len(sent_at) == len(json_receiver.received) == 3
    assert all(b - a >= 3600 for a, b in zip(sent_at[:-2], sent_at[2:], strict=True))  # 2 in any hour
    assert sum(len(m["message"].split("https://")) - 1 for m in json_receiver.received) == 7  # none lost


def test_a_digest_waiting_for_room_in_the_hour_goes_when_shown(redis_client, json_receiver) -> None:
    clock = Clock(utc(3, 2, 12))
    policy = ChannelPolicy(mode="digest", digest_every=600, max_per_hour=2)
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, policy)}, clock)
    for n in range(3):
        outbox.enqueue(alert(n))
        assert drain(s) == 0  # folded
        clock.now += 601
        assert drain(s) == (n < 2)  # the third digest is due at 12:30, the hour full until 13:10
    assert waiting.read(redis_client, Keys(), {"hook": policy}, clock.now, LONGEST)[0][0].why == \
        "digest every 10m; rate limit of 2 per hour"
    due = held_due(redis_client, policy, clock.now)
    assert due is not None and utc(3, 2, 13, 10) < due < utc(3, 2, 13, 12)
    goes_when_shown(s, clock, due)


def test_a_digest_enqueued_counts_before_an_alert_taken_with_it(redis_client, json_receiver) -> None:
    clock = Clock(utc(3, 2, 23))
    policy = ChannelPolicy(max_per_hour=1, quiet=(22 * 60, 7 * 60))
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, policy)}, clock)
    outbox.enqueue(alert(1))
    outbox.enqueue(alert(2))
    assert drain(s) == 0 and outbox.waiting("hook") == 2  # held overnight
    clock.now = utc(3, 3, 7, 5)
    outbox.enqueue(alert(3))  # found by the poll that runs before this drain
    assert drain(s) == 1
    assert [m["title"] for m in json_receiver.received] == ["Digest: 2 alerts"]
    assert outbox.sent_last_hour("hook", clock.now) == 1 and outbox.waiting("hook") == 1
    goes_when_shown(s, clock, held_due(redis_client, policy, clock.now))


def test_a_flush_refuses_when_the_hour_is_full(redis_client) -> None:
    outbox = Outbox(redis_client, Keys(), "w1")
    outbox.ensure_group()
    outbox.enqueue(alert(1))
    [delivery] = outbox.take(1)
    outbox.fold(delivery, "hook", 100.0)
    redis_client.zadd(Keys().sent("hook"), {"x": 90.0})  # another sender's send, in this hour
    assert outbox.flush_digest("hook", 100.0, "d1", max_per_hour=1) == 0
    assert outbox.waiting("hook") == 1 and outbox.digest_clock("hook", 100.0) == (100.0, 100.0)
    assert outbox.flush_digest("hook", 3700.0, "d1", max_per_hour=1) == 1
    assert outbox.digest_clock("hook", 3800.0) == (3700.0, None)


# -- two senders, one hour -----------------------------------------------------------------------

def test_two_senders_sharing_redis_keep_max_per_hour(redis_client, json_receiver) -> None:
    clock = Clock(utc(3, 2, 12))
    configs = {"hook": ChannelConfig(json_receiver.url, ChannelPolicy(max_per_hour=1))}
    first, outbox = make_sender(redis_client, configs, clock, consumer="w1")
    second, other = make_sender(redis_client, configs, clock, consumer="w2")
    outbox.enqueue(alert(1))
    [one] = outbox.take(10)
    outbox.enqueue(alert(2))
    [two] = other.take(10)

    async def both() -> list[bool]:
        return list(await asyncio.gather(first.send(one), second.send(two)))

    assert sorted(asyncio.run(both())) == [False, True]
    assert len(json_receiver.received) == 1 and outbox.waiting("hook") == 1  # the other folded


def test_a_failed_send_gives_its_place_in_the_hour_back(redis_client, json_receiver) -> None:
    clock = Clock(utc(3, 2, 12))
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, ChannelPolicy(max_per_hour=1))},
                            clock)
    json_receiver.fail_next = 1
    outbox.enqueue(alert(1))
    assert drain(s) == 0 and outbox.depth()["retry"] == 1
    assert outbox.sent_last_hour("hook", clock.now) == 0
    outbox.enqueue(alert(2))
    assert drain(s) == 1 and outbox.waiting("hook") == 0


# -- surge sources -------------------------------------------------------------------------------

def test_one_outlets_burst_is_no_surge_when_others_recarry_an_older_story(redis_client: redis.Redis) -> None:
    d = detector(redis_client)
    now = quiet_baseline(d) + 5 * HOUR
    d.observe([seen(1, now - 5 * HOUR, story="old", source="local")], now - 5 * HOUR)  # before the window
    for i in range(6):
        d.observe([seen(10 + i, now + 60 * i, source="local")], now + 60 * i)  # one outlet's burst
    fired = []
    for i, outlet in enumerate(("reuters", "afp", "bbc")):  # others re-carry the old story
        at = now + 600 + 60 * i
        [o] = d.observe([seen(1, at, story="old", source=outlet)], at)
        fired.append(o.fired)
    assert fired == [False] * 3 and surges(redis_client) == []
    assert o.verdict.stories == 6 and o.verdict.sources == 1


def test_a_surges_top_stories_are_those_first_counted_in_its_window(redis_client: redis.Redis) -> None:
    d = detector(redis_client)
    now = quiet_baseline(d) + 5 * HOUR
    d.observe([seen(1, now - 5 * HOUR, story="old", source="local")], now - 5 * HOUR)
    outlets = ("reuters", "afp", "bbc", "dpa", "tass", "cnn")
    for i, outlet in enumerate(outlets):  # the old story, re-carried by six outlets
        d.observe([seen(1, now + 10 * i, story="old", source=outlet)], now + 10 * i)
    fired = [o.fired for i in range(5) for o in d.observe([seen(20 + i, now + 300 + 60 * i)], now + 300 + 60 * i)]
    assert fired.count(True) == 1
    [surge] = surges(redis_client)
    assert surge.surge is not None and surge.surge.sources == 5  # the six re-carrying outlets add none
    assert sorted(s.title for s in surge.surge.top) == [f"Headline {20 + i}" for i in range(5)]
    assert surge.url != "https://news.example.org/1"  # led by a story of the surge, not the old one
