"""Media RSS beside an item's own text (monitor/ingest/media.py), in both feed readers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.ingest import parse
from monitor.ingest.fallback import feedparser_entries
from monitor.ingest.parse import parse_feed

DATA = Path(__file__).parent / "data"
FETCHED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
FIXTURES = {"media_rss.xml": "application/rss+xml", "media_atom.xml": "application/atom+xml"}
OWN_TEXT = [  # each item's own text, its media:description before or after it
    ("Border crossing reopens", "Lorries queued for six hours before the gate opened."),
    ("Dam levels fall", "The reservoir is at a third of its summer level."),
]
EXPECTED = {
    "media_rss.xml": [*OWN_TEXT, ("Rail strike called off", "Unions accepted the offer late on Friday."),
                      ("Port workers vote", "The ballot closes on Monday.")],
    "media_atom.xml": [*OWN_TEXT, ("Rail strike called off", "Unions accepted the offer late on Friday."),
                       ("Ferry service to the islands resumes",  # a YouTube-like entry: media only
                        "The first boat in three weeks left the harbour at dawn.")],
}


def _broken(body: bytes) -> bytes:
    """The feed made not well-formed (a bare "&" in the feed's title), so that parse_feed
    reads it with feedparser."""
    return body.replace(b"Example Video", b"Example & Video", 1)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_an_items_own_text_beats_its_media_description(name: str) -> None:
    """Fault: feedparser filed a media:description written after the item's description
    (or Atom summary) as its content, which the fallback reader prefers, so a not
    well-formed feed's item read "Watch the video."; and the lxml reader ignored Atom's
    media:title and media:description, so a YouTube-like entry with no other title or
    text was dropped. Both readers, both orders of the two elements."""
    body = (DATA / name).read_bytes()
    assert parse._lxml_entries(_broken(body), FIXTURES[name]) is None  # the fallback reads it
    for variant in (body, _broken(body)):
        items = parse_feed(variant, FIXTURES[name], "wire", FETCHED)
        assert [(i.title, i.text) for i in items] == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fast_path_and_feedparser_agree_on_media(name: str) -> None:
    body, content_type = (DATA / name).read_bytes(), FIXTURES[name]
    fast = parse._lxml_entries(body, content_type)
    assert fast is not None
    slow = feedparser_entries(body, content_type, "wire")
    to_items = [parse._to_item(r, "wire", FETCHED, "") for r in fast]
    assert to_items == [parse._to_item(r, "wire", FETCHED, "") for r in slow]
    assert len(to_items) == 4
