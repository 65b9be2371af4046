"""A feed's standing warning is logged once a day while it lasts, in bounded memory."""

from __future__ import annotations

import logging

import pytest

from monitor.ingest import notices

log = logging.getLogger("test.notices")


def test_a_standing_warning_is_logged_again_a_day_later_not_before(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    day = notices.EVERY
    logged = [notices.warn_daily(log, "daily-feed", "entries", "feed '%s': big", "daily-feed", now=t)
              for t in (1_000.0, 1_300.0, 1_000.0 + day - 1, 1_000.0 + day, 1_000.0 + day + 300)]
    assert logged == [True, False, False, True, False]
    assert caplog.text.count("feed 'daily-feed': big") == 2


def test_each_feed_and_kind_has_its_own_day() -> None:
    assert notices.warn_daily(log, "feed-a", "entries", "a", now=5.0)
    assert notices.warn_daily(log, "feed-b", "entries", "b", now=5.0)
    assert notices.warn_daily(log, "feed-a", "other", "a2", now=5.0)
    assert not notices.warn_daily(log, "feed-a", "entries", "a", now=6.0)


def test_what_was_logged_is_remembered_in_bounded_memory() -> None:
    for n in range(notices.KEPT * 3):
        notices.warn_daily(log, f"many-{n}", "entries", "x", now=float(n))
    assert len(notices._logged) <= notices.KEPT
    # the newest are the ones remembered: the last feed is still quiet, the first speaks again
    assert not notices.warn_daily(log, f"many-{notices.KEPT * 3 - 1}", "entries", "x", now=float(notices.KEPT * 3))
    assert notices.warn_daily(log, "many-0", "entries", "x", now=float(notices.KEPT * 3))
