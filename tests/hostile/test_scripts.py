"""Turkish, Russian and Arabic items as a user receives them, on real receivers: an email's
subject, a cut headline, and what a feed's invisible characters can do to what is shown.
Each test's docstring names the fault it reproduces."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest
import regex

from monitor import settings, wiring
from monitor.alert_feed import FeedAlert, atom, json_feed, recent_alerts
from monitor.delivery.sender import ChannelConfig
from monitor.delivery.values import cut, lead
from tests.articles import rss
from tests.conftest import MODEL
from tests.test_delivery import alert, drain, make_sender

ROOT = Path(__file__).resolve().parent.parent.parent

# Headlines of our own writing, each longer than TITLE_CHARS (200) once repeated.
ARABIC = "القوات التركية تقصف مواقع في إدلب Idlib 2020 بعد مقتل ٣٣ جندياً، وأنقرة تتصل بموسكو "
RUSSIAN = "Турция и Россия договорились о прекращении огня в Идлибе после переговоров в Москве "
TURKISH = "İdlib'de Türk askerlerine saldırı: Erdoğan, Putin ile görüştü; Şırnak'ta ığdır "
EMOJI = "🇹🇷🇷🇺 👨\u200d👩\u200d👧 e\u0301cole Idlib "


@pytest.mark.parametrize(("words", "whole"), [(ARABIC, False), (RUSSIAN, False), (TURKISH, True), (EMOJI, False)],
                         ids=["arabic", "russian", "turkish", "emoji"])
def test_a_long_headline_in_any_script_is_emailed_with_a_whole_subject(redis_client, smtp_receiver, words,
                                                                       whole) -> None:
    """A 200-character Arabic or Russian headline made a 1,150-character Subject line (apprise
    writes it as one encoded word, unfolded): the SMTP server answered "500 Line too long"
    and the alert was retried until dead. Its subject is now cut at a word to 300 UTF-8
    octets, and reads back as the headline's beginning; the body has the whole headline."""
    title = (words * 9)[:198].rsplit(" ", 1)[0]  # within TITLE_CHARS: the body shows it whole
    s, outbox = make_sender(redis_client, {"desk": ChannelConfig(smtp_receiver.url())})
    outbox.enqueue(replace(alert(1, channel="desk"), title=title))
    assert drain(s) == 1 and len(smtp_receiver.messages) == 1
    received = email.message_from_bytes(smtp_receiver.messages[0].as_bytes(), policy=email.policy.default)
    shown = str(received["subject"]).strip()
    if whole:
        assert shown == f"[T1] {title}"
    else:
        assert shown.startswith("[T1] ") and shown.endswith("…") and len(shown.encode()) <= 300, shown
        assert title.startswith(shown[len("[T1] "):-1]) and title[len(shown) - len("[T1] ") - 1] == " "
    assert title in received.get_body(("plain",)).get_content()


@pytest.mark.parametrize(("word", "grapheme"), [
    ("ب\u064e" * 150, "ب\u064e"),  # an Arabic letter and its fatha
    ("e\u0301" * 150, "e\u0301"),  # é as a letter and a combining acute
    ("🇹🇷" * 150, "🇹🇷"),  # a flag: two regional indicators
    ("👨\u200d👩\u200d👧" * 60, "👨\u200d👩\u200d👧"),  # a family: three emoji joined by ZWJ
], ids=["fatha", "acute", "flag", "family"])
def test_a_word_longer_than_the_cap_is_cut_between_whole_graphemes(word: str, grapheme: str) -> None:
    """A headline or lead of one long word was cut at a code point: an Arabic letter lost its
    tashkeel, "é" became "e", a flag became a flag and a stray letter."""
    for shown in (cut(word, 200), lead(word, 200).removesuffix(" …") + "…"):
        assert shown.endswith("…") and len(shown) <= 201
        assert set(regex.findall(r"\X", shown[:-1])) == {grapheme}, shown[-8:]


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE = ("إدلب Idlib 2020: \u202egpj.exe\u202c \u2067قصف تركي\u2069",
           "قصفت المدفعية التركية مواقع في إدلب \u202eIdlib\u202c صباح الثلاثاء.")


