"""Item dates: RFC 822, ISO 8601 and the odd formats feedparser reads, each kept exactly as
written or dropped, never shifted. Pure functions, no I/O.

A date is dropped (None: the item counts as published when fetched, like an item without a
date) when it cannot be the moment it names:

- an offset beyond ±14:00 or with 60+ minutes: parsers apply it anyway ("Thu, 01 Jan 1970
  00:00:00 +9999" was read as 1969-12-27);
- a day, month or time of day that does not exist ("2024-02-30", "2024-13-45", "25:00"),
  or an ordinal or week date: feedparser's handlers roll them over into another date;
- a year other than the one written: "Jan 0001" is year 1, not 2001 as RFC 822's two-digit
  rule would read it, and "0001 ... +0100" is not year 100; and, in the forms only
  feedparser reads, no four-digit year at all, or another month or day than the numeric
  date written ("25" was read as 2401, "2024.03.12" as November 2024);
- a moment outside years 1-9999 once in UTC, or a value longer than any date.

Years 1-999 written in full are valid dates and kept as written.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from xml.sax.saxutils import escape

import feedparser

from monitor.ingest import month_names
from monitor.ingest.text import clean_chars

DATE_CHARS = 100
"""A longer date value is no date (a feed may put anything in the field)."""

_MAX_OFFSET = timedelta(hours=14)  # UTC+14:00 (Line Islands); the farthest west is UTC-12:00
# The UTC offset after a time of day: "10:00:00 +0530", "T10:00+05:30", "10:00 GMT-05".
_OFFSET = re.compile(r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:GMT|UTC|UT)?\s*[+-](\d\d):?(\d\d)?(?!\d)", re.I)
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d\d)(?::(\d\d))?")
# A numeric calendar date: "2024-03-12", "2024/03/12", "2024-03", "20240312T...".
_NUMERIC = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})(?:\2(\d{1,2}))?(?!\d)|^(\d{4})(\d\d)(\d\d)(?=T|$)", re.I)
_ORDINAL_OR_WEEK = re.compile(r"^\d{4}-?(?:\d{3}(?!\d)|W\d)", re.I)  # "2024-060", "2024-W09-4"
# A year written with leading zeros after an RFC 822 month name: "Jan 0001", "Jan 099".
_PADDED_YEAR = re.compile(r"[a-z]\.?,?\s+0\d{2,3}\b", re.I)
# ISO 8601's offset, "+03:00", after an RFC 822 date's time: "14:30:00 +03:00".
_COLON_OFFSET = re.compile(r"(?<=\d:\d\d )([+-]\d\d):(\d\d)$")
# The year as written: four digits, not part of an offset ("+0100") or a longer number.
_YEAR = re.compile(r"(?<![\d+-])\d{4}(?!\d)|(?<=\d-)\d{4}(?!\d)")


def parse_date(value: str | None) -> datetime | None:
    """An aware UTC datetime from an RFC 822 or ISO 8601 date, exactly as written; None
    when unreadable or impossible (see the module's docstring).

    Naive dates are taken as UTC; feedparser's lenient parser handles the odd formats.
    """
    value = (value or "").strip()
    if not value or len(value) > DATE_CHARS or _bad_offset(value):
        return None
    parsed = _read(value)
    if parsed is None or month_names.named_zone(value):  # "12 Nisan 2025", "14:30 MSK"
        english = month_names.english(value)
        parsed = _read(english) if english != value else parsed
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > _MAX_OFFSET:  # "+1460": a real offset is within ±14:00
        return None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is in year 0 in UTC
        return None


def _read(value: str) -> datetime | None:
    # Python's own parsers refuse a day, month or time that does not exist; feedparser's
    # roll it over, so what they read is checked against what is written.
    parsed = _try_iso(value) or _try_rfc822(value)
    if parsed is None and _possible(value):
        parsed = _lenient(clean_chars(value))
        parsed = parsed if parsed is not None and _as_written(value, parsed) else None
    return parsed


def from_struct(struct: time.struct_time) -> datetime:
    """An aware UTC datetime from a UTC struct_time (as feedparser returns dates)."""
    return datetime.fromtimestamp(calendar.timegm(struct), UTC)


def _bad_offset(value: str) -> bool:
    """Whether the UTC offset written after the time is no real one (beyond ±14:00, or
    60+ minutes)."""
    offset = _OFFSET.search(value) if "+" in value or "-" in value else None  # "GMT": no search
    if offset is None:
        return False
    hours, minutes = int(offset[1]), int(offset[2] or 0)
    return minutes > 59 or timedelta(hours=hours, minutes=minutes) > _MAX_OFFSET


def _possible(value: str) -> bool:
    """Whether the numeric calendar date and the time of day written exist."""
    if _ORDINAL_OR_WEEK.match(value):
        return False
    for match in _NUMERIC.finditer(value):
        year, month, day = match[1] or match[5], match[3] or match[6], match[4] or match[7]
        try:
            datetime(int(year), int(month), int(day or 1))
        except ValueError:
            return False
    return all(_real_time(*match.groups()) for match in _TIME.finditer(value))


def _real_time(hours: str, minutes: str, seconds: str | None) -> bool:
    h, m, s = int(hours), int(minutes), int(seconds or 0)
    return m < 60 and s <= 60 and (h < 24 or (h == 24 and m == s == 0))  # 24:00 ends a day


def _as_written(value: str, parsed: datetime) -> bool:
    """Whether feedparser's reading is the date written: the four-digit year written (one
    either side: the conversion to UTC may cross New Year), and the month and day of a
    numeric date (a day either side). Without a four-digit year it is a guess: "25" was
    read as 2401, "99999" as 9999, "2024.03.12" as November 2024 (the month of the day it
    was read), so a value with none is dropped."""
    written = _YEAR.search(value)
    if written is None or abs(int(written[0]) - parsed.year) > 1:
        return False
    numeric = _NUMERIC.search(value)
    if numeric is None:
        return True
    year, month, day = numeric[1] or numeric[5], numeric[3] or numeric[6], numeric[4] or numeric[7]
    if day is None:
        return (parsed.year, parsed.month) == (int(year), int(month))
    return abs((parsed.replace(tzinfo=None) - datetime(int(year), int(month), int(day))).days) <= 1


def _try_iso(value: str) -> datetime | None:
    if not value[:4].isdigit():
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _try_rfc822(value: str) -> datetime | None:
    if _PADDED_YEAR.search(value):  # RFC 822's rule would make "Jan 0001" 2001: feedparser's
        return None  # reader keeps a year written in four digits as written
    if ":" in value[-4:]:  # "+03:00" (the colon 3rd from the end, or 4th before a last "\n"): no search else
        value = _COLON_OFFSET.sub(r"\1\2", value)
    try:  # "+03:00" is ISO's offset, which many sites write in RFC 822 dates: Python read it as UTC
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):  # OverflowError: year 2222222024
        return None


@lru_cache(maxsize=4096)  # a feed repeats its items, and their dates, at every poll
def _lenient(value: str) -> datetime | None:
    """A date neither ISO 8601 nor RFC 822 ("2024-03", "1 January 2024", W3DTF, asctime,
    Greek, Korean...) as feedparser reads it, so the fast parser agrees with the fallback.

    feedparser has no public function for one date: it is read through its public `parse`,
    from a one-item feed (~0.2 ms, only for these rare dates). Some nonsense dates make
    feedparser's own handlers raise (e.g. "00": year -99); they are unreadable, not fatal.
    """
    try:
        feed = feedparser.parse(f'<rss version="2.0"><channel><item><pubDate>{escape(value)}'
                                "</pubDate></item></channel></rss>")
        struct = feed.entries[0].get("published_parsed") if feed.entries else None
        return from_struct(struct) if struct else None
    except (ValueError, OverflowError, OSError):
        return None
