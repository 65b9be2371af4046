"""Durations as people read them: in log lines, ops messages and command output."""

from __future__ import annotations

from monitor.settings_types import UNIT_SECONDS


def next_try(backoff: float, interval: float) -> str:
    """When a failed feed is tried again: polls come on the feed's schedule, so a backoff
    shorter than the interval waits for the next scheduled poll, a longer one for the
    first scheduled poll after it ends."""
    if backoff <= interval:
        return f"at the next scheduled poll, in {span(interval)}"
    return f"in {span(backoff)} (backoff), at the first scheduled poll after it"


def span(seconds: float) -> str:
    """A duration as people say it: 45 s, 12 min, 2.5 h, 3.0 d."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def setting(seconds: float) -> str:
    """A duration as settings.toml writes it: 900 -> "15m", 90 -> "90s", 7200 -> "2h"."""
    for unit in ("d", "h", "m", "s"):
        count = seconds / UNIT_SECONDS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    return f"{seconds:g}s"
