"""When a held alert goes and why it is held (issue 18: waiting alerts visible)."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.delivery.policy import ChannelPolicy
from monitor.delivery.waiting import hold_reason, next_send

NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC).timestamp()


def test_quiet_hours_hold_until_they_end() -> None:
    quiet = ChannelPolicy(quiet=(11 * 60, 14 * 60))
    assert next_send(quiet, NOON, NOON, []) == NOON + 2 * 3600
    assert hold_reason(quiet, NOON, 0) == "quiet hours 11:00-14:00 UTC"


def test_rate_limit_holds_until_the_oldest_send_leaves_the_hour() -> None:
    limited = ChannelPolicy(max_per_hour=2)
    sends = [NOON - 50 * 60, NOON - 10 * 60]  # the first leaves the hour in 10 minutes
    due = next_send(limited, NOON, NOON, sends)
    assert due is not None and NOON + 10 * 60 <= due <= NOON + 11 * 60
    assert hold_reason(limited, NOON, 2) == "rate limit of 2 per hour"


def test_a_digest_channel_holds_until_its_time_of_day() -> None:
    daily = ChannelPolicy(mode="digest", digest_at=(18 * 60,))
    assert next_send(daily, NOON, NOON, []) == NOON + 6 * 3600
    assert hold_reason(daily, NOON, 0) == "digest at 18:00"
