"""Warnings a feed would repeat at every poll while it lasts, logged once a day a feed.

A feed of more than FEED_ITEMS_MAX entries is read to that many at every poll: at a
5-minute interval its warning was 288 lines a day for as long as the site kept its archive
in the feed, months of the same line. It is logged at the first poll that meets it, then
again once a day while it lasts (a restart logs it again). The memory of what was logged is
bounded: KEPT entries, the oldest forgotten first.
"""

from __future__ import annotations

import logging
import time

EVERY = 86_400.0  # seconds between two of the same warning of a feed
KEPT = 4_096  # (feed, kind) pairs remembered: more than any settings file names

_logged: dict[tuple[str, str], float] = {}  # (feed, kind) -> when it was last logged (monotonic)


def warn_daily(log: logging.Logger, feed: str, kind: str, message: str, *args: object,
               now: float | None = None) -> bool:
    """Log `message` % args as a warning unless this feed's `kind` was logged within EVERY;
    whether it was logged."""
    now = time.monotonic() if now is None else now
    key = (feed, kind)
    last = _logged.get(key)
    if last is not None and now - last < EVERY:
        return False
    _logged.pop(key, None)  # re-entered last: the oldest stays first to go
    while len(_logged) >= KEPT:
        del _logged[next(iter(_logged))]
    _logged[key] = now
    log.warning(message, *args)
    return True
