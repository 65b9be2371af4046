"""A name a feed appends to its every headline ("… - Hürriyet", "… | Sputnik Türkiye",
"… — Коммерсантъ"), found by comparing the titles of one feed document, and dropped.

trailers.drop_outlet drops the name an item's RSS <source> gives (Google News); the model
knows a fixed list of outlets. A feed that signs its own titles names itself nowhere else,
and its name's words were scored as the story's: they took 0.22 off a mid-range Russian
item on average, 0.09 off a Turkish one, 0.04 off an English one.

An ending is a separator (" - ", " | ", " – ", " — ", " :: ") and a short tail after it
(TAIL_WORDS words at most, no sentence's end in it): a name, not a clause. One that ends at
least MIN_ITEMS titles and SHARE of those the feed has is the feed's and is dropped from
those; one that ends a few ("… - live updates") is the story's and stays. A title is never
left empty.

Ids are made from the titles as read (parse.py drops the ending after distinct_ids), so no
item changes its id. The feed's listing holds its headlines as dropped (pipeline.py), so
`held` is asked about a title as dropped too.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from monitor.ingest.ids import Held
from monitor.items import Item

MIN_ITEMS = 3  # titles that must end alike: two may share an ending by chance
SHARE = 0.8  # of the feed's titles: most of them, a few without (an ad, a title cut short)
TAIL_WORDS = 5  # words of a name at most ("Sputnik Türkiye", "BBC News Русская служба")
TAIL_CHARS = 60  # characters of it at most, separator included: how far from the end to look
_SEPARATOR = re.compile(r" (?:-|\||–|—|::) ")
# A sentence's end: "!", "?", "…", or a full stop before a space or at the end ("Haberler.com" is a name)
_SENTENCE = re.compile(r"[!?…]|\.(?:\s|\Z)")


@dataclass(frozen=True, slots=True)
class Suffix:
    """The ending a feed appends to its titles; "" when it has none."""

    ending: str = ""

    def title(self, title: str) -> str:
        """The title without the ending, unless that would leave nothing."""
        if not self.ending or not title.endswith(self.ending):
            return title
        return title[:-len(self.ending)].rstrip() or title

    def item(self, item: Item) -> Item:
        title = self.title(item.title)
        return item if title == item.title else replace(item, title=title)

    def held(self, held: Held | None) -> Held | None:
        """`held` asked about a title as the listing holds it: without the ending."""
        if held is None or not self.ending:
            return held
        inner = held
        return lambda item_id, title: inner(item_id, None if title is None else self.title(title))


def feed_suffix(items: list[Item]) -> Suffix:
    """The ending that most of the items' titles share, if it is the feed's (see above)."""
    titles = [item.title for item in items if item.title]
    counts = Counter(ending for title in titles for ending in _endings(title))
    if not counts:
        return Suffix()
    # the most titles; of equal counts, the longest ("- Sputnik - Türkiye" over "- Türkiye")
    ending, count = max(counts.items(), key=lambda pair: (pair[1], len(pair[0])))
    return Suffix(ending) if count >= max(MIN_ITEMS, SHARE * len(titles)) else Suffix()


def _endings(title: str) -> set[str]:
    """Each separator and tail the title ends with that could be a name, once."""
    start = max(0, len(title) - TAIL_CHARS)
    found = set()
    for sep in _SEPARATOR.finditer(title, start):
        tail = title[sep.end():]
        if (sep.start() > 0 and tail.strip() and len(tail.split()) <= TAIL_WORDS
                and _SENTENCE.search(tail) is None):
            found.add(title[sep.start():])
    return found
