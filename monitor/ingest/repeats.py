"""A description that repeats its item's title, whole or before its first sentence: what
is left of it once the repeat is dropped (the parse stage's feed_text).

Pure functions, no I/O.
"""

from __future__ import annotations

import re

from monitor.normalise import WORD, words

# Words a description may add to the title it repeats and still say nothing more (Google
# News's "<title> <source>", a site's name): at most this many, and a third of the title's.
REPEAT_EXTRA_WORDS = 3
# A title this long, at the start of the description, is the headline again, not its first words
REPEAT_MIN_WORDS = 4
_QUOTES = " \"'«»“”‘’„-–—|"


def _opening(text: str) -> str:
    return text.lstrip(_QUOTES)[:2].lower()


def beyond_title(title: str, text: str) -> str:
    """The text without what only repeats the title: all of it when it says nothing more
    (give or take a source's name), or the title at its start ("<b>Title</b>. Lead…"), the
    title's label ("VIDEO: ") or outlet (" - Daily Post") not in it (`_core`).
    Scored as "title\ntitle", a headline is read as a longer text with the same evidence
    and the length-aware calibration grows sure of it: FA-KES titles so doubled had 15 false
    alerts at 0.60 where the titles alone had 4; with the title again before the first
    sentence, recall fell from 59 to 54 of 74."""
    rest = _beyond(title, text)
    return _beyond(core, text) if rest == text and (core := _core(title)) != title else rest


# "VIDEO: ", "СРОЧНО | ", "[VİDEO] " before a headline; " - Outlet", " | Outlet" after it
_LABEL = re.compile(r"^\W*(?:[^\W\d][^:|\[\]()]*?\s*[:|]|[\[(][^\[\]()]*[\])])\s+")
_OUTLET = re.compile(r"\s+[-–—|]\s+[^-–—|:]+$")
_MARKED = re.compile(r"[:|\[(]|\s[-–—]\s")  # what _LABEL or _OUTLET needs to match


def _core(title: str) -> str:
    """The title without a label before it and an outlet's name after it, each of
    REPEAT_EXTRA_WORDS words at most."""
    if _MARKED.search(title) is None:  # neither can match: most titles, at a third of the cost
        return title
    for part in (_LABEL, _OUTLET):
        found = part.search(title)
        left = title if found is None else title[:found.start()] + title[found.end():]
        if found is not None and len(words(found[0])) <= REPEAT_EXTRA_WORDS and words(left):
            title = left
    return title


def _beyond(title: str, text: str) -> str:
    if _opening(title) != _opening(text):  # most texts: words() is ~10 µs on other scripts
        return text
    said = words(title)
    if not said:
        return text
    head = words(text[:len(title) + 80])
    short, long_ = sorted((said, head), key=len)
    if len(text) <= len(title) + 80 and long_[:len(short)] == short \
            and len(long_) - len(short) <= min(REPEAT_EXTRA_WORDS, len(short) // 3):
        return ""  # the title again ("Idlib" and "Idlib burns" differ: a third of a word is none)
    if len(said) >= REPEAT_MIN_WORDS and head[:len(said)] == said:
        for match in WORD.finditer(text, 0, len(title) + 80):  # where the repeated title ends
            if words(text[:match.end()]) == said:
                return text[match.end():].lstrip(" .:;,-–—|")
    return text
