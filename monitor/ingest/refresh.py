"""Where a page that only sends the reader on leads: `<meta http-equiv="refresh" content="0;
url=...">`, as link shorteners, an outlet's old addresses and some aggregators' links answer
instead of an HTTP redirect. Read as a page, such a page was thin, and its item was judged on
its feed text; article.read_page follows it once, as a browser would, through the same
session and guards (the private-address rule included) as any page.

A refresh that names no address, or waits longer than MAX_DELAY, reloads or moves a page
the reader is already on (news sites reload their pages every few minutes): not followed.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

SCAN_BYTES = 65_536  # the head, where the tag belongs
MAX_DELAY = 10.0  # seconds: a longer wait is a reload, not a redirect
# Each tag read once and not past the next '<' (on the event loop: "<meta http-equiv=refresh "
# repeated over 64 KB ran past 20 s, n^3; "<meta " repeated 4.7 s)
_TAG = re.compile(rb"<meta\s[^<>]*?http-equiv\s*+=\s*+[\"']?+refresh\b[^<>]*+>", re.IGNORECASE)
_CONTENT = re.compile(rb"\scontent\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)
_VALUE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*[;,]?\s*(?:url\s*=\s*)?(.*)", re.IGNORECASE | re.DOTALL)


def target(body: bytes, base: str) -> str | None:
    """The absolute http(s) address a page's meta refresh sends the reader to at once
    (within MAX_DELAY), other than the page itself; None when it sends nowhere."""
    tag = _TAG.search(body[:SCAN_BYTES])
    content = _CONTENT.search(tag[0]) if tag else None
    if content is None:
        return None
    value = _VALUE.fullmatch(html.unescape(content[1].strip(b"\"'").decode("utf-8", "replace")))
    if value is None or float(value[1]) > MAX_DELAY:
        return None
    address = value[2].strip().strip("\"'").strip()
    if not address:
        return None
    try:
        found = urljoin(base, address)
        scheme = urlsplit(found).scheme
    except ValueError:  # "http://[::1": urllib raised, and the poll's article stage with it
        return None
    if scheme not in ("http", "https") or found.split("#")[0] == base.split("#")[0]:
        return None
    return found
