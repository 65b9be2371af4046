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
    assert "score 0.97 (threshold 0.60)" in entry.summary and "Terms: Idlib, Ankara" in entry.summary
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


def test_an_alert_without_a_web_link_is_an_entry_without_one() -> None:
    # Atom wants a link or a content: one such alert made /alerts.atom a 500 until 50 newer
    # ones pushed it out; and the JSON Feed passed javascript: links on
    from dataclasses import replace

    from lxml import etree

    sources = (Source("g1", "bbc", "javascript:alert(1)", WHEN), SOURCES[1])
    alerts = [FeedAlert(replace(ALERT, url=url, id=f"a{n}"), sources)
              for n, url in enumerate(["", "javascript:alert(document.cookie)", "data:text/html,x"])]
    document = atom(alerts, "http://127.0.0.1:9464/alerts.atom")
    etree.fromstring(document)
    parsed = feedparser.parse(document)
    assert not parsed.bozo and len(parsed.entries) == 3
    assert all("Ankara said 12 soldiers" in e.content[0].value for e in parsed.entries)
    assert document.count(b"<link") == 1  # the feed's own (self), none an entry's
    assert b"javascript:" not in document and b"data:text" not in document
    doc = json.loads(json_feed(alerts, "http://127.0.0.1:9464/alerts.json"))
    assert all("url" not in item for item in doc["items"])
    assert all(item["_monitor"]["sources"][0]["url"] is None for item in doc["items"])


def test_the_feed_id_is_the_monitors_not_the_hosts_the_client_named() -> None:
    a = feedparser.parse(atom([FeedAlert(ALERT, SOURCES)], "http://evil.example/alerts.atom"))
    b = feedparser.parse(atom([FeedAlert(ALERT, SOURCES)], "http://127.0.0.1:9464/alerts.atom", topic="t"))
    assert (a.feed.id, b.feed.id) == ("urn:monitor:alerts", "urn:monitor:alerts:t")
