"""A description that repeats its item's title, whole or at its start (ingest/repeats.py, beyond_title)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.ingest.parse import parse_feed
from monitor.ingest.repeats import beyond_title
from monitor.model.classify import Classifier
from monitor.model.evaluate import scores_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("title", "text"), [
    ("Turkey sends reinforcements to Idlib", "Turkey sends reinforcements to Idlib"),
    ("Turkey sends reinforcements to Idlib - Reuters", "Turkey sends reinforcements to Idlib Reuters"),
    ("Erdogan and Putin discuss Syria truce in phone call - Al Jazeera English",
     "Erdogan and Putin discuss Syria truce in phone call"),
    ("Türkiye İdlib'e takviye gönderdi", "TÜRKİYE İDLİB'E TAKVİYE GÖNDERDİ"),
    ("Путин и Эрдоган обсудили Идлиб", "Путин и Эрдоган обсудили Идлиб."),
])
def test_a_repeat_of_the_title_give_or_take_a_source_says_nothing_more(title: str, text: str) -> None:
    assert beyond_title(title, text) == ""


@pytest.mark.parametrize(("title", "text"), [
    ("Idlib", "Idlib burns"),  # a third of a one-word title is no word
    ("Turkey sends reinforcements", "Turkey sends reinforcements to Idlib"),
    ("Turkey sends reinforcements to Idlib", "Convoys crossed the border overnight."),
    ("Turkey sends reinforcements to Idlib", ""),
    ("Turkey hits back", "Turkey hits back at Syrian army after shelling"),  # too short to be a repeat
])
def test_a_text_that_says_more_is_kept(title: str, text: str) -> None:
    assert beyond_title(title, text) == text


@pytest.mark.parametrize(("title", "text", "lead"), [
    ("Turkey sends reinforcements to Idlib", "Turkey sends reinforcements to Idlib. Convoys crossed overnight.",
     "Convoys crossed overnight."),
    ("Erdoğan'dan İdlib açıklaması: karşılık veririz",
     "ERDOĞAN'DAN İDLİB AÇIKLAMASI: KARŞILIK VERİRİZ - Cumhurbaşkanı Erdoğan saldırıya yanıt verdi.",
     "Cumhurbaşkanı Erdoğan saldırıya yanıt verdi."),
    ("«Путин и Эрдоган обсудили Идлиб»", "Путин и Эрдоган обсудили Идлиб: стороны договорились о перемирии.",
     "стороны договорились о перемирии."),
])
def test_the_title_again_before_the_lead_is_dropped(title: str, text: str, lead: str) -> None:
    assert beyond_title(title, text) == lead


def test_an_item_whose_description_repeats_its_title_is_scored_on_the_title() -> None:
    """Doubled, a headline read as a longer text with the same evidence, and the length-aware
    calibration grew sure of it: 0.57 alone, 0.95 doubled (FA-KES titles: 4 false alerts
    at 0.60 alone, 15 doubled)."""
    title = "Russian and Syrian jets pound rebel towns"
    body = (f"<rss version='2.0'><channel><title>t</title><item><title>{title}</title>"
            f"<link>https://news.example.org/1</link><description>{title}</description>"
            "</item></channel></rss>").encode()
    (item,) = parse_feed(body, "application/rss+xml", "wire", datetime(2026, 11, 29, tzinfo=UTC))
    assert item.text == "" and item.document == title
    clf = Classifier.load(ROOT / "models" / "topics.skops")
    topic = list(clf.topics).index("turkey_russia_syria")
    alone, doubled = scores_of(clf, [item.document, f"{title}\n{title}"])[:, topic]
    assert doubled - alone > 0.2


@pytest.mark.parametrize("title", [
    "VIDEO: Turkish troops reach the outskirts of Idlib",
    "[VİDEO] Turkish troops reach the outskirts of Idlib",
    "🔴 СРОЧНО | Turkish troops reach the outskirts of Idlib",
    "Turkish troops reach the outskirts of Idlib - Daily Courier",
    "Turkish troops reach the outskirts of Idlib | The Evening Post",
    "WATCH: Turkish troops reach the outskirts of Idlib - Daily Courier",
])
def test_a_labelled_title_is_seen_repeated_bare(title: str) -> None:
    """A label before the headline or an outlet's name after it, which the description
    leaves out, hid the repeat: the headline was scored twice."""
    bare = "Turkish troops reach the outskirts of Idlib"
    assert beyond_title(title, bare) == ""
    lead = "Convoys crossed the border overnight."
    assert beyond_title(title, f"{bare}. {lead}") == lead


@pytest.mark.parametrize(("title", "text"), [
    ("Erdogan: Turkey will act", "Turkey will act alone if the truce fails, Erdogan said."),  # too short a core
    ("Ankara - Moscow talks resume", "Ankara and Moscow resumed talks on Idlib on Tuesday."),
    ("Report: Turkish troops reach the outskirts of Idlib", "Convoys crossed the border overnight."),
])
def test_a_labelled_title_keeps_a_text_that_says_more(title: str, text: str) -> None:
    assert beyond_title(title, text) == text
