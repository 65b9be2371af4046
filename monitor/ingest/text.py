"""Text cleanup shared by the parse stage: HTML to plain text, canonical URLs, item ids, dates.

Pure functions, no I/O. lxml does the HTML work because it is an order of magnitude faster
than feedparser's sanitiser, and we only want the words anyway.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

import feedparser
from lxml import etree

TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "igshid", "ref_src"})
"""Query parameters that identify a campaign or a click, not the page (plus every utm_*)."""

ID_LENGTH = 24
"""Hex digits kept of an item id's sha1: 96 bits, so Redis keys stay short and collisions nil."""

# Elements whose content is never readable text.
_INVISIBLE = ("script", "style", "noscript", "template", "head")
# Elements that end a word even when the markup has no space around them.
_BLOCKS = tuple(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr td th table blockquote pre hr section article "
    "header footer figure figcaption dd dt dl aside nav img".split()
)
_HTML_PARSER = etree.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, default_doctype=False
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def collapse(text: str) -> str:
    """Collapse every run of whitespace (including no-break spaces) into one space."""
    return " ".join(text.split())


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: no scripts or styles, entities decoded, one-spaced.

    Input without markup or entities skips the parser: most titles are plain text.
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return collapse(html)
    try:
        root = etree.fromstring(f"<div>{html}</div>", _HTML_PARSER)
    except (etree.ParserError, ValueError):  # empty after parsing, or a bad character
        return collapse(re.sub(r"<[^>]*>", " ", html))
    if root is None:
        return ""
    etree.strip_elements(root, *_INVISIBLE, with_tail=False)
    # A block element ends a word: give it a leading and trailing space, then let libxml2
    # serialise the text (much faster than walking the tree in Python).
    for el in root.iter(_BLOCKS):
        el.text = " " + el.text if el.text else " "
        el.tail = " " + el.tail if el.tail else " "
    return collapse(etree.tostring(root, method="text", encoding=str))


def canonical_url(url: str) -> str:
    """The URL without tracking parameters or fragment, scheme and host lowercased.

    Other parameters keep their order and their exact encoding (we split the raw query
    rather than decode and re-encode it, which would change `%20` into `+`).
    """
    url = url.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an invalid IPv6 host: keep it as given, minus the fragment
        return url.split("#", 1)[0]
    scheme = parts.scheme.lower()
    netloc = _lower_host(parts.netloc, scheme)
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, parts.path or ("/" if netloc else ""), query, ""))


def _lower_host(netloc: str, scheme: str) -> str:
    """Lowercase the host (not the user info) and drop the scheme's default port."""
    userinfo, at, hostport = netloc.rpartition("@")
    parts = urlsplit(f"//{hostport}")
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: leave the host part alone
        return f"{userinfo}{at}{hostport.lower()}"
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    keep_port = port is not None and str(port) != _DEFAULT_PORTS.get(scheme)
    return f"{userinfo}{at}{host}{f':{port}' if keep_port else ''}"


def _is_tracking(param: str) -> bool:
    name = param.split("=", 1)[0].lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


def item_id(guid: str | None, url: str | None, title: str, text: str) -> str:
    """A compact stable id: from the GUID, else the canonical link, else title and text.

    The three sources are tagged before hashing so a GUID can never equal a link's hash.
    """
    if guid and guid.strip():
        key = "g:" + guid.strip()
    elif url and url.strip():
        key = "u:" + canonical_url(url)
    else:
        key = "t:" + collapse(f"{title} {text}").casefold()
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:ID_LENGTH]


def parse_date(value: str | None) -> datetime | None:
    """An aware UTC datetime from an RFC 822 or ISO 8601 date, None when unreadable.

    Naive dates are taken as UTC; feedparser's lenient parser handles the odd formats.
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    parsed = _try_iso(value) or _try_rfc822(value) or _lenient(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def from_struct(struct: time.struct_time) -> datetime:
    """An aware UTC datetime from a UTC struct_time (as feedparser returns dates)."""
    return datetime.fromtimestamp(calendar.timegm(struct), UTC)


def _try_iso(value: str) -> datetime | None:
    if not value[:4].isdigit():
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _try_rfc822(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


@lru_cache(maxsize=4096)  # a feed repeats its items, and their dates, at every poll
def _lenient(value: str) -> datetime | None:
    """A date neither ISO 8601 nor RFC 822 ("2024-03", "1 January 2024", W3DTF, asctime,
    Greek, Korean...) as feedparser reads it, so the fast parser agrees with the fallback.

    feedparser has no public function for one date: it is read through its public `parse`,
    from a one-item feed (~0.2 ms, only for these rare dates). Some nonsense dates make
    feedparser's own handlers raise (e.g. "00": year -99); they are unreadable, not fatal.
    """
    try:
        feed = feedparser.parse(f'<rss version="2.0"><channel><item><pubDate>{escape(value)}'
                                "</pubDate></item></channel></rss>")
        struct = feed.entries[0].get("published_parsed") if feed.entries else None
        return from_struct(struct) if struct else None
    except (ValueError, OverflowError):
        return None
