"""Whether the page behind a short item is about that item (the article stage's last check).

A link does not always lead to its story: a cookie-consent wall, a paywall's offer, an
"enable JavaScript" page or a site's home page extracts to 80-150 words, past the thin
floor and longer than a headline and a sentence, and was scored in the item's place (an
item at 0.9997 on its feed text scored 0.29 on a consent wall, and did not alert). So a page
is judged on only when, less the item's headline and feed text wherever it repeats them
word for word (a paywall shows the headline and standfirst above its offer), its text
still holds defaults.ARTICLE_ABOUT_SHARE of the headline's content words, or of the names
in the feed text:

    page words ─► cut the headline's and each feed sentence's runs ─► ≥ 1/4 of the cues left?

Content words are the headline's normalised words (`normalise.words`) of 3 letters or more,
function words and numbers left out; names are the feed text's capitalised words that do
not open a sentence (as in dedup/terms.py). A cue is found when a word of the page starts
with its first STEM letters, or with the whole of a cue of STEM - 1, so inflected forms
count (İdlib'de, Идлибе, attacks, killed), and STEM - 1 for a cue of STEM letters (Сирия and
Сирии); a cue of 3 letters only as it is. Arabic words are compared less the clitics
written onto their start (للجيش is الجيش, بإدلب إدلب): without that, a review's measure on
SemEval-2022's real articles (title as headline, 40 words as feed text, the rest as page)
refused 47 % of the Arabic pages, 25 % with it (English 6.7 % -> 6.4 %). The page's own
title is no evidence: a consent wall or a paywall on the outlet's site carries the real
headline in <title> and og:title.

With fewer than MIN_CUES of both (a headline of one word), or a headline in a script
written without spaces (Chinese, Japanese, Thai), nothing can be told: the page is used.
No I/O: it runs where scoring runs (`about_each`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from monitor import defaults
from monitor.dedup.terms import STOP_WORDS, opening_words
from monitor.normalise import words

STEM = 5  # letters two forms of a cue share to count as one ("idlibde" and "idlibe": "idlib")
MIN_CUE = 3  # letters of a content word or name at least ("us", "de" and the like are left out)
MIN_CUES = 2  # cues needed to judge by (headline words, else names)
MIN_RUN = 3  # words of a headline part or feed sentence repeated on the page that are cut

_PARTS = re.compile(r"\s[-|–—]\s")  # "Headline - Outlet" (Google News), "Headline | Site"
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_TOKENS = re.compile(r"[^\W_]+")
# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, CJK ideographs.
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def about(title: str, feed_text: str, page_text: str) -> bool:
    """The page's text is about the item of this headline and feed text (module docstring)."""
    found = share(title, feed_text, page_text)
    return found is None or found >= defaults.ARTICLE_ABOUT_SHARE


def share(title: str, feed_text: str, page_text: str) -> float | None:
    """The larger share of the headline's content words, and of the feed text's names, that
    the page's text holds less the headline and feed text; None when there is nothing to
    judge by."""
    if _UNSPACED.search(title):  # no words to find: a "word" is a clause
        return None
    keys = {bare(w) for w in _content_words(title)}
    cues = [c for c in (keys, _names(feed_text) - keys) if len(c) >= MIN_CUES]
    if not cues:
        return None
    left = {bare(w) for w in _cut(words(page_text), [title, *_SENTENCES.split(feed_text)])}
    stems = {w[:n] for w in left for n in (STEM - 1, STEM) if len(w) >= n}
    return max(_found(cue, left, stems) / len(cue) for cue in cues)


def about_each(items: Sequence[tuple[str, str, str]]) -> list[bool]:
    """`about` of each (title, feed text, page text): one call to where scoring runs."""
    return [about(*item) for item in items]


def _content_words(text: str) -> set[str]:
    return {w for w in words(text) if len(w) >= MIN_CUE and not w.isdigit() and w not in STOP_WORDS}


def _names(text: str) -> set[str]:
    """The normalised words of the text's names: capitalised words not opening a sentence."""
    opening = set(opening_words(text))
    found = {t for t in _TOKENS.findall(text) if t[0].isupper() and t not in opening}
    return {bare(w) for t in found for w in _content_words(t)}


def _cut(page: list[str], repeated: Iterable[str]) -> list[str]:
    """The page's words less every run that repeats a part of `repeated` of MIN_RUN words or more."""
    text = " ".join(page)
    for passage in repeated:
        for part in _PARTS.split(passage):
            run = words(part)
            if len(run) >= MIN_RUN:
                text = re.sub(rf"(?<!\S){re.escape(' '.join(run))}(?!\S)", "|", text)
    return text.split()


def _found(cues: set[str], left: set[str], stems: set[str]) -> int:
    """The cues the page holds: as they are, or as the start of a word (`stems`): its first
    STEM letters, or STEM - 1 of a cue of STEM (Russian "сирия" and "сирии", "армия" and
    "армии" differ in their fifth; Turkish "şehit" and "şehidi")."""
    return sum(1 for c in cues if c in left or (len(c) >= STEM - 1 and c[:_stem(c)] in stems))


def _stem(cue: str) -> int:
    return STEM - 1 if len(cue) <= STEM else STEM


# Arabic writes and (و), then (ف), in/by (ب), to (ل), like (ك) and the article (ال) onto the
# word: "the Syrian army" is الجيش, "to the army" للجيش, "in Idlib" بإدلب (بادلب as normalised).
_CLITICS = ("وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_ARABIC = re.compile("[\u0620-\u064a]")


def bare(word: str) -> str:
    """An Arabic word less the clitics written onto its start (3 letters left at least);
    any other word as it is."""
    if _ARABIC.match(word):
        for clitic in _CLITICS:
            if word.startswith(clitic) and len(word) - len(clitic) >= MIN_CUE:
                return word[len(clitic):]
    return word
