"""Feeds in the legacy charsets of Arabic, Russian and Turkish sites that say nothing of it,
or claim UTF-8 (monitor/ingest/charsets.py): read in their charset, where they were read
as windows-1252 ("أردوغان" became "ÃÑÏæÛÇä") and no topic could score them; and a UTF-8
feed with one bad byte, read as UTF-8 (it was read as windows-1252 whole)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from lxml import etree

from monitor import settings
from monitor.ingest.charsets import readable
from monitor.ingest.parse import parse_feed
from tests.polling import poll_and_send

FETCHED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
# Written for these tests: a headline and a lead in each language.
AR = ("قصف روسي على مواقع الفصائل المدعومة من تركيا في ريف إدلب",
      "وقالت وزارة الدفاع التركية إن طائرات روسية قصفت محيط نقطة مراقبة تركية في إدلب، وإن أنقرة أبلغت موسكو احتجاجها.")
RU = ("ВКС России нанесли удары по позициям протурецких боевиков в Идлибе",
      "Анкара выразила протест Москве после обстрела вблизи турецкого наблюдательного поста.")
TR = ("Rus uçakları İdlib'de TSK gözlem noktası yakınını vurdu",
      "Milli Savunma Bakanlığı, Rusya ile temasların sürdüğünü ve rejim güçlerine karşılık verildiğini açıkladı.")
EN = ("Café talks in Genève – Erdogan’s envoy meets the Kremlin’s", "Ministers met in Genève on Tuesday.")


def rss(title: str, text: str, declaration: str = "") -> str:
    return (f'{declaration}<rss version="2.0"><channel><title>t</title><item><guid>x1</guid>'
            f"<title>{title}</title><link>https://news.example.org/1</link>"
            f"<description>{text}</description></item></channel></rss>")


@pytest.mark.parametrize(("story", "charset"), [
    (AR, "cp1256"), (AR, "iso8859_6"), (RU, "cp1251"), (RU, "koi8_r"), (TR, "cp1254"), (TR, "iso8859_9"),
    (EN, "cp1252"),
])
@pytest.mark.parametrize("says", ["nothing", "utf-8 in its header", "utf-8 in its declaration"])
def test_a_feed_in_a_legacy_charset_it_does_not_name_is_read_in_it(story, charset, says) -> None:
    title, text = story if charset != "iso8859_6" else (story[0].replace("إ", "ا"), story[1].replace("إ", "ا"))
    declaration = '<?xml version="1.0" encoding="utf-8"?>' if "declaration" in says else ""
    body = rss(title, text, declaration).encode(charset)
    content_type = "application/rss+xml; charset=UTF-8" if "header" in says else "application/rss+xml"
    (item,) = parse_feed(body, content_type, "f", FETCHED)
    assert (item.title, item.text) == (title, text)
    _, named = readable(body, "utf-8" if "header" in says else None)
    if named is not None:  # a name lxml knows: the fast reader takes the feed, not feedparser
        etree.fromstring(body, etree.XMLParser(encoding=named))


@pytest.mark.parametrize(("story", "charset", "label"), [
    (RU, "cp1251", "windows-1251"), (RU, "koi8_r", "KOI8-R"), (AR, "cp1256", "windows-1256"),
    (TR, "cp1254", "windows-1254"), (TR, "iso8859_9", "ISO-8859-9"),
])
@pytest.mark.parametrize("header", ["ISO-8859-1", "windows-1252"])
def test_a_servers_default_charset_yields_to_the_declaration(story, charset, label, header) -> None:
    """Fault: a header naming the server's default (ISO-8859-1, windows-1252) beat a
    declaration of windows-1251, KOI8-R, windows-1256 or windows-1254, and latin-1 reads any
    byte: "Путин" was "Ïóòèí", "Erdoğan" "Erdoðan" (scores 1.00 -> 0.01)."""
    body = rss(*story, f'<?xml version="1.0" encoding="{label}"?>').encode(charset)
    (item,) = parse_feed(body, f"application/rss+xml; charset={header}", "f", FETCHED)
    assert (item.title, item.text) == story
    assert readable(body, header) == (body, label)  # a name lxml knows: the fast reader reads it


def test_a_named_charset_is_trusted_and_utf8_is_left_alone() -> None:
    body = rss(*RU, '<?xml version="1.0" encoding="windows-1251"?>').encode("cp1251")
    assert readable(body, None) == (body, None)  # lxml reads the declaration
    assert readable(body, "koi8-r") == (body, None)  # the header wins (RFC 7303), right or wrong
    latin = rss(*EN, '<?xml version="1.0" encoding="windows-1252"?>').encode("cp1252")
    assert readable(latin, "ISO-8859-1") == (latin, None)  # one Western charset for another: the header's
    utf8 = rss(*TR).encode("utf-8")
    assert readable(utf8, None) == (utf8, None)


@pytest.mark.parametrize(("story", "label"), [
    (RU, "windows-1251"), (RU, "KOI8-R"), (AR, "windows-1256"), (AR, "ISO-8859-6"), (TR, "windows-1254"),
    (TR, "ISO-8859-9"), (EN, "windows-1252"), (EN, "ISO-8859-1"),
])
@pytest.mark.parametrize("where", ["header", "declaration"])
def test_a_utf8_feed_still_labelled_with_its_old_charset_is_read_as_utf8(story, label, where) -> None:
    """Fault: a site moved to UTF-8 kept its legacy label, and the feed was read in it:
    "ErdoÄŸan", "РџСѓС‚РёРЅ", "ط¨ظˆطھظٹظ†" (scores 1.00 -> 0.04). Valid UTF-8 holding
    characters beyond ASCII is no text in a single-byte charset (charsets.py)."""
    declaration = f'<?xml version="1.0" encoding="{label}"?>' if where == "declaration" else ""
    content_type = f"application/rss+xml; charset={label}" if where == "header" else "application/rss+xml"
    (item,) = parse_feed(rss(*story, declaration).encode("utf-8"), content_type, "f", FETCHED)
    assert (item.title, item.text) == story


def test_a_legacy_body_that_happens_to_be_valid_utf8_keeps_its_label() -> None:
    body = rss("Её", "x", '<?xml version="1.0" encoding="windows-1251"?>').encode("cp1251")
    assert body.decode("utf-8")  # "Её" in windows-1251 is "Ÿ" in UTF-8: one character, not several
    assert readable(body, None) == (body, None)
    assert parse_feed(body, "application/rss+xml", "f", FETCHED)[0].title == "Её"


def test_a_utf8_feed_with_a_bad_byte_keeps_its_letters() -> None:
    body = rss(TR[0], TR[1] + " X").encode("utf-8").replace(b" X", b" \xff")
    (item,) = parse_feed(body, "application/rss+xml", "f", FETCHED)
    assert item.title == TR[0] and item.text == TR[1] + " \ufffd"


def test_an_arabic_feed_in_windows_1256_served_without_a_charset_alerts(
        feed_server, json_receiver, make_settings) -> None:
    feed_server.set("/ar.xml", rss(*AR).encode("cp1256"), content_type="application/rss+xml")
    loaded = settings.load(make_settings({"ar": feed_server.url("/ar.xml")}, {"hook": json_receiver.url}))
    polled = poll_and_send(loaded)
    assert [r.alerts for r in polled.results] == [1]
    assert polled.sent == 1
    assert AR[0] in json.dumps(json_receiver.received, ensure_ascii=False)


@pytest.mark.parametrize("header", ["application/rss+xml", "application/rss+xml; charset=windows-1251"])
def test_a_feed_with_a_byte_order_mark_that_lxml_cannot_read_is_read_by_feedparser(header) -> None:
    """Fault: the fallback refused every feed that starts with a UTF-8 byte-order mark ("a
    byte that is not ASCII in the XML declaration": the mark was read as the declaration's),
    so such a feed lxml could not read (an HTML entity, "&nbsp;", in a Russian feed; or a
    server's windows-1251 label, which the mark overrides, on a site moved to UTF-8) lost
    every item."""
    body = b"\xef\xbb\xbf" + rss(RU[0], RU[1].replace(" после ", " после&nbsp;"),
                                 '<?xml version="1.0" encoding="utf-8"?>').encode("utf-8")
    (item,) = parse_feed(body, header, "f", FETCHED)
    assert (item.title, item.text) == RU
