"""The JSON Feed 1.0/1.1 reader (https://jsonfeed.org/version/1.1). Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import unescape
from typing import Any

from monitor.errors import ParseError
from monitor.ingest.dates import parse_date
from monitor.ingest.raw import Raw
from monitor.ingest.text import drop_bad_charrefs

JSON_FEED_VERSION = "jsonfeed.org/version/1"
"""What a JSON Feed 1.x version starts with once its scheme and "www." are dropped."""


def json_entries(body: bytes, source: str) -> Iterator[Raw]:
    """Entries of a JSON Feed document; ParseError when the body is none."""
    try:
        doc = json.loads(body)
    except RecursionError:  # json's C decoder recurses per level: a document 200,000 deep
        raise ParseError(f"feed '{source}': not RSS, Atom or JSON Feed (JSON nested too deep)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(
            f"feed '{source}': not RSS, Atom or JSON Feed (invalid JSON: {str(exc)[:80]})"
        ) from None
    if not _is_json_feed(doc):
        raise ParseError(
            f"feed '{source}': not RSS, Atom or JSON Feed (JSON without a JSON Feed version)"
        )
    items = doc.get("items")
    if not isinstance(items, list):
        raise ParseError(f"feed '{source}': not RSS, Atom or JSON Feed (JSON Feed without items)")
    return (_json_entry(item) for item in items if isinstance(item, dict))


def _is_json_feed(doc: object) -> bool:
    """Whether a JSON document is a JSON Feed. Any JSON object comes here (parse.py sends
    every body that starts with "{"), and a feed's URL may answer with other JSON: an
    error ({"error": ...}), another API's object. Its version tells them apart: JSON Feed
    1's address, written with https (the spec), http or no scheme (as many 1.0 feeds do),
    with or without a trailing slash; and a feed that leaves the version out, though the
    spec requires it, is an object with an items list (an error is not)."""
    if not isinstance(doc, dict):
        return False
    version = doc.get("version")
    if version is None or version == "":
        return isinstance(doc.get("items"), list)
    if not isinstance(version, str):
        return False
    address = version.strip().lower().removeprefix("https://").removeprefix("http://").removeprefix("www.")
    return address.startswith(JSON_FEED_VERSION)


def _json_entry(item: dict[str, Any]) -> Raw:
    bodies = ((_str(item.get("content_html")), True), (_str(item.get("content_text")), False),
              (_str(item.get("summary")), False))
    date = _str(item.get("date_published")) or _str(item.get("date_modified"))
    guid = item.get("id")
    return Raw(
        guid=str(guid) if isinstance(guid, str | int) and not isinstance(guid, bool) else None,
        link=_str(item.get("url")) or _str(item.get("external_url")) or None,
        # Plain text (JSON Feed 1.1): "a<b" is no tag. Yet many feeds escape titles as
        # HTML ("&amp;", WordPress's "&#8217;"): references are decoded, nothing else; a
        # numeric one no text can hold goes first (5,000 digits made unescape raise).
        title=unescape(drop_bad_charrefs(_str(item.get("title")))),
        bodies=bodies,
        date=parse_date(date),
        title_html=False,
    )


def _str(value: object) -> str:
    """A JSON value as a string, "" for anything that is not one (feeds lie about types)."""
    return value if isinstance(value, str) else ""
