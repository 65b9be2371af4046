"""The parse stage's fallback (parse.py): a body lxml cannot read as a feed (not
well-formed, odd encodings, RSS 0.90, CDF...) read by feedparser, whose lenient parser is
the reference for what a feed is, up to FEEDPARSER_MAX_MARKUP (it is pure Python, and slow
on hostile markup)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import feedparser

from monitor.errors import ParseError
from monitor.ingest.dates import parse_date
from monitor.ingest.media import fp_media_description, keep_media_descriptions_apart
from monitor.ingest.raw import Raw
from monitor.ingest.text import collapse, drop_bad_charrefs_bytes
from monitor.ingest.yandex import fp_yandex_bodies, read_yandex_in_feedparser
from monitor.limits import FEEDPARSER_MAX_MARKUP

_XML_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(<\?xml[^>]*>)")  # after a UTF-8 byte-order mark
keep_media_descriptions_apart()  # a video's caption never hides the item's own text (media.py)
read_yandex_in_feedparser()  # an item's text in Yandex's elements (yandex.py)


def feedparser_entries(body: bytes, content_type: str | None, source: str) -> Iterator[Raw]:
    markup = body.count(b"<") + body.count(b"&")  # feedparser's time grows with it: see the default
    if markup > FEEDPARSER_MAX_MARKUP:
        raise ParseError(f"feed '{source}': not RSS, Atom or JSON Feed that lxml reads, and too much markup "
                         f"for feedparser ({markup} tags and references, at most {FEEDPARSER_MAX_MARKUP})")
    # A BytesIO, never the bytes: feedparser treats a bytes or str argument that names a
    # file or URL as something to open, which would let a feed body read local files.
    headers = {"content-type": content_type} if content_type else {}
    declaration = _XML_DECLARATION.match(body)
    if declaration and not declaration[1].isascii():
        raise ParseError(f"feed '{source}': not RSS, Atom or JSON Feed (a byte that is not ASCII "
                         "in the XML declaration)")
    try:
        result = feedparser.parse(
            io.BytesIO(drop_bad_charrefs_bytes(body)),  # feedparser raises on "&#xD800;"
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser promises a "bozo" flag, never an exception, yet its
        # loose parser raises KeyError, ValueError... on some broken markup (found by
        # tests/hostile/test_fuzz.py): whatever escapes it is this document's error.
        detail = collapse(str(exc))[:120]
        raise ParseError(f"feed '{source}': not RSS, Atom or JSON Feed ({type(exc).__name__}: {detail})") from None
    if not result.get("version") and not result.entries:
        raise ParseError(f"feed '{source}': not RSS, Atom or JSON Feed ({_bozo(result)})")
    return (_fp_entry(entry) for entry in result.entries)  # dated as they are taken


def _bozo(result: Any) -> str:
    exc = result.get("bozo_exception")
    detail = collapse(str(exc)) if exc else "no feed elements found"
    return detail[:120] or type(exc).__name__


def _fp_entry(entry: Any) -> Raw:
    title, title_html = _fp_text(entry.get("title_detail"), entry.get("title", ""))
    content = [_fp_text(detail, "") for detail in entry.get("content") or []]
    bodies = (*content, _fp_text(entry.get("summary_detail"), entry.get("summary", "")),
              *fp_yandex_bodies(entry), (fp_media_description(entry), True))
    # The date as written, read as the fast path reads it (feedparser's own reading may
    # shift an impossible date: see dates.py). Read as a plain dict: feedparser's `get`
    # maps a missing "updated" to "published" with a DeprecationWarning (a "<pubDate?"
    # left "published" empty and the fallback asked for "updated").
    date = _string(dict.get(entry, "published")) or _string(dict.get(entry, "updated"))
    return Raw(
        guid=_string(entry.get("id")),
        link=_string(entry.get("link")),
        title=title,
        bodies=bodies,
        date=parse_date(date),
        title_html=title_html,
        outlet=_string(source.get("title")) if isinstance(source := entry.get("source"), dict) else None,
    )


def _string(value: object) -> str | None:
    """A value feedparser promises as text, when it is: a "<links>" element before "<link>"
    made its "link" a dict of the link's attributes (found by tests/hostile/test_fuzz.py)."""
    return value if isinstance(value, str) else None


def _fp_text(detail: Any, default: str) -> tuple[str, bool]:
    if not isinstance(detail, dict):
        return _string(default) or "", True
    return _string(detail.get("value")) or "", "plain" not in (_string(detail.get("type")) or "text/html")
