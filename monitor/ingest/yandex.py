"""Yandex's RSS extensions, in both feed readers: yandex:full-text (an article's whole text,
for Yandex News) and turbo:content (a Turbo page's HTML). Russian outlets publish feeds
with them, and an item of such a feed may have no description: its text was lost, and the
item was scored on its headline alone (a headline and lead written for the hunt scored
0.479 as read, 0.769 as its headline). They stand in only for the text an item lacks,
after its description, as media:description does (media.py).

feedparser keeps an element of a namespace it does not know under the document's prefix
("yandex_full-text"), as text, and its loose parser (the one a feed lxml cannot read
meets) escapes the markup in it once more; `read_yandex_in_feedparser` makes it read them
as it reads a description, as HTML, under keys of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from feedparser.mixin import _FeedParserMixin
from lxml import etree

from monitor.ingest.raw import Body

ELEMENTS = ("{http://news.yandex.ru}full-text", "{http://turbo.yandex.ru}content")
# The prefixes Yandex's documentation writes, which feedparser names its handlers by.
_FP_TAGS = ("yandex_full-text", "turbo_content")
_FP_KEY = "monitor_yandex_"


def yandex_bodies(children: Mapping[str, etree._Element]) -> tuple[Body, ...]:
    """An RSS item's yandex:full-text and turbo:content, as HTML: each the first child of
    its name, as findtext finds it (`children`: the item's children by tag, the first of
    each, which parse.py reads them all from in one pass)."""
    return tuple(("" if (el := children.get(name)) is None else el.text or "", True) for name in ELEMENTS)


def fp_yandex_bodies(entry: Any) -> tuple[Body, ...]:
    """The same of a feedparser entry (read by read_yandex_in_feedparser)."""
    return tuple((value if isinstance(value := dict.get(entry, _FP_KEY + tag), str) else "", True)
                 for tag in _FP_TAGS)


def _handlers(tag: str) -> tuple[Any, Any]:
    def start(self: Any, attrs_d: dict[str, str]) -> None:
        self.push_content(tag, attrs_d, "text/html", 1)

    def end(self: Any) -> None:
        self._get_context()[_FP_KEY + tag] = self.pop_content(tag)

    return start, end


def read_yandex_in_feedparser() -> None:
    """Give feedparser a handler for each element (it looks them up by name at each tag).
    Idempotent."""
    for tag in _FP_TAGS:
        start, end = _handlers(tag)
        setattr(_FeedParserMixin, f"_start_{tag}", start)
        setattr(_FeedParserMixin, f"_end_{tag}", end)
