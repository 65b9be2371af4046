"""Impossible dates: an item's date is kept exactly as written or dropped (the item counts
as published when fetched), never shifted to another date, whichever reader reads it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape

import pytest

from monitor.ingest.parse import parse_feed

FETCHED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rss(date: str, well_formed: bool = True) -> tuple[bytes, str]:
    title = "Dated" if well_formed else "Dated &eacute;"  # an HTML entity: feedparser reads it
    return (f'<rss version="2.0"><channel><title>t</title><item><guid>g</guid><title>{title}</title>'
            f"<pubDate>{escape(date)}</pubDate></item></channel></rss>").encode(), "application/rss+xml"


def atom(date: str) -> tuple[bytes, str]:
    return (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>g</id><title>Dated</title>'
            f"<updated>{escape(date)}</updated></entry></feed>").encode(), "application/atom+xml"


def json_feed(date: str) -> tuple[bytes, str]:
    item = {"id": "g", "title": "Dated", "date_published": date}
    doc = {"version": "https://jsonfeed.org/version/1.1", "items": [item]}
    return json.dumps(doc).encode(), "application/feed+json"


READERS = {"rss (lxml)": rss, "rss (feedparser)": lambda d: rss(d, well_formed=False),
           "atom": atom, "json feed": json_feed}


def published(reader: str, date: str) -> datetime:
    body, content_type = READERS[reader](date)
    (item,) = parse_feed(body, content_type, "dates", FETCHED)
    return item.published


KEPT = {  # written -> the same moment in UTC
    "Mon, 01 Jan 0001 00:00:00 GMT": utc(1, 1, 1),  # was 2001-01-01 (RFC 822's two-digit year rule)
    "0001-01-01T00:00:00Z": utc(1, 1, 1),
    "Fri, 01 Jan 0999 10:00:00 +0000": utc(999, 1, 1, 10),
    "Sun, 01 Jan 2024 00:00:00 +1400": utc(2023, 12, 31, 10),  # the farthest real offsets
    "2024-01-01T00:00:00-12:00": utc(2024, 1, 1, 12),
    "2024-02-29T24:00:00Z": utc(2024, 3, 1),  # 24:00 is the end of the day
    "Tue, 31 Dec 2024 23:00:00 -0500": utc(2025, 1, 1, 4),  # UTC crosses New Year
    "Fri, 31 Dec 9999 23:59:59 +0000": utc(9999, 12, 31, 23, 59, 59),
}

DROPPED = [
    "Thu, 01 Jan 1970 00:00:00 +9999",  # was 1969-12-27 19:21
    "2026-11-28T10:00:00+99:99",  # was 2026-11-24 05:21
    "Sun, 01 Jan 2024 00:00:00 +2400",
    "Sun, 01 Jan 2024 00:00:00 +1460",  # 60 minutes
    "2024-01-01T10:00:00+14:30",  # beyond +14:00 (was 2023-12-31 19:30)
    "2024-02-30T00:00:00Z",  # was 2024-03-01 (rolled over)
    "2024-13-45",  # was 2025-01-01
    "2024-01-01T25:00:00Z",  # was 2024-01-02 01:00
    "2024-060",  # an ordinal date: was 2024-06-01, not 02-29
    "Fri, 2006/02/30 08:19:53 EDT",  # was 2006-03-02
    "Fri, 0001/09/15 08:19:53 EDT",  # was 2001-09-15
    "Mon, 01 Jan 0001 00:00:00 +0100",  # year 0 in UTC (was read as year 100)
    "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
    "Mon, 01 Jan 99999 00:00:00 GMT",
    "Mon, 01 Jan 2222222024 00:00:00 GMT",  # found by the fuzzer: OverflowError in the RFC 822 parser
    "0000-01-01",
    "2024-01-01" + " " * 200 + "x",  # longer than any date
    # no four-digit year: feedparser guessed, the month from the day it read them (here 11)
    "99999-01-01T00:00:00Z",  # was 9999-11-01
    "99999",  # was 9999-11-01
    "25",  # was 2401-11-01
    "02024-01-01",  # was 2002-01-24
    "-2024-01-01",  # was 2026-07-21
    "\u0660\u0661",  # Arabic-Indic "01": was 0001-11-01
    "2024.13.01",  # a month that does not exist: was 2024-11-01
    "2024.03.12",  # a date feedparser does not read: was 2024-11-01
]


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("written", sorted(KEPT))
def test_a_possible_date_is_kept_exactly(reader: str, written: str) -> None:
    """Attack: a date far from now but possible (year 0001, offsets of ±14:00, 24:00).
    Before: year 0001 in RFC 822 became 2001-01-01. Now every reader keeps each exactly."""
    assert published(reader, written) == KEPT[written]


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("written", DROPPED)
def test_an_impossible_date_is_dropped_not_shifted(reader: str, written: str) -> None:
    """Attack: a date that cannot be (an offset of +9999, February 30th, hour 25, a year
    the text does not state, a moment beyond year 9999 in UTC). Before: parsers shifted
    it to another date (1969-12-27 for 1970 at +9999, 2001 for 0001). Now it is dropped:
    the item counts as published when fetched, as one without a date."""
    assert published(reader, written) == FETCHED
