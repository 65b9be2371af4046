"""Item ids that tell a body's stories apart.

An item's id comes from its GUID, else its link, else its title and text (text.item_id). Some
feeds give every item one GUID (the site's address, "1", a plugin's constant) or link every
item to their home page: each of their polls then kept only its first item, and the rest of
the stories were never read. Where one body gives one id to items with a different link or
title, those items take their id from the next source down (the link, else the title),
all but the story published first, which keeps the id. Every poll of such a feed does the
same, so their ids stay stable; an item repeated whole keeps its id (and is read once).

Which story keeps the shared id: the one that held it at the feed's last poll (`held`: the
feed's listing names each id it listed with its headline's digest), else the story published
first. An item first seen alone under GUID G took id(G); when a later item with G appeared,
it moved to id(link), new to the seen-set, and was judged and could alert again. Dates alone
decided it for a while, and an item re-dated by its feed (an edit), or a new item dated
before it, took the id from it: the listing keeps the holder whatever the dates. When no
story held the id and no one story is the earliest (items without a date are all dated at
the poll), all of them move, as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

from monitor.ingest.text import item_id
from monitor.items import Item

# (id, headline): the feed's last poll listed that id with that headline (None: with any)
Held = Callable[[str, str | None], bool]


def distinct_ids(items: list[Item], held: Held | None = None) -> list[Item]:
    """The items in order, each with an id that no other story of the body shares."""
    levels = [0] * len(items)  # 0: the id as made (GUID first), 1: from the link, 2: from the title
    for level in (0, 1):
        groups: dict[str, list[int]] = defaultdict(list)
        for n in range(len(items)):
            if levels[n] == level:
                groups[_id_at(level, items[n])].append(n)
        for shared, members in groups.items():
            for n in _moved(level, items, shared, members, held):
                levels[n] = level + 1
    return [item if level == 0 else replace(item, id=_id_at(level, item))
            for level, item in zip(levels, items, strict=True)]


def _moved(level: int, items: list[Item], shared: str, members: list[int], held: Held | None) -> list[int]:
    """Those of the items sharing one id that take one from the next source down, when they
    are more than one story: all but the one that kept it (`_kept`)."""
    stories: dict[tuple[str, str], tuple[float, int]] = {}  # story: its earliest date, a member
    for n in members:
        story, published = _story(level, items[n]), items[n].published.timestamp()
        stories[story] = min((published, n), stories.get(story, (published, n)))
    if len(stories) < 2:
        return []
    kept = _kept(level, items, shared, stories, held)
    return [n for n in members if _story(level, items[n]) != kept]


def _kept(level: int, items: list[Item], shared: str, stories: dict[tuple[str, str], tuple[float, int]],
          held: Held | None) -> tuple[str, str] | None:
    """The story that keeps the shared id. Where the feed's last poll listed it: the story
    with the headline listed; else (its headline edited) the only one not listed then under
    its next id (the others had moved there); of several (the same headline twice, a new
    item beside it), the earliest. Else the story published first; none when no one is the
    earliest."""
    chosen = list(stories)
    if held is not None and held(shared, None):
        named = [story for story in chosen if held(shared, story[1])]
        unmoved = [story for story in named or chosen if not held(_id_at(level + 1, items[stories[story][1]]), None)]
        for group in (named, unmoved):
            if len(group) == 1:
                return group[0]
        chosen = unmoved or named or chosen
    earliest = min(stories[story][0] for story in chosen)
    firsts = [story for story in chosen if stories[story][0] == earliest]
    return firsts[0] if len(firsts) == 1 else None


def _story(level: int, item: Item) -> tuple[str, str]:
    """What tells two stories under one id apart: the link and title (under a GUID's id),
    the title (under a link's)."""
    return (item.url if level == 0 else "", item.title)


def _id_at(level: int, item: Item) -> str:
    """The id the item has (0), or one from its link (1), or from its title (2: what tells
    such items apart; their text, a comment count in it, may change from poll to poll)."""
    if level == 0:
        return item.id
    return item_id(None, item.url if level == 1 else None, item.title, item.text if level == 1 else "")
