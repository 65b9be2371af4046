"""Retry-After (RFC 9110 §10.2.3), read the same way for feeds and for channels, and the
wait before a failing feed's next attempt, which heeds it."""

from __future__ import annotations

import math
import time
from email.utils import parsedate_to_datetime

from monitor import defaults


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


def backoff_delay(errors: int, retry_after: float | None, base: float, cap: float) -> float:
    """Seconds before the next attempt at a feed that failed `errors` times in a row:
    base, 2*base, 4*base... up to cap, and never sooner than the server asked, unless it
    asked for longer than cap and RETRY_AFTER_CEILING both: one 503 must not park a feed
    for years."""
    # 2**60 times any base is past any cap; 2**1024 overflows a float (1,024 failures in a row)
    delay = min(cap, base * 2.0 ** min(errors - 1, 60)) if errors > 0 else 0.0
    asked = min(retry_after or 0.0, max(cap, defaults.RETRY_AFTER_CEILING))
    return max(delay, asked)
