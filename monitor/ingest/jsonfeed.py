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

JSON_FEED_VERSION = "https://jsonfeed.org/version/1"


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
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSION):
        raise ParseError(
            f"feed '{source}': not RSS, Atom or JSON Feed (JSON without a JSON Feed version)"
        )
    items = doc.get("items")
    if not isinstance(items, list):
        raise ParseError(f"feed '{source}': not RSS, Atom or JSON Feed (JSON Feed without items)")
    return (_json_entry(item) for item in items if isinstance(item, dict))


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
