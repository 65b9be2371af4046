"""Dates as Turkish, Russian and Arabic outlets write them (ingest/month_names.py), read by
both feed readers. Before, each was no date: the item counted as published when fetched, so
a feed just added alerted its archive past `backlog`, and a zone named by its letters
("MSK") was read as UTC, three hours late."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.ingest import parse
from monitor.ingest.dates import parse_date
from monitor.ingest.fallback import feedparser_entries
from tests.test_parse import _dated_feed

FETCHED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

WRITTEN = {
    "Ср, 12 мар 2025 14:30:00 +0300": datetime(2025, 3, 12, 11, 30),
    "12 марта 2025, 14:30": datetime(2025, 3, 12, 14, 30),
    "ПТ, 05 ДЕКАБРЯ 2025 10:00 МСК": datetime(2025, 12, 5, 7),
    "12.03.2025 14:30": datetime(2025, 3, 12, 14, 30),  # day first, as dotted dates are
    "12 Nisan 2025 Cumartesi 14:30": datetime(2025, 4, 12, 14, 30),
    "Cmt, 12 Nis 2025 14:30:00 +0300": datetime(2025, 4, 12, 11, 30),
    "12 KASIM 2025 14:30": datetime(2025, 11, 12, 14, 30),  # Turkish capitals: I for ı
    "12 Ağustos 2025 09:05 TRT": datetime(2025, 8, 12, 6, 5),
    "الأربعاء 12 مارس 2025 14:30": datetime(2025, 3, 12, 14, 30),
    "الثلاثاء، ١١ مارس ٢٠٢٥": datetime(2025, 3, 11),  # Arabic-Indic digits, the Arabic comma
    "5 تشرين الأول 2024 10:00": datetime(2024, 10, 5, 10),  # the Levantine names, Syria's
    "12 Mar 2025 14:30 MSK": datetime(2025, 3, 12, 11, 30),
}


def test_each_form_is_read_by_both_readers() -> None:
    body = _dated_feed(list(WRITTEN))
    want = [moment.replace(tzinfo=UTC) for moment in WRITTEN.values()]
    fast = parse._lxml_entries(body, "application/rss+xml")
    assert fast is not None
    assert [r.date for r in fast] == want
    assert [r.date for r in feedparser_entries(body, None, "wire")] == want
    assert [i.published for i in parse.parse_feed(body, None, "wire", FETCHED)] == want


@pytest.mark.parametrize("value", [
    "30 февраля 2025",  # no such day: dropped, never rolled over
    "31.02.2025 10:00",
    "12.13.2025",
    "12 мая",  # no year: a guess
    "Martı 2025",  # a word that starts like a month is none
    "Пн, 99 мар 2025",
])
def test_what_is_no_date_stays_none(value: str) -> None:
    assert parse_date(value) is None


def test_dates_in_english_read_as_before() -> None:
    assert parse_date("Wed, 12 Mar 2025 14:30:00 GMT") == datetime(2025, 3, 12, 14, 30, tzinfo=UTC)
    assert parse_date("1 January 2024") == datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [
    ("12 niſan 2025", datetime(2025, 4, 12, tzinfo=UTC)),
    ("12 Kasım 2025 10:00 mſk", datetime(2025, 11, 12, 7, tzinfo=UTC)),
    ("12 aralıK 2025", datetime(2025, 12, 12, tzinfo=UTC)),
])
def test_letters_that_case_folding_takes_for_others_are_read(value: str, expected: datetime) -> None:
    """re.IGNORECASE takes the long s for s and the Kelvin sign for k: a name so written was
    not in the tables as folded, and was a KeyError, the feed's whole poll failing; the names
    are now looked up as normalise() folds them, so they are read as the letters they stand for."""
    assert parse_date(value) == expected
