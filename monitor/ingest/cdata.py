"""Long CDATA sections cut before a feed is read: what a reader parses is what an item
can keep (issue 12's item caps, applied before the readers instead of after them)."""

from __future__ import annotations

from monitor.limits import ITEM_HTML_CHARS

CDATA_OPEN, CDATA_CLOSE = b"<![CDATA[", b"]]>"
CDATA_KEPT = 4 * ITEM_HTML_CHARS  # bytes: at least ITEM_HTML_CHARS characters in any encoding
_CUT_BEFORE = (b"<", b" ", b"\n")  # never a byte inside a multi-byte character (UTF-8, Shift_JIS, GB18030, Big5)


def cut_long_cdata(body: bytes) -> bytes:
    """The body with each CDATA section cut soon after CDATA_KEPT bytes. An item keeps the
    first ITEM_HTML_CHARS characters of a field (parse.py), and these lie in the kept part,
    so the items are the same; but the readers hold what they read several times over
    (feedparser's loose parser ~7 bytes a byte): one 5 MB description drove a poll's process
    from 102 to 151 MB through feedparser and to 121 MB through lxml.
    A scan with find, not a regex: an opener without its end costs one search, not one per
    opener (a lazy `.*?` after each of 200,000 openers would read the body 200,000 times)."""
    out: list[bytes] = []
    start = scan = 0
    while (opener := body.find(CDATA_OPEN, scan)) >= 0:
        closer = body.find(CDATA_CLOSE, opener + len(CDATA_OPEN))
        if closer < 0:
            break
        cut = _cut_point(body, opener + len(CDATA_OPEN) + CDATA_KEPT, closer)
        if cut < closer:
            out.append(body[start:cut])
            start = closer  # the section's end and what follows it are kept
        scan = closer + len(CDATA_CLOSE)
    return b"".join([*out, body[start:]]) if out else body


def _cut_point(body: bytes, after: int, closer: int) -> int:
    """The first byte at or after `after` that starts a tag or is a space (a character's
    boundary in any ASCII-compatible encoding), or `closer` when there is none before it."""
    if after >= closer:
        return closer
    found = [at for mark in _CUT_BEFORE if 0 <= (at := body.find(mark, after, closer))]
    return min(found, default=closer)
