"""Durations in log lines, ops messages and `feeds list` (issue 18, item 7)."""

from __future__ import annotations

from monitor.spans import next_try, setting, span


def test_backoff_shorter_than_the_interval_waits_for_the_next_scheduled_poll() -> None:
    assert next_try(5, 20) == "at the next scheduled poll, in 20 s"
    assert next_try(3600, 600) == "in 60 min (backoff), at the first scheduled poll after it"


def test_short_failures_are_not_zero_hours() -> None:
    assert span(3) == "3 s" and span(720) == "12 min" and span(9000) == "2.5 h" and span(3 * 86400) == "3.0 d"


def test_durations_are_written_as_settings_write_them() -> None:
    assert [setting(s) for s in (900, 90, 7200, 86400, 0.5)] == ["15m", "90s", "2h", "1d", "0.5s"]
