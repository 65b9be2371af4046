"""Parse stage: a fetched feed body into `Item`s. Pure: no I/O.

Three readers produce the same raw entries, and one function turns them into items:

- well-formed RSS 0.91/2.0, RSS 1.0 (RDF) and Atom go through lxml directly: about 10x
  faster than feedparser even with its sanitiser off (see `monitor bench`), and feed
  parsing is the pipeline's hottest stage;
- anything else that looks like XML (not well-formed, odd encodings, RSS 0.90, CDF...)
  falls back to feedparser, whose lenient parser is the reference for what a feed is, up
  to FEEDPARSER_MAX_MARKUP (it is pure Python, and slow on hostile markup);
- JSON Feed 1.x through a small adapter.

The HTTP content type's charset wins over the XML declaration (RFC 7303), in both readers,
but where charsets.py finds the label wrong (a server's default, UTF-8 under an old label).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from urllib.parse import urljoin

from lxml import etree

from monitor.errors import ParseError
from monitor.ingest import aggregators, charsets, notices, trailers
from monitor.ingest.cdata import cut_long_cdata
from monitor.ingest.dates import parse_date
from monitor.ingest.fallback import feedparser_entries
from monitor.ingest.footers import drop_shared_endings
from monitor.ingest.ids import Held, distinct_ids
from monitor.ingest.jsonfeed import json_entries
from monitor.ingest.media import media_text
from monitor.ingest.raw import Body, Raw
from monitor.ingest.repeats import titled
from monitor.ingest.suffixes import feed_suffix
from monitor.ingest.text import (
    canonical_url,
    clean_chars,
    collapse,
    cut_at_word,
    html_to_text,
    item_id,
    item_url,
    plain_text,
)
from monitor.ingest.yandex import yandex_bodies
from monitor.items import Item
from monitor.limits import FEED_ITEMS_MAX, ITEM_HTML_CHARS, ITEM_TEXT_CHARS, ITEM_TITLE_CHARS

__all__ = ["canonical_url", "html_to_text", "item_id", "parse_feed"]

log = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
RSS10 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
_GLOBAL_GUID = ("://", "urn:", "tag:")
BATCH = 64  # entries read from the document at a time (_in_batches)
# An XML declaration: feedparser decodes its encoding name as UTF-8 and raises on a bad byte.


def parse_feed(
    body: bytes, content_type: str | None, source: str, fetched_at: datetime, base_url: str = "",
    held: Held | None = None,
) -> list[Item]:
    """The items of a feed body, in feed order, each id once.

    Raises ParseError when the body is not RSS, Atom or JSON Feed. Each item's title and
    body are cut to ITEM_HTML_CHARS before cleaning, and its text and title to
    ITEM_TEXT_CHARS and ITEM_TITLE_CHARS after, and at most FEED_ITEMS_MAX items are read
    (the first, in feed order: feeds put their newest first), so memory and scoring time
    are bounded whatever a feed holds.
    """
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    if _is_json(body, content_type):
        raws: Iterable[Raw] = json_entries(body, source)
    else:
        body = cut_long_cdata(body)  # what no item keeps is not read (cdata.py)
        body, charset = charsets.readable(body, charsets.media_type(content_type)[1])
        if charset is not None:  # not the UTF-8 it claims
            content_type = charsets.with_charset(content_type, charset)
        fast = _lxml_entries(body, content_type, source)
        raws = fast if fast is not None else feedparser_entries(body, content_type, source)
    entries: list[Item] = []
    # The first FEED_ITEMS_MAX entries, empty and repeated ones counted: counting only the
    # items kept, 714,000 empty <item/> or 1.67 million {} in 5 MB were each cleaned (and
    # dated) in turn, 9-31 s of CPU while every other feed waited to be parsed.
    for n, raw in enumerate(_in_batches(raws)):
        if n == FEED_ITEMS_MAX:
            notices.warn_daily(log, source, "entries", "feed '%s': more than %d entries; the first %d read, the "
                               "rest left (logged once a day while it lasts)", source, FEED_ITEMS_MAX, FEED_ITEMS_MAX)
            break
        item = _to_item(raw, source, fetched_at, base_url)
        if item is not None:
            entries.append(item)
    items: dict[str, Item] = {}
    suffix = feed_suffix(entries)  # a name the feed ends its every title with (suffixes.py)
    for item in distinct_ids(entries, suffix.held(held)):  # `held`: which item kept a shared id (ids.py)
        items.setdefault(item.id, suffix.item(item))  # the same item twice: its first
    return drop_shared_endings(list(items.values()))  # a site's footer under every item


def _in_batches(raws: Iterable[Raw]) -> Iterator[Raw]:
    """The first FEED_ITEMS_MAX + 1 entries (the last says there are more), each BATCH read
    before they are cleaned: reading one and cleaning it turn about cost ~10 % more an item
    (.ci/parse_cost.py, both feeds), and a batch holds a few entries' text, not a feed's."""
    entries = islice(raws, FEED_ITEMS_MAX + 1)
    while batch := list(islice(entries, BATCH)):
        yield from batch


def _to_item(raw: Raw, source: str, fetched_at: datetime, base_url: str) -> Item | None:
    """Clean one raw entry; None when it has neither title nor text (nothing to read)."""
    raw = aggregators.through(raw)  # the article an aggregator's entry points to
    title = trailers.drop_media_tags(_clean(raw.title, raw.title_html, ITEM_TITLE_CHARS))
    title, text = titled(title, _first_text(raw.bodies))  # Google News's repeats "<title> <outlet>"
    title = trailers.drop_outlet(title, raw.outlet or trailers.outlet_of_link(title, raw.link or ""))
    if not title and not text:
        return None
    url = item_url(base_url, clean_chars(raw.link or ""))
    return Item(
        id=item_id(_scoped_guid(raw.guid, source), url, title, text),
        source=source,
        url=url,
        title=title,
        text=text,
        published=raw.date or fetched_at,
    )


def _first_text(bodies: Iterable[Body]) -> str:
    """The first body with text once cleaned: a content:encoded or content_html holding
    only an image (or spaces) hid the description that told the story."""
    for value, is_html in bodies:
        if text := _clean(value, is_html, ITEM_TEXT_CHARS, lines=True):
            return text
    return ""


def _clean(value: str, is_html: bool, keep: int, lines: bool = False) -> str:
    """A title or body as plain text (a body's paragraphs as lines: titled joins them):
    read up to ITEM_HTML_CHARS (a cut tag or entity is dropped by the lenient HTML parser),
    then cut to `keep` characters at a word's end."""
    value = value[:ITEM_HTML_CHARS]
    return cut_at_word(html_to_text(value, lines) if is_html else plain_text(value, lines), keep)


def _scoped_guid(guid: str | None, source: str) -> str | None:
    """A GUID that is a URL, URN or tag URI is global; a bare one ("12345") is only unique
    within its feed, so it is qualified with the feed name to avoid cross-feed collisions."""
    guid = (guid or "").strip()
    if not guid:
        return None
    if any(marker in guid[:12] for marker in _GLOBAL_GUID):
        if "://" not in guid[:12]:
            return guid
        # Canonical, but its fragment kept: a live blog's posts are one URL and a fragment
        # each (…/syria#post-101, #post-102), and without it they were one item, the first.
        base, hash_, fragment = guid.partition("#")
        return canonical_url(base) + (hash_ + fragment if fragment else "")
    return f"{source}:{guid}"


def _is_json(body: bytes, content_type: str | None) -> bool:
    mime, _ = charsets.media_type(content_type)
    if mime in ("application/feed+json", "application/json"):
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


# --- lxml fast path -----------------------------------------------------------------------


def _xml_parser(charset: str | None) -> etree.XMLParser:
    # No entity expansion, no network, no huge trees: feeds are untrusted input. One (~1 µs)
    # per document: its error_log is that document's (an exception's is the thread's last 100).
    return etree.XMLParser(
        encoding=charset, resolve_entities=False, no_network=True, remove_comments=True
    )


def _lxml_entries(body: bytes, content_type: str | None, source: str = "") -> Iterator[Raw] | None:
    """Entries of a well-formed RSS 2.0/0.91, RSS 1.0 or Atom document, read (and dated) as
    they are taken; None for anything else, so the caller falls back to feedparser."""
    _, charset = charsets.media_type(content_type)
    try:
        parser = _xml_parser(charset)  # LookupError: a charset lxml does not know
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        _refuse_beyond_limit(parser.error_log, source)
        return None
    except (LookupError, ValueError):
        return None
    if root is None:
        return None
    if root.tag == "rss":
        return (_rss_entry(item) for item in root.iterfind("channel/item"))
    if root.tag == f"{RDF}RDF":
        return (_rss_entry(item, ns=RSS10) for item in root.iterfind(f"{RSS10}item"))
    if root.tag == f"{ATOM}feed":
        return (_atom_entry(entry) for entry in root.iterfind(f"{ATOM}entry"))
    return None


def _refuse_beyond_limit(errors: etree._ListErrorLog, source: str) -> None:
    """ParseError when lxml hit a resource limit (e.g. nested 257+ deep): no feed does, and
    feedparser would spend ~17 s of CPU on 5 MB of such tags. Any error, not the first only:
    libxml2 reads on after a bare "&" and meets the limit later (it keeps 100 errors at
    most; past them FEEDPARSER_MAX_MARKUP bounds the cost)."""
    limit = etree.ErrorTypes.ERR_RESOURCE_LIMIT
    hit = next((e for e in errors if e.type == limit), None)
    if hit is not None:
        reason = collapse(hit.message or "").split(",")[0][:120]
        raise ParseError(f"feed '{source}': not RSS, Atom or JSON Feed (beyond a parser limit: {reason})") from None


def _rss_entry(item: etree._Element, ns: str = "") -> Raw:
    first = _children(item)
    guid_el = first.get("guid")
    guid = (guid_el.text or "").strip() if guid_el is not None else None
    if ns:  # RSS 1.0: the item's rdf:about is its identifier (as feedparser reads it)
        guid = item.get(f"{RDF}about")
    link = _rss_link(first.get(f"{ns}link")) or _atom_link(item)
    if not link and guid and guid_el is not None and guid_el.get("isPermaLink", "true") == "true":
        link = _based(guid_el, guid)  # a permalink GUID is the article's address (RSS 2.0 spec)
    title = _text(first, f"{ns}title") or ""
    bodies = ((_text(first, f"{CONTENT}encoded") or "", True), (_text(first, f"{ns}description") or "", True),
              *yandex_bodies(first), (media_text(item, "description"), True))
    date = _text(first, "pubDate") or _text(first, f"{DC}date")
    return Raw(guid, link, title if title.strip() else media_text(item, "title"), bodies, parse_date(date),
               outlet=_text(first, "source"))


def _children(item: etree._Element) -> dict[str, etree._Element]:
    """The item's children by tag, the first of each tag (the one find() finds): one pass
    over them, where eight find and findtext calls cost ~8 µs an item."""
    return {child.tag: child for child in reversed(item)}


def _text(first: dict[str, etree._Element], tag: str) -> str | None:
    """findtext(tag) of the item whose children `first` holds."""
    el = first.get(tag)
    return None if el is None else el.text or ""


def _rss_link(el: etree._Element | None) -> str | None:
    """An RSS link against its xml:base, on the link or any element around it (the item,
    the channel): feedparser honours it, and the lxml reader did only in Atom."""
    if el is None or not (href := (el.text or "").strip()):
        return None
    return _based(el, href)


def _atom_entry(entry: etree._Element) -> Raw:
    title, title_html = _atom_text(entry.find(f"{ATOM}title"))
    if not title.strip():  # a video's entry (YouTube's) may have media:title alone, as in RSS
        title, title_html = media_text(entry, "title"), False
    bodies = (_atom_text(entry.find(f"{ATOM}content")), _atom_text(entry.find(f"{ATOM}summary")),
              (media_text(entry, "description"), True))
    date = entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated")
    guid = entry.findtext(f"{ATOM}id")
    return Raw(guid, _atom_link(entry), title, bodies, parse_date(date), title_html)


def _atom_link(el: etree._Element) -> str | None:
    """The href of the first rel="alternate" (or rel-less) atom:link, against its xml:base."""
    for link in el.iterfind(f"{ATOM}link"):
        href = link.get("href")
        if link.get("rel", "alternate") == "alternate" and href:
            return _based(link, href)
    return None


def _based(el: etree._Element, href: str) -> str:
    """`href` against the element's xml:base, inherited (lxml joins nested ones), as feedparser
    reads it; a relative result is resolved against the feed's URL later."""
    try:
        return urljoin(el.base, href) if el.base else href
    except ValueError:  # a base such as "http://[::1" (urllib raises): the href alone
        return href


def _atom_text(el: etree._Element | None) -> tuple[str, bool]:
    """An Atom text construct as (value, is_html); xhtml is serialised back to markup."""
    if el is None or el.get("src"):
        return "", False
    kind = el.get("type", "text").lower()
    if "xhtml" in kind:
        inner = (el.text or "") + "".join(etree.tostring(c, encoding=str) for c in el)
        return inner, True
    return el.text or "", "html" in kind
