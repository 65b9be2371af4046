"""The delivery policy as pure functions of the time: no Redis, no HTTP, no clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.delivery.policy import (
    ChannelPolicy,
    decide,
    digest_due,
    in_quiet_hours,
    parse_quiet_hours,
    parse_time_of_day,
    parse_zone,
)
from monitor.seen import CLOCK_SKEW

NIGHT = (22 * 60, 7 * 60)  # 22:00-07:00, across midnight


def at(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0, zone: str = "UTC") -> float:
    """A timestamp given as a wall-clock time in a zone."""
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone)).timestamp()


def utc(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> float:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC).timestamp()


# -- decide: send now or fold into the next digest ---------------------------------------

QUIET = ChannelPolicy(quiet=NIGHT)
NOON, MIDNIGHT = utc(3, 2, 12), utc(3, 2, 23, 30)


@pytest.mark.parametrize(("policy", "score", "now", "sent", "expected"), [
    (ChannelPolicy(), 0.5, NOON, 0, ("send", "immediate")),
    (ChannelPolicy(), 0.5, MIDNIGHT, 10_000, ("send", "immediate")),  # no quiet hours, no limit
    (ChannelPolicy(mode="digest", digest_every=3600), 0.5, NOON, 0, ("fold", "digest channel")),
    (ChannelPolicy(mode="digest", urgent_score=0.9), 1.0, NOON, 0, ("fold", "digest channel")),
    (QUIET, 0.5, NOON, 0, ("send", "immediate")),
    (QUIET, 1.0, MIDNIGHT, 0, ("fold", "quiet hours")),  # no urgent_score: nothing breaks through
    (ChannelPolicy(quiet=NIGHT, urgent_score=0.9), 0.9, MIDNIGHT, 0, ("send", "immediate")),  # at it counts
    (ChannelPolicy(quiet=NIGHT, urgent_score=0.9), 0.89, MIDNIGHT, 0, ("fold", "quiet hours")),
    (ChannelPolicy(max_per_hour=2), 0.5, NOON, 1, ("send", "immediate")),
    (ChannelPolicy(max_per_hour=2), 0.5, NOON, 2, ("fold", "rate limit of 2 per hour")),
    (ChannelPolicy(max_per_hour=2), 1.0, NOON, 3, ("fold", "rate limit of 2 per hour")),
    # urgent breaks through quiet hours, not through the rate limit
    (ChannelPolicy(quiet=NIGHT, urgent_score=0.9, max_per_hour=2), 0.95, MIDNIGHT, 2,
     ("fold", "rate limit of 2 per hour")),
    # quiet hours are named first when both hold
    (ChannelPolicy(quiet=NIGHT, max_per_hour=2), 0.5, MIDNIGHT, 2, ("fold", "quiet hours")),
])
def test_decide(policy: ChannelPolicy, score: float, now: float, sent: int, expected: tuple[str, str]) -> None:
    assert decide(policy, score, now, sent) == expected


@given(score=st.floats(0, 1), minute=st.integers(0, 24 * 60 - 1), sent=st.integers(0, 50),
       limit=st.integers(0, 10))
def test_decide_never_sends_past_the_limit_or_in_quiet_hours_below_urgent(score: float, minute: int, sent: int,
                                                                         limit: int) -> None:
    policy = ChannelPolicy(quiet=NIGHT, urgent_score=0.9, max_per_hour=limit)
    now = utc(3, 2, 0) + minute * 60
    action, _ = decide(policy, score, now, sent)
    if limit and sent >= limit:
        assert action == "fold"
    if in_quiet_hours(policy, now) and score < 0.9:
        assert action == "fold"
    if action == "fold":
        assert (limit and sent >= limit) or (in_quiet_hours(policy, now) and score < 0.9)


# -- quiet hours -------------------------------------------------------------------------


@pytest.mark.parametrize(("hour", "minute", "quiet"), [
    (21, 59, False), (22, 0, True), (23, 59, True), (0, 0, True), (3, 0, True), (6, 59, True), (7, 0, False),
    (12, 0, False),
])
def test_quiet_hours_wrap_midnight(hour: int, minute: int, quiet: bool) -> None:
    assert in_quiet_hours(QUIET, utc(3, 2, hour, minute)) is quiet


@pytest.mark.parametrize(("hour", "minute", "quiet"), [(11, 59, False), (12, 0, True), (12, 59, True),
                                                       (13, 0, False), (0, 30, False)])
def test_quiet_hours_within_one_day(hour: int, minute: int, quiet: bool) -> None:
    assert in_quiet_hours(ChannelPolicy(quiet=(12 * 60, 13 * 60)), utc(3, 2, hour, minute)) is quiet


def test_quiet_hours_are_in_the_channel_zone() -> None:
    istanbul = ChannelPolicy(quiet=NIGHT, zone="Europe/Istanbul")  # UTC+3
    assert in_quiet_hours(istanbul, utc(3, 2, 20))  # 23:00 in Istanbul, 20:00 UTC
    assert not in_quiet_hours(istanbul, utc(3, 2, 4, 30))  # 07:30 in Istanbul, still night in UTC
    assert in_quiet_hours(QUIET, utc(3, 2, 4, 30))


def test_no_quiet_hours_is_never_quiet() -> None:
    assert not any(in_quiet_hours(ChannelPolicy(), utc(3, 2, 0) + m * 60) for m in range(0, 24 * 60, 7))


@given(start=st.integers(0, 24 * 60 - 1), end=st.integers(0, 24 * 60 - 1), minute=st.integers(0, 24 * 60 - 1),
       second=st.integers(0, 59))
def test_a_range_and_its_complement_split_the_day(start: int, end: int, minute: int, second: int) -> None:
    """22:00-07:00 is quiet exactly when 07:00-22:00 is not, and so for every pair of times."""
    if start == end:
        return
    now = utc(3, 2, 0) + minute * 60 + second
    assert in_quiet_hours(ChannelPolicy(quiet=(start, end)), now) != \
        in_quiet_hours(ChannelPolicy(quiet=(end, start)), now)


# -- digest_due: every N seconds ----------------------------------------------------------


def test_digest_every_is_due_once_the_period_has_passed() -> None:
    hourly = ChannelPolicy(mode="digest", digest_every=3600)
    last = utc(3, 2, 12)
    assert not digest_due(hourly, last + 1800, last, 0)
    assert not digest_due(hourly, last + 3599, last, 0)
    assert digest_due(hourly, last + 3600, last, 0)
    assert digest_due(hourly, last + 86_400, last, 0)


def test_digest_waits_out_quiet_hours() -> None:
    policy = ChannelPolicy(mode="digest", digest_every=3600, quiet=NIGHT)
    last = utc(3, 2, 21)
    assert not digest_due(policy, utc(3, 2, 23), last, 0)
    assert not digest_due(policy, utc(3, 3, 6, 59), last, 0)
    assert digest_due(policy, utc(3, 3, 7), last, 0)


def test_a_digest_channel_without_a_schedule_is_never_due() -> None:
    assert not digest_due(ChannelPolicy(mode="digest"), utc(3, 9, 12), utc(3, 2, 12), 0)


def test_a_digest_clock_more_than_the_skew_ahead_is_stale() -> None:
    """Stamped by a clock since set back: due (an hourly digest stamped 3 h ahead waited 4 h)."""
    hourly, daily = ChannelPolicy(mode="digest", digest_every=3600), ChannelPolicy(mode="digest", digest_at=(480,))
    now = utc(3, 2, 12)
    assert not digest_due(hourly, now, now + CLOCK_SKEW, 0)  # a worker ahead within the bound
    assert digest_due(hourly, now, now + CLOCK_SKEW + 1, 0)
    assert not digest_due(daily, now, now - 60, 0, now + CLOCK_SKEW)
    assert digest_due(daily, now, now - 60, 0, now + CLOCK_SKEW + 1)
    assert not digest_due(ChannelPolicy(mode="digest"), now, now + 3 * 3600, 0)
    assert not digest_due(ChannelPolicy(mode="digest", digest_every=3600, max_per_hour=1), now, now + 3 * 3600, 1)


# -- digest_due: at times of day ------------------------------------------------------------


def test_digest_at_across_midnight() -> None:
    policy = ChannelPolicy(mode="digest", digest_at=(8 * 60, 18 * 60), zone="Europe/Istanbul")
    last = at(2026, 3, 2, 18, 0, 30, zone="Europe/Istanbul")
    assert not digest_due(policy, at(2026, 3, 2, 23, 59, zone="Europe/Istanbul"), last, 0)
    assert not digest_due(policy, at(2026, 3, 3, 7, 59, 59, zone="Europe/Istanbul"), last, 0)
    assert digest_due(policy, at(2026, 3, 3, 8, 0, zone="Europe/Istanbul"), last, 0)  # on the minute
    assert digest_due(policy, at(2026, 3, 5, 12, 0, zone="Europe/Istanbul"), last, 0)  # days late: still due


def test_digest_at_midnight() -> None:
    policy = ChannelPolicy(mode="digest", digest_at=(0,), zone="Europe/Berlin")
    last = at(2026, 3, 1, 23, 50, zone="Europe/Berlin")
    assert not digest_due(policy, at(2026, 3, 1, 23, 59, 59, zone="Europe/Berlin"), last, 0)
    assert digest_due(policy, at(2026, 3, 2, 0, 0, 30, zone="Europe/Berlin"), last, 0)


def test_digest_at_is_not_due_twice_for_one_time() -> None:
    policy = ChannelPolicy(mode="digest", digest_at=(8 * 60,))
    sent = utc(3, 2, 8)  # the digest went out on the minute
    assert not digest_due(policy, utc(3, 2, 8, 0, 1), sent, 0)
    assert not digest_due(policy, utc(3, 3, 7, 59), sent, 0)
    assert digest_due(policy, utc(3, 3, 8), sent, 0)


# Berlin moves its clocks on 2026-03-29 (02:00 CET -> 03:00 CEST) and 2026-10-25
# (03:00 CEST -> 02:00 CET); Istanbul stays at UTC+3 all year.


@pytest.mark.parametrize(("zone", "before", "after"), [
    ("Europe/Berlin", utc(3, 29, 5, 59), utc(3, 29, 6, 0, 30)),  # 08:00 CEST is 06:00 UTC (07:00 the day before)
    ("Europe/Istanbul", utc(3, 29, 4, 59), utc(3, 29, 5, 0, 30)),  # 08:00 is 05:00 UTC on both days
])
def test_digest_at_follows_the_zone_across_a_dst_change(zone: str, before: float, after: float) -> None:
    policy = ChannelPolicy(mode="digest", digest_at=(8 * 60,), zone=zone)
    last = at(2026, 3, 28, 8, 0, 30, zone=zone)  # just after the day before's digest
    assert not digest_due(policy, before, last, 0)
    assert digest_due(policy, after, last, 0)


def test_the_same_instant_is_due_in_istanbul_and_not_yet_in_berlin() -> None:
    now = utc(3, 29, 5, 30)  # 08:30 in Istanbul, 07:30 (CEST) in Berlin
    for zone, due in (("Europe/Istanbul", True), ("Europe/Berlin", False)):
        policy = ChannelPolicy(mode="digest", digest_at=(8 * 60,), zone=zone)
        assert digest_due(policy, now, at(2026, 3, 28, 8, 0, 30, zone=zone), 0) is due, zone


def test_a_time_in_the_skipped_hour_still_gets_its_digest() -> None:
    policy = ChannelPolicy(mode="digest", digest_at=(2 * 60 + 30,), zone="Europe/Berlin")  # 02:30 never happens
    last = at(2026, 3, 28, 2, 30, 30, zone="Europe/Berlin")
    assert not digest_due(policy, utc(3, 29, 0, 59), last, 0)  # 01:59 CET, before the change
    assert digest_due(policy, utc(3, 29, 2), last, 0)  # 04:00 CEST


def test_a_time_in_the_repeated_hour_gets_one_digest() -> None:
    policy = ChannelPolicy(mode="digest", digest_at=(2 * 60 + 30,), zone="Europe/Berlin")  # 02:30 happens twice
    day_before = at(2026, 10, 24, 2, 30, 30, zone="Europe/Berlin")
    assert digest_due(policy, utc(10, 25, 0, 30, 30), day_before, 0)  # the first 02:30 (CEST)
    first = utc(10, 25, 0, 30, 30)
    assert not digest_due(policy, utc(10, 25, 1, 30, 30), first, 0)  # the second 02:30 (CET): no second digest
    assert digest_due(policy, utc(10, 26, 1, 30, 30), first, 0)  # 02:30 CET the next day


# -- digest_due: an immediate channel's folded alerts ----------------------------------------


def test_immediate_channel_sends_its_folded_alerts_when_allowed_again() -> None:
    limited = ChannelPolicy(max_per_hour=2)
    now, last = utc(3, 2, 12), utc(3, 2, 11, 59)
    assert not digest_due(limited, now, last, 2)  # the hour is still full
    assert not digest_due(limited, now, last, 3)
    assert digest_due(limited, now, last, 1)
    assert digest_due(ChannelPolicy(), now, last, 10_000)  # no limit: at once


def test_immediate_channel_keeps_quiet_hours_folds_until_morning() -> None:
    assert not digest_due(QUIET, utc(3, 2, 23), utc(3, 2, 22, 30), 0)
    assert not digest_due(QUIET, utc(3, 3, 6, 59), utc(3, 2, 22, 30), 0)
    assert digest_due(QUIET, utc(3, 3, 7), utc(3, 2, 22, 30), 0)


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "minutes"), [("00:00", 0), ("0:00", 0), ("7:05", 425), (" 07:30 ", 450),
                                               ("23:59", 1439)])
def test_parse_time_of_day(text: str, minutes: int) -> None:
    assert parse_time_of_day(text) == minutes


@pytest.mark.parametrize("text", ["24:00", "7:60", "0730", "", "07:30:00", "ab:cd", "-1:00", "7.30"])
def test_parse_time_of_day_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=rf"^bad time of day {re.escape(repr(text))}: use HH:MM"):
        parse_time_of_day(text)


def test_parse_quiet_hours() -> None:
    assert parse_quiet_hours("") is None
    assert parse_quiet_hours("22:00-07:00") == (1320, 420)
    assert parse_quiet_hours("22:00 - 07:00") == (1320, 420)
    assert parse_quiet_hours("12:00-13:30") == (720, 810)
    with pytest.raises(ValueError, match=r"^bad quiet hours '22:00': use HH:MM-HH:MM"):
        parse_quiet_hours("22:00")
    with pytest.raises(ValueError, match=r"^bad time of day '7': use HH:MM"):
        parse_quiet_hours("22:00-7")
    with pytest.raises(ValueError, match=r"^bad time of day '25:00'"):
        parse_quiet_hours("25:00-07:00")


def test_parse_zone() -> None:
    assert parse_zone("Europe/Istanbul") == ZoneInfo("Europe/Istanbul")
    for name in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(ValueError, match=rf"^unknown time zone {re.escape(repr(name))} \(use an IANA name"):
            parse_zone(name)
