"""Retry-After (RFC 9110 §10.2.3), read the same way for feeds and for channels."""

from __future__ import annotations

import math
import time
from email.utils import parsedate_to_datetime


def seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP date (a date in the
    past is 0). None when absent or unreadable: a server's bad header never fails a fetch
    or a send (`²` passes `isdigit`, a year of ten digits overflows a datetime, 400 nines
    are float infinity). Finite is not sane (a year-9999 date): each caller caps the wait."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        wait = float(value)
        return wait if math.isfinite(wait) else None
    try:
        when = parsedate_to_datetime(value)
        wait = when.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, wait)
