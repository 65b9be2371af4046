"""An ending a feed writes under every item (a donation appeal, a newsletter's sign-up, a
copyright), found by comparing the items of one feed document, and dropped.

trailers.py knows the short trailers outlets share ("Read more", "(Reuters)", Yoast's
"The post ... appeared first on ..."). A site's own footer is longer and its own: Syria
Direct's or a newsletter's 45 words under a two-sentence lead made two unrelated items of
one feed share 51 of their ~68 word 3-shingles (Jaccard 0.59), so the near-duplicate test
took the second story for the first and it got no alert; scored, the footer is a passage
of its own averaged into the item's score.

A feed's items are told apart by their stories, so the sentences that end at least
MIN_ITEMS of them and at least half of those with text, word for word, are the feed's, not
a story's. They are dropped from the end, sentence by sentence, while one is shared; a
sentence that varies (a date) ends the search. The item's id is kept as it was read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from monitor.items import Item

MIN_ITEMS = 3  # items that must end alike: two may share a closing sentence by chance
MOST_SENTENCES = 12  # sentences dropped from an ending at most
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_LAST_END = re.compile(r".*[.!?…]\s+", re.DOTALL)  # up to the last _SENTENCE_END


def drop_shared_endings(items: list[Item]) -> list[Item]:
    """The items with the sentences that end most of them dropped from their texts."""
    lasts = [_key(_last_sentence(item.text)) for item in items if item.text]
    if _shared(lasts, len(lasts)) is None:  # most feeds: no text split whole (8 us an item of 2 KB)
        return items
    texts = [_sentences(item.text) for item in items]
    with_text = sum(1 for t in texts if t)
    dropped = [0] * len(items)
    for _ in range(MOST_SENTENCES):
        last = [_key(t[-1 - n]) if len(t) > n else None for t, n in zip(texts, dropped, strict=True)]
        common = _shared(last, with_text)
        if common is None:
            break
        for i, key in enumerate(last):
            dropped[i] += key == common
    if not any(dropped):
        return items
    return [replace(item, text=" ".join(t[:len(t) - n])) if n else item
            for item, t, n in zip(items, texts, dropped, strict=True)]


def _shared(last: Sequence[str | None], with_text: int) -> str | None:
    """The sentence that ends enough of the texts (MIN_ITEMS, and half of those with text)."""
    common = Counter(key for key in last if key is not None).most_common(1)
    if not common or common[0][1] < max(MIN_ITEMS, with_text / 2):
        return None
    return common[0][0]


def _sentences(text: str) -> list[str]:
    return _SENTENCE_END.split(text) if text else []


def _last_sentence(text: str) -> str:
    """`_sentences(text)[-1]`, found from the end: after the last run of spaces that follows
    a sentence's end (the greedy `.*` backtracks from the text's end to it)."""
    found = _LAST_END.match(text)
    return text[found.end():] if found is not None else text


def _key(sentence: str) -> str:
    return " ".join(sentence.casefold().split())
