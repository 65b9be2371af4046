"""One entry as a feed gives it, before cleanup: what every reader (lxml, feedparser,
JSON Feed) produces and `parse._to_item` cleans into an `Item`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

Body = tuple[str, bool]
"""A body as written, and whether it is HTML."""


@dataclass(frozen=True, slots=True)
class Raw:
    guid: str | None
    link: str | None
    title: str
    # Every body the entry has, the reader's preferred first (content:encoded, then the
    # description...): the item's text is the first with text once cleaned, as one holding
    # only an image or spaces says nothing.
    bodies: tuple[Body, ...]
    date: datetime | None
    title_html: bool = True  # RSS titles may carry escaped markup; Atom/JSON say when they do
    outlet: str | None = None  # the name in an RSS item's <source>: Google News's titles end with it
