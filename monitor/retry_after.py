"""Retry-After (RFC 9110 §10.2.3), read the same way for feeds and for channels."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime


def seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP date (a date in the
    past is 0). None when absent or unreadable: a server's bad header never fails a fetch
    or a send (`²` passes `isdigit`, a year of ten digits overflows a datetime)."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        wait = when.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, wait)
