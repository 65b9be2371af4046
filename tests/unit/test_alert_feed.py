"""The alerts as Atom and JSON Feed 1.1 (issue 18): what a feed reader reads back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import feedparser

from monitor.alert_feed import FeedAlert, atom, json_feed
from monitor.items import Alert, Source

WHEN = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
ALERT = Alert(id="1f0c9a2e", channel="desk", topic="turkey_russia_syria", topic_title="Turkey–Russia–Syria escalation",
              score=0.9731, threshold=0.6, terms=("idlib", "ankara"), item_id="g1", source="bbc",
              title="Turkish soldiers <killed> in Idlib", url="https://example.org/a", published=WHEN,
              text="Ankara said 12 soldiers were killed.", story="s1")
SOURCES = (Source("g1", "bbc", "https://example.org/a", WHEN), Source("g2", "ap", "https://example.org/b", WHEN))


def test_atom_reads_back_with_topic_score_terms_and_sources() -> None:
    parsed = feedparser.parse(atom([FeedAlert(ALERT, SOURCES)], "http://127.0.0.1:9464/alerts.atom"))
    assert not parsed.bozo and parsed.version == "atom10"
    [entry] = parsed.entries
    assert entry.title == "[Turkey–Russia–Syria escalation] Turkish soldiers <killed> in Idlib"
    assert entry.link == "https://example.org/a" and entry.tags[0].term == "turkey_russia_syria"
    assert "score 0.97 (threshold 0.60)" in entry.summary and "Terms: idlib, ankara" in entry.summary
    assert "Also from: ap https://example.org/b" in entry.summary


def test_json_feed_is_version_1_1_with_the_monitor_extension() -> None:
    doc = json.loads(json_feed([FeedAlert(ALERT, SOURCES)], "http://127.0.0.1:9464/alerts.json"))
    assert doc["version"] == "https://jsonfeed.org/version/1.1" and doc["feed_url"].endswith("/alerts.json")
    [item] = doc["items"]
    assert item["id"] == "1f0c9a2e" and item["date_published"] == "2026-11-28T09:30:00+00:00"
    assert item["_monitor"]["score"] == 0.9731 and item["_monitor"]["terms"] == ["idlib", "ankara"]
    assert [s["source"] for s in item["_monitor"]["sources"]] == ["bbc", "ap"]


def test_an_empty_feed_is_still_a_feed() -> None:
    assert feedparser.parse(atom([], "http://x/alerts.atom")).version == "atom10"
    assert json.loads(json_feed([], "http://x/alerts.json"))["items"] == []
