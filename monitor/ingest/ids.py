"""Item ids that tell a body's stories apart.

An item's id comes from its GUID, else its link, else its title and text (text.item_id). Some
feeds give every item one GUID (the site's address, "1", a plugin's constant) or link every
item to their home page: each of their polls then kept only its first item, and the rest of
the stories were never read. Where one body gives one id to items with a different link or
title, those items take their id from the next source down (the link, else the title).
Every poll of such a feed does the same, so their ids stay stable; an item repeated whole
keeps its id (and is read once).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from monitor.ingest.text import item_id
from monitor.items import Item


def distinct_ids(items: list[Item]) -> list[Item]:
    """The items in order, each with an id that no other story of the body shares."""
    levels = [0] * len(items)  # 0: the id as made (GUID first), 1: from the link, 2: from the title
    for level in (0, 1):
        stories: dict[str, set[tuple[str, str]]] = defaultdict(set)
        keyed = [(n, _id_at(level, items[n])) for n in range(len(items)) if levels[n] == level]
        for n, key in keyed:
            stories[key].add((items[n].url if level == 0 else "", items[n].title))
        for n, key in keyed:
            if len(stories[key]) > 1:
                levels[n] = level + 1
    return [item if level == 0 else replace(item, id=_id_at(level, item))
            for level, item in zip(levels, items, strict=True)]


def _id_at(level: int, item: Item) -> str:
    """The id the item has (0), or one from its link (1), or from its title (2: what tells
    such items apart; their text, a comment count in it, may change from poll to poll)."""
    if level == 0:
        return item.id
    return item_id(None, item.url if level == 1 else None, item.title, item.text if level == 1 else "")
