"""Which item keeps a GUID several items share, poll after poll (monitor/ingest/ids.py): the
one the feed's last listing names, so no item changes id (and is judged, and alerts, again)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest

from monitor import seen
from monitor.ingest.parse import parse_feed
from monitor.pipeline import _held

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
Entry = tuple[str, str, int | None]  # link, headline, day of December (None: undated)


def _rss(entries: list[Entry]) -> bytes:
    items = "".join(
        f"<item><guid isPermaLink='false'>same</guid><link>https://x.test/{link}</link><title>{title}</title>"
        + (f"<pubDate>{day} Dec 2026 10:00:00 GMT</pubDate>" if day else "")
        + f"<description>text of {link}</description></item>" for link, title, day in entries)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{items}</channel></rss>".encode()


def _ids(polls: list[list[Entry]]) -> list[dict[str, str]]:
    """Each poll's ids by (link, headline), the listing of one poll passed to the next, as
    pipeline.py keeps it."""
    listed: dict[str, str | None] = {}
    out = []
    for entries in polls:
        items = parse_feed(_rss(entries), "application/rss+xml", "f", NOW, held=partial(_held, listed))
        out.append({f"{item.url[-1]} {item.title}": item.id for item in items})
        listed = {seen.listed(item.id): seen.headline(item.title) for item in items}
    return out


CASES = {  # found by a review of the rule "the earliest keeps it", each moving an id before:
    # (polls, the items, first poll's and second's, that are one item and keep one id)
    "the same headline again, newest first": (
        [[("a", "Morning briefing", 1)], [("b", "Morning briefing", 2), ("a", "Morning briefing", 1)]],
        [("a Morning briefing", "a Morning briefing")]),
    "the holder edited: a new headline and date": (
        [[("a", "A", 1), ("b", "B", 2)], [("a", "A updated", 3), ("b", "B", 2)]],
        [("a A", "a A updated"), ("b B", "b B")]),
    "one link too, a new item dated before": (
        [[("h", "A", 2), ("h", "B", 3)], [("h", "C", 1), ("h", "A", 2), ("h", "B", 3)]],
        [("h A", "h A"), ("h B", "h B")]),
    "undated, one then two": (
        [[("a", "A", None)], [("b", "B", None), ("a", "A", None)]],
        [("a A", "a A")]),
}


@pytest.mark.parametrize(("polls", "same"), CASES.values(), ids=CASES.keys())
def test_an_item_keeps_its_id_when_others_share_its_guid(polls: list[list[Entry]],
                                                         same: list[tuple[str, str]]) -> None:
    first, second = _ids(polls)
    assert [first[a] for a, _ in same] == [second[b] for _, b in same]
    assert len(set(second.values())) == len(second)
