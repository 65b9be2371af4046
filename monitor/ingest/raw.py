"""One entry as a feed gives it, before cleanup: what every reader (lxml, feedparser,
JSON Feed) produces and `parse._to_item` cleans into an `Item`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Raw:
    guid: str | None
    link: str | None
    title: str
    body: str
    date: datetime | None
    title_html: bool = True  # RSS titles may carry escaped markup; Atom/JSON say when they do
    body_html: bool = True
