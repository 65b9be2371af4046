"""A description that repeats its item's title, whole or at its start (ingest/repeats.py, beyond_title),
and a title that is the description's first line cut short or run on (headline_of)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.ingest.parse import parse_feed
from monitor.ingest.repeats import beyond_title, headline_of, unquoted
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


HEAD = "Глава МИД Турции прибыл в Москву для переговоров по Идлибу"
LINES = f"{HEAD}\nМинистр проведёт переговоры с Сергеем Лавровым.\nАнкара ждёт отвода сирийских войск."


@pytest.mark.parametrize("title", [
    "Глава МИД Турции прибыл в Москву для...",  # rss-bridge: the post's first 100 bytes, "..."
    "Глава МИД Турции прибыл в Москву для перегов…",  # cut in a word
    f"{HEAD}...", f"⚡️{HEAD}",
    f"{HEAD} Министр проведёт...",  # run on into the next line (rss-bridge)
    " ".join(LINES.split("\n")),  # the whole post
    f"{HEAD} #Турция #Сирия", f"{HEAD} #Турция @rian_ru...",  # the line and its hashtags
    "❗️❗️❗️", "#Срочно", "📢 #Срочно",  # RSSHub: the post's first line, above its headline
    "❗️❗️❗️ Глава МИД Турции прибыл в Москву для...", "#Срочно Глава МИД Турции прибыл в Москву для переговоров...",
])
def test_a_title_that_is_the_first_line_cut_short_or_run_on_is_that_line(title: str) -> None:
    head = f"⚡️{HEAD}" if title.startswith("⚡️") else HEAD
    text = LINES.replace(HEAD, head, 1)
    assert headline_of(title, text) == ((title, text) if title == head else (head, text.split("\n", 1)[1]))
    assert headline_of(title, f"❗️❗️❗️\n{text}") == ((title, f"❗️❗️❗️\n{text}") if title == head
                                                     else (head, text.split("\n", 1)[1]))


@pytest.mark.parametrize("title", ["❗️❗️❗️", "🔴", "#Срочно"])
def test_a_title_with_no_words_over_a_text_with_no_headline_is_none(title: str) -> None:
    assert headline_of(title, "Срочно\nТурция ответила") == ("", "Срочно\nТурция ответила")


def test_a_long_first_line_gives_its_first_sentence() -> None:
    lead = " ".join(["Турецкие военные ответили огнём на обстрел поста у Саракиба."] * 4)
    text = f"{HEAD}. {lead}"
    assert headline_of(f"{HEAD}. Турецкие военные...", text) == (f"{HEAD}.", lead)


@pytest.mark.parametrize(("title", "text"), [
    ("Turkey sends reinforcements", "Turkey sends reinforcements to Idlib after shelling\nConvoys crossed."),
    ("Turkey sends reinforcements to Idlib", "Turkey sends reinforcements to Idlib\nConvoys crossed."),
    ("Weather", "Weather\nRain"),  # a label over no headline
    ("Erdogan and Putin talk Idlib - Reuters", "Erdogan and Putin talk Idlib Reuters"),
    ("Turkey strikes back...", "Ankara said Turkey strikes back at the Syrian army."),
    ("Turkey strikes back at Syrian army", "Turkey strikes back\nat the Syrian army, Ankara said."),
    ("Turkey: " + "x " * 120 + "...", "Turkey: " + "x " * 150),  # a first line past an alert's title
    ("", "An item with no title keeps its text\nAnd its lines."),
])
def test_an_outlets_title_and_description_are_kept(title: str, text: str) -> None:
    assert headline_of(title, text) == (title, text)


REPLY = "Update: Russia says its jets did not strike Saraqib"


@pytest.mark.parametrize("quote", [
    "Mideast Wire:\nTurkish soldiers killed near Saraqib, Ankara says.\n",  # RSSHub
    "Mideast Wire\nTurkish soldiers killed near Saraqib, Ankara says. https://t.me/mideast_wire/7400\n",  # rss-bridge
    "Mideast Wire:\n",  # a reply to a photo
])
def test_the_post_a_reply_quotes_is_dropped(quote: str) -> None:
    text = f"{REPLY}\nThe ministry blamed the Syrian army's artillery."
    assert unquoted(REPLY, quote + text) == text
    assert unquoted(f"↩️ {REPLY}", quote + text) == text


@pytest.mark.parametrize("text", [
    "Ankara:\nTurkey sends reinforcements to Idlib.\nConvoys crossed overnight.",  # no title again
    f"Mideast Wire\nTurkish soldiers killed near Saraqib.\n{REPLY}",  # no quote's mark
    f"A lead that runs long, as outlets' first lines do, and ends with a colon:\nx\n{REPLY}",
])
def test_a_text_that_quotes_nothing_is_kept(text: str) -> None:
    assert unquoted(REPLY, text) == text


@pytest.mark.parametrize("label", ["⚡️СРОЧНО", "🔴 عاجل", "BREAKING NEWS", "Срочно", "⚡️СРОЧНО\n❗️❗️❗️"])
@pytest.mark.parametrize("shape", ["rsshub", "cut", "run on"])
def test_a_label_over_the_headline_is_no_title(label: str, shape: str) -> None:
    """RSSHub titles a post with its first line, the label over its headline ("⚡️СРОЧНО",
    "BREAKING NEWS"); rss-bridge with the label and the headline cut short, or run on."""
    joined = label.replace("\n", " ")
    title = {"rsshub": label.split("\n")[0], "cut": f"{joined} Глава МИД Турции прибыл в...",
             "run on": f"{joined} {HEAD} Министр проведёт..."}[shape]
    assert headline_of(title, f"{label}\n{LINES}") == (HEAD, LINES.split("\n", 1)[1])