@pytest.mark.slow
def test_bidi_overrides_from_a_feed_reach_neither_the_cli_nor_the_alert_feed(feed_server, json_receiver,
                                                                              make_settings) -> None:
    """A feed's U+202E (it makes "gpj.exe" read "exe.jpg") and bidi isolates were stripped
    from alerts sent to channels, but went on, kept by ingestion, to the terminal in
    `monitor recent`, `stories` and `status`, and to feed readers in /alerts.atom and
    /alerts.json. Every shown copy now loses them as the channels' copy does."""
    feed_server.set("/ar.xml", rss([("ar1", *HOSTILE)]))
    path = make_settings({"ar": feed_server.url("/ar.xml")}, {"hook": json_receiver.url}, threshold=0.0)
    path.write_text(path.read_text(encoding="utf-8").replace("[monitor]\n", '[monitor]\narticles = "never"\n', 1),
                    encoding="utf-8")
    assert _monitor(path, "poll", "--once").returncode == 0
    [sent] = json_receiver.received
    assert not set(BIDI) & set(sent["title"] + sent["message"])  # as it was: the channels' copy
    shown = {command: _monitor(path, command).stdout for command in ("recent", "stories", "status")}
    loaded = settings.load(path)
    feed = recent_alerts(wiring.store(loaded), ["turkey_russia_syria"])
    shown["atom"] = atom(feed, "http://127.0.0.1/alerts.atom").decode()
    shown["json"] = json_feed(feed, "http://127.0.0.1/alerts.json")
    for name, text in shown.items():
        assert "إدلب Idlib 2020: gpj.exe قصف تركي" in text, (name, text)
        assert not set(BIDI) & set(text), (name, [hex(ord(c)) for c in set(BIDI) & set(text)])
    assert not feedparser.parse(shown["atom"]).bozo


def _monitor(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", "--settings", str(path), *args],
                          capture_output=True, text=True, timeout=90, cwd=ROOT)


ITEMS = {
    "tr": ("İdlib'de Türk askerlerine saldırı: Erdoğan, Putin ile görüştü",
           "Türkiye'nin Suriye'deki gözlem noktaları Rus uçaklarınca vuruldu."),
    "ar": ("قصفت الطائرات الروسيـــة مواقع في إدلِب",
           "وقالت أنقرة إن ٣٣ جندياً تركياً قُتلوا في الغارة على ريف إدلب Idlib 2020."),
    "ru": ("Турция и Россия договорились о прекращении огня в Идлибе",
           "Сирийская армия продолжает наступление, заявили в Анкаре."),
}


@pytest.mark.parametrize("code", sorted(ITEMS))
def test_why_names_the_words_as_the_item_writes_them(redis_client, json_receiver, code) -> None:
    """An alert's "Why:" named the model's normalised features: "gozlem" for gözlem, "turk"
    for Türk, "انقره" for أنقرة and "الطايرات" for الطائرات (misspellings to an Arabic
    reader). Each word of a term is now shown as the headline or text writes it, in the
    channel's message and in the alert feed's summary."""
    from monitor.model.classify import Classifier

    title, text = ITEMS[code]
    terms = Classifier.load(MODEL).score([f"{title}\n{text}"])[0]["turkey_russia_syria"].terms
    words = [w for term in terms if not term.startswith("[") for w in term.split(" ")]
    assert words, terms  # the shipped model explains these by words, not only by concepts
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url)})
    sent = replace(alert(1), title=title, text=text, terms=terms)
    outbox.enqueue(sent)
    assert drain(s) == 1
    why = next(line for line in json_receiver.received[0]["message"].splitlines() if line.startswith("Why: "))
    summary = json.loads(json_feed([FeedAlert(sent, ())], "http://x/alerts.json"))["items"][0]["content_text"]
    shown = next(line for line in summary.splitlines() if line.startswith("Terms: "))
    written = set(regex.findall(r"[\w\p{M}']+", f"{title} {text}"))  # words with their marks and suffixes
    for line in (why.removeprefix("Why: "), shown.removeprefix("Terms: ")):
        for term in line.split(", "):
            assert term.startswith("[") or set(term.split(" ")) <= written, (term, line)
