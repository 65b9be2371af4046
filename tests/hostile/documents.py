"""Hostile feed documents, each one a way a single feed used to abort a whole poll (issue 12),
and what the parse stage now makes of it: an error of that feed alone, or its items cleaned."""

from __future__ import annotations

from dataclasses import dataclass

DEPTH = 200_000


@dataclass(frozen=True)
class Hostile:
    body: bytes
    content_type: str
    error: str | None  # part of the feed's one-line error; None: the feed is read
    items: int = 0  # items read when it is
    before: str = ""  # what a poll did with it before the fix (measured on main)


def _rss(items: str, close: bool = True) -> bytes:
    doc = f'<rss version="2.0"><channel><title>hostile</title>{items}'
    return (doc + ("</channel></rss>" if close else "")).encode()


HOSTILE: dict[str, Hostile] = {
    "deep-json": Hostile(
        b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * DEPTH + b"]" * DEPTH + b"}",
        "application/feed+json", error="JSON nested too deep",
        before="RecursionError: maximum recursion depth exceeded while decoding a JSON array"),
    "deep-xml": Hostile(
        _rss("<item><title>Deep</title><description>", close=False) + b"<x>" * DEPTH + b"</x>" * DEPTH
        + b"</description></item></channel></rss>",
        "application/rss+xml", error="beyond a parser limit: Excessive depth in document: 256",
        before="read by feedparser: 3.2 s of CPU on the event loop (17 s for 5 MB)"),
    "ipv6-link": Hostile(
        _rss("<item><title>Broken link</title><link>http://[::1</link>"
             "<description>The item is kept, without its link.</description></item>"),
        "application/rss+xml", error=None, items=1,
        before="ValueError: Invalid IPv6 URL"),
    "surrogate-charref": Hostile(
        _rss("<item><title>Lone &#xD800; surrogate</title><description>Not &amp; well-formed"
             " &eacute;</description></item>", close=False),
        "application/rss+xml", error=None, items=1,
        before="UnicodeEncodeError: 'utf-8' codec can't encode character '\\ud800'"),
    "declaration-byte": Hostile(
        b'<?xml version="1.0" encoding="utf-\xff8"?>' + _rss("<item><title>T &eacute;</title></item>"),
        "application/rss+xml", error="a byte that is not ASCII in the XML declaration",
        before="UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 4"),
    "control-chars": Hostile(
        _rss("<item><title>Bell\x07 and escape\x1b</title>"
             "<description>&lt;p&gt;Form\x0cfeed &amp;#1; and\x01 more&lt;/p&gt;</description></item>"),
        "application/rss+xml", error=None, items=1,
        before="ValueError: All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"),
    "two-way-tag": Hostile(
        _rss("<item><title>A tag of x = v</title><description>&lt;p&gt;Strikes &lt;a" + " x = v" * 499
             + "&gt;on Idlib&lt;/a&gt;&lt;/p&gt;</description></item>"),
        "application/rss+xml", error=None, items=1,
        before="the attribute guard's regex tried 2^499 readings of the tag, holding the GIL: the poll never ended"),
    "writer-run": Hostile(
        _rss("<item><title>A writer of one long name</title><description>كتب: " + "ب" * 3000
             + "</description></item>"),
        "application/rss+xml", error=None, items=1,
        before="the byline regex split the 3,000 letters into up to four names, n^3 tries: the poll never ended"),
}
