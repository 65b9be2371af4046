"""A name a feed appends to its every title is dropped (monitor/ingest/suffixes.py): its
words were scored as the story's. Feeds written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

import pytest

from monitor.ingest import parse
from monitor.ingest.parse import item_id, parse_feed
from monitor.ingest.suffixes import Suffix, feed_suffix
from monitor.items import Item
from tests.test_neardup import index, item

FETCHED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TURKISH = [
    "Ankara ile Moskova arasında İdlib görüşmesi",
    "Dışişleri Bakanı Fidan Şam'a gidiyor",
    "Sınırda yeni güvenlik önlemleri",
    "Suriye'de ateşkes ihlali iddiası",
    "Türkiye ile Rusya arasında yeni enerji anlaşması",
]
ENGLISH = [
    "Talks on Idlib resume in Ankara",
    "Kremlin says Putin and Erdogan spoke by phone",
    "Turkish army sends more troops to the border",
    "Damascus accuses Ankara over border incident",
    "UN calls for calm in northwest Syria",
]


def _feed(titles: list[str], entity: str = "", links: bool = True) -> bytes:
    """RSS 2.0, one item a title; `entity` in the channel's title (an HTML entity: not
    XML, so feedparser reads the feed, not lxml)."""
    items = "".join(
        f"<item><title>{escape(title)}</title>"
        + (f"<guid>https://news.example.org/{n}</guid>" if links else "")
        + f"<description>Story {n}.</description></item>"
        for n, title in enumerate(titles))
    return f'<rss version="2.0"><channel><title>Örnek{entity}</title>{items}</channel></rss>'.encode()


def _titles(body: bytes) -> list[str]:
    return [item.title for item in parse_feed(body, "application/rss+xml", "f", FETCHED)]


@pytest.mark.parametrize("entity", ["", "&nbsp;"])
def test_a_name_ending_every_title_of_a_feed_is_dropped(entity: str) -> None:
    body = _feed([f"{title} - Örnek Haber" for title in TURKISH], entity)
    assert (parse._lxml_entries(body, "application/rss+xml") is None) == bool(entity)
    assert _titles(body) == TURKISH


def test_both_readers_give_the_same_items() -> None:
    titles = [f"{title} | Sputnik Türkiye" for title in TURKISH]
    fast, slow = (parse_feed(_feed(titles, entity), "application/rss+xml", "f", FETCHED) for entity in ("", "&nbsp;"))
    assert fast == slow
    assert [item.title for item in fast] == TURKISH


def test_an_ending_on_most_titles_is_dropped_from_those() -> None:
    """Four of five (80 %): the fifth, without it, is kept as it is."""
    titles = [f"{title} — Коммерсантъ" for title in ENGLISH[:4]] + [ENGLISH[4]]
    assert _titles(_feed(titles)) == ENGLISH


def test_an_ending_of_one_title_is_the_storys() -> None:
    titles = [*ENGLISH[:4], f"{ENGLISH[4]} - live"]
    assert _titles(_feed(titles)) == titles


def test_a_feed_of_two_items_keeps_its_titles() -> None:
    titles = [f"{title} - Örnek Haber" for title in TURKISH[:2]]
    assert _titles(_feed(titles)) == titles


def test_an_ending_on_fewer_than_most_titles_or_with_a_sentence_is_kept() -> None:
    three = [f"{title} - Örnek Haber" for title in TURKISH[:3]] + TURKISH[3:]  # 3 of 5
    said = [f"{title} - what happens next?" for title in ENGLISH]
    for titles in (three, said):
        assert _titles(_feed(titles)) == titles


def test_the_ids_are_made_from_the_titles_as_read() -> None:
    """An item without a GUID or link takes its id from its title: the one it had before
    the ending was dropped, so an upgrade makes no item new to the seen-set."""
    titles = [f"{title} :: Örnek Haber" for title in TURKISH]
    items = parse_feed(_feed(titles, links=False), "application/rss+xml", "f", FETCHED)
    assert [item.title for item in items] == TURKISH
    assert [item.id for item in items] == [item_id(None, None, title, f"Story {n}.")
                                           for n, title in enumerate(titles)]


def test_the_listing_is_asked_about_a_title_as_dropped() -> None:
    """Two stories under one GUID: the one the feed's last poll listed under it (with its
    headline as the listing holds it, without the ending) keeps it, though published last."""
    titles = [f"{title} - Örnek Haber" for title in TURKISH[:3]]
    body = ('<rss version="2.0"><channel><title>t</title>' + "".join(
        f"<item><title>{title}</title><guid>https://news.example.org/</guid><link>https://news.example.org/{n}</link>"
        f"<pubDate>Wed, 0{n + 1} Jan 2025 10:00:00 GMT</pubDate></item>" for n, title in enumerate(titles))
        + "</channel></rss>").encode()
    shared = item_id("https://news.example.org/", None, "", "")

    def held(listed: str, title: str | None) -> bool:
        return listed == shared and title in (None, TURKISH[2])

    items = parse_feed(body, "application/rss+xml", "f", FETCHED, held=held)
    assert [(item.title, item.id == shared) for item in items] == [
        (TURKISH[0], False), (TURKISH[1], False), (TURKISH[2], True)]


def test_a_title_is_never_left_empty() -> None:
    assert Suffix(" - Örnek Haber").title(" - Örnek Haber") == " - Örnek Haber"
    item = Item(id="1", source="f", url="", title="x", text="", published=FETCHED)
    assert feed_suffix([item] * 5) == Suffix()


@pytest.mark.parametrize(("signed", "text"), [
    ("Ankara sends new convoy toward the border - Example Times", ""),
    ("Анкара направила к границе новую технику — Вестник Примерска", ""),
    ("Erdoğan ile Putin İdlib'i telefonda görüştü - Örnek Haber",
     "Cumhurbaşkanı Erdoğan, Rusya Devlet Başkanı Putin ile telefonda görüştü."),
])
def test_a_title_that_lost_its_feeds_name_finds_its_first_versions_story(rc, signed: str, text: str) -> None:
    """After the upgrade a signed feed's items are judged again as revised (their headline
    digests change once): one whose first version alerted must join that story, not alert
    again, a bare headline too."""
    idx = index(rc)
    first = idx.check_and_add(item("a", signed, text))
    bare = Suffix(signed[signed.rindex(" - " if " - " in signed else " — "):]).title(signed)
    again = idx.check_and_add(item("b", bare, text))
    assert not again.is_new and again.story_id == first.story_id
