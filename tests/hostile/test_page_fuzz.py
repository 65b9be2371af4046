"""Fuzzing the page path: article pages (English, Turkish in windows-1254, Russian in
KOI8-R, Arabic) mutated by truncation, byte flips, repetition and insertion of hostile
fragments (MathML and SVG roots, lying charsets and byte-order marks, refresh tags, nesting,
bad references), read as the article stage and `monitor score URL` read them. Whatever the
page, extraction gives clean text or none, the refresh tag a URL or none, the relevance
check a verdict, and never an exception: a page opening with "<math>" ended `monitor score
URL` in a traceback (trafilatura's date search dropped the root element and lxml asserted),
found by this property on the article-extraction benchmark's 181 pages (17,799 mutated pages
without a failure since, /work side).
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.ingest import article, refresh, relevance
from tests.hostile.test_fuzz import NOT_TEXT, _flip, _repeat, _truncate

URL = "https://news.example.org/world/2026/11/28/strikes"
FUZZ_EXAMPLES = 300


def _page(title: str, paragraphs: list[str], charset: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs * 3)
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title>'
            '<meta http-equiv="refresh" content="600"></head><body><nav><a href="/">Home</a><a href="/world">World'
            f"</a></nav><article><h1>{title}</h1>{body}</article><aside><a href='/other'>Read also: other"
            "</a></aside><footer>© News</footer></body></html>").encode(charset, "replace")


PAGES = [
    _page("Russian strikes hit Idlib as Turkey reinforces posts",
          ["Russian warplanes struck villages in Idlib on Monday, a war monitor said.",
           "Turkey sent more troops to its observation posts in the province."], "utf-8"),
    _page("Erdoğan ile Putin İdlib'i görüştü",
          ["Cumhurbaşkanı Erdoğan, Rusya Devlet Başkanı Putin ile telefonda İdlib'deki gerginliği görüştü.",
           "Görüşmede ateşkesin korunması ele alındı."], "windows-1254"),
    _page("Удары по Идлибу", ["Российские самолёты нанесли удары по Идлибу, сообщил мониторинг.",
                              "Турция усилила свои посты."], "koi8-r"),
    _page("غارات روسية على إدلب", ["شنت طائرات روسية غارات على ريف إدلب اليوم.", "وعززت تركيا نقاطها."],
          "utf-8"),
]
FRAGMENTS = [
    b"<math>", b"<math><mi>", b"<svg>", b"<math>html", b"<html><html>", b"</html>", b"<body>", b"<p>" * 300,
    b"<div>" * 300, b"</div>" * 50, b"<table>" * 200, b"<script>", b"<style>", b"<!--", b"<![CDATA[", b"<",
    b'<meta charset="utf-16">', b'<meta charset="bogus">', b'<meta charset="utf-7">', b"\xff\xfe", b"\xfe\xff",
    b"\xef\xbb\xbf", b"\x00", b"\r" * 200, b"&#0;", b"&#xd800;", b"&#" + b"9" * 500 + b";", b"\xed\xa0\x80",
    b'<meta http-equiv="refresh" content="0; url=javascript:alert(1)">',
    b'<meta http-equiv="refresh" content="0; url=http://[::1">', b"<base href='ftp://x/'>",
    b"<a href='http://[::1'>x</a>", b"<noscript>", b"<template>", b"<frameset>", b"<iframe srcdoc='<p>x'>",
]
CONTENT_TYPES = [None, "text/html", "text/html; charset=utf-16", "text/html; charset=bogus",
                 "application/xhtml+xml; charset=windows-1256", "text/html; charset=koi8-r"]


def _insert(draw: st.DrawFn, body: bytes) -> bytes:
    i = draw(st.integers(0, len(body)))
    return body[:i] + draw(st.sampled_from(FRAGMENTS)) + body[i:]


def _prefix(draw: st.DrawFn, body: bytes) -> bytes:
    return draw(st.sampled_from(FRAGMENTS)) + body


MUTATIONS = [_insert, _insert, _prefix, _flip, _truncate, _repeat]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str | None]:
    body = draw(st.sampled_from(PAGES))
    for _ in range(draw(st.integers(1, 4))):
        body = draw(st.sampled_from(MUTATIONS))(draw, body)
    return body, draw(st.sampled_from(CONTENT_TYPES))


def check(body: bytes, content_type: str | None) -> None:
    """A page read as the monitor reads it: text or none, a URL or none; no exception."""
    text = article.extract(body, URL, 100_000, content_type)
    title, titled = article.extract_titled(body, URL, 100_000, content_type)
    for value in (text, title, titled):
        assert not NOT_TEXT.search(value), value
        value.encode("utf-8")  # strict: no lone surrogate
        assert value == " ".join(value.split())
    onward = refresh.target(body, URL)
    assert onward is None or onward.startswith(("http://", "https://"))
    assert relevance.about("Russian strikes hit Idlib", "Warplanes struck villages.", text, "en") in (True, False)
    assert relevance.about("Erdoğan ile Putin İdlib'i görüştü", "", titled, "tr") in (True, False)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])
@given(mutated())
@example((b"<math>html", "text/html"))
@example((b"<math><mi>" + PAGES[0], None))
def test_any_page_is_read_as_text_or_none(page: tuple[bytes, str | None]) -> None:
    check(*page)
