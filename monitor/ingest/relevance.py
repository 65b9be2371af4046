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
the function words of the item's language (stopwords.py: und, için, для) and numbers left
out; names are the feed text's capitalised words that do not open a sentence (as in
dedup/terms.py). Each word is matched by its forms (`forms`):
itself; an Arabic word less the clitics written onto its start too (للجيش and الجيش, بإدلب
and إدلب); and the Snowball stem of a Russian or Arabic word, or of a Latin word on a
Turkish item's page (газа and году are газ and год, بكورونا كورونا, الليبية and ليبيا
ليب and ليبي, gölün göl). A cue is found when one of its forms is one of a page word's, or
starts one with its first STEM letters, or with the whole of a form of STEM - 1, so other
inflections count too (İdlib'de, Идлибе, attacks, killed), and STEM - 1 for a form of STEM
letters (Сирия and Сирии); a form of 3 letters only as it is.

Measured by .ci/eval_relevance.py on SemEval-2022's real articles (headline as title, its
next 40 words as feed text, the rest as page), the share of pages refused under their own
item: by prefixes alone Russian 6 of 22, Arabic 14 of 53 (26 %), Turkish 12 of 128 (9.4 %),
English 29 of 390 (7.4 %); with the stems 3 of 22, 11 of 53 (21 %), 11 of 128 (8.6 %), the
same 29 in English, with no more pages of another story accepted in any language (Turkish
19.5 %, Russian 3 of 22, Arabic 11 %, English 9.7 %) and every wall of the tests refused.
Before the clitics, a review's measure (a different split) refused 47 % of the Arabic pages.
Were any page word that shares a headline word's first three letters to count, 8 Turkish, 9
Arabic and 2 Russian pages would still be refused: most of those left name too few of their
headline's words in any form. An English stemmer on every other Latin word found 2 more of
the English and German pages (of 803) for 10 more of other stories; stemming a Turkish
headline's words too found none more for 5 more of other stories (Bilgin as bilgi). A word
takes 25-80 µs to stem (pure Python), so only page words that hold a cue form's first 3
letters are, and forms are cached: `about` on a 2,000-word page took 7-25 ms with no word
cached (Arabic the most), 5-10 ms with its words cached, 8-11 ms before stems.

Function words counted as cues while the list was English alone: another story's page (the
next article's) was accepted for 133 of 413 German items (32 %), 52 of 228 Spanish, 15 of 62
French and 10 of 67 Italian; with each language's own list, 49, 30, 6 and 2, for 14, 2, 2
and 2 more of their own pages refused (German 7.0 -> 10.4 %: a compound, Grundschulen for
Schulen, is not found, and some headlines were found by their function words alone).
Arabic is as it was, Turkish too on the next article (25 of 128: its pages of other stories
share ilgili, devam, olan, on no list) but 9 -> 11 of 24 on SemEval's pairs (fewer cues, so
one found counts for more); Russian 3 -> 1 of 22 accepted, 3 -> 4 refused.

The page's own title is no evidence: a consent wall or a paywall on the outlet's site
carries the real headline in <title> and og:title.

With fewer than MIN_CUES of both (a headline of one word), or a headline in a script
written without spaces (Chinese, Japanese, Thai), nothing can be told: the page is used.
No I/O: it runs where scoring runs (`about_each`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol

from monitor import defaults
from monitor.dedup.terms import opening_words
from monitor.ingest.stopwords import stop_words
from monitor.language import UNDETERMINED
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


def about(title: str, feed_text: str, page_text: str, lang: str | None = None) -> bool:
    """The page's text is about the item of this headline and feed text, in language `lang`
    as detected (module docstring)."""
    found = share(title, feed_text, page_text, lang)
    return found is None or found >= defaults.ARTICLE_ABOUT_SHARE


def share(title: str, feed_text: str, page_text: str, lang: str | None = None) -> float | None:
    """The larger share of the headline's content words, and of the feed text's names, that
    the page's text holds less the headline and feed text; None when there is nothing to
    judge by."""
    if _UNSPACED.search(title):  # no words to find: a "word" is a clause
        return None
    turkish = lang == "tr" if lang not in (None, UNDETERMINED) else _turkish(f"{title} {feed_text}")
    stop = stop_words(lang)
    keys = {forms(w) for w in _content_words(title, stop)}
    cues = [c for c in (keys, {forms(w) for w in _names(feed_text, stop)} - keys) if len(c) >= MIN_CUES]
    if not cues:
        return None
    # A form matches a cue's in its first MIN_CUE letters at least, and is the start of its
    # word (a Russian or Turkish stem: suffixes off) or, in Arabic, a part of it (clitics and
    # prefixes off too): a word that does not hold a cue's form's first letters so has no
    # form to find, and is not stemmed.
    near = re.compile("|".join({("" if _ARABIC.match(f) else "^") + re.escape(f[:MIN_CUE])
                                for cue in cues for c in cue for f in c}))
    page = {w for w in _cut(words(page_text), [title, *_SENTENCES.split(feed_text)]) if near.search(w)}
    left = {f for w in page for f in forms(w, turkish)}
    stems = {f[:n] for f in left for n in (STEM - 1, STEM) if len(f) >= n}
    return max(sum(_found(c, left, stems) for c in cue) / len(cue) for cue in cues)


def about_each(items: Sequence[tuple[str, str, str, str | None]]) -> list[bool]:
    """`about` of each (title, feed text, page text, language): one call to where scoring runs."""
    return [about(*item) for item in items]


def _content_words(text: str, stop: frozenset[str]) -> set[str]:
    return {w for w in words(text) if len(w) >= MIN_CUE and not w.isdigit() and w not in stop}


def _names(text: str, stop: frozenset[str]) -> set[str]:
    """The normalised words of the text's names: capitalised words not opening a sentence."""
    opening = set(opening_words(text))
    found = {t for t in _TOKENS.findall(text) if t[0].isupper() and t not in opening}
    return {w for t in found for w in _content_words(t, stop)}


def _cut(page: list[str], repeated: Iterable[str]) -> list[str]:
    """The page's words less every run that repeats a part of `repeated` of MIN_RUN words or more."""
    text = " ".join(page)
    for passage in repeated:
        for part in _PARTS.split(passage):
            run = words(part)
            if len(run) >= MIN_RUN:
                text = re.sub(rf"(?<!\S){re.escape(' '.join(run))}(?!\S)", "|", text)
    return text.split()


def _found(cue: tuple[str, ...], left: set[str], stems: set[str]) -> bool:
    """The page holds one of the cue's forms: as it is, or as the start of a form of one of
    its words (`stems`): its first STEM letters, or STEM - 1 of a form of STEM (Russian
    "сирия" and "сирии", "армия" and "армии" differ in their fifth; Turkish "şehit" and
    "şehidi")."""
    return any(f in left or (len(f) >= STEM - 1 and f[:_stem(f)] in stems) for f in cue)


def _stem(form: str) -> int:
    return STEM - 1 if len(form) <= STEM else STEM


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


# Letters Turkish writes and the other Latin-script languages here do not (ğ, ş, dotless ı,
# dotted İ): 11-69 % of the words of SemEval-2022's Turkish items (headline and 40 words)
# hold one, none of its English, German, Spanish, French, Italian or Polish ones; an English
# item naming Erdoğan and Çavuşoğlu in 40 words, 5 %.
_TURKISH_LETTERS = re.compile("[ğşıİĞŞ]")
TURKISH_SHARE = 0.1  # of an item's words holding one of them: its page's Latin words are Turkish
_STEMMED = re.compile("[\u0430-\u044f\u0620-\u064a]")  # a Russian or Arabic word (normalised)
_CYRILLIC = re.compile("[\u0430-\u044f]")
_LATIN = re.compile("[a-z]")
FORMS_CACHED = 1 << 14  # words whose forms are kept, ~4 MB (a word is stemmed in 25-80 µs)
# Letters of the longest word stemmed and cached: a hostile page's 20,000-letter "words" took
# 56 KB each in the cache (0.9 GB when full, in the worker every feed shares) and up to
# 155 ms each to stem; no word of these languages is near this long.
LONGEST_STEMMED = 40


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...  # snowballstemmer's name


def _turkish(text: str) -> bool:
    tokens = text.split()
    return bool(tokens) and sum(1 for t in tokens if _TURKISH_LETTERS.search(t)) >= TURKISH_SHARE * len(tokens)


def forms(word: str, turkish: bool = False) -> tuple[str, ...]:
    """The normalised word, and the other forms it is matched by: an Arabic word less the
    clitics on its start (`bare`), and the Snowball stem of a Russian or Arabic word (and of
    the bare one), or of a Latin word of a Turkish item's page (`turkish`), of MIN_CUE
    letters or more; other words have no other form (the module docstring says why)."""
    if (not turkish and not _STEMMED.match(word)) or len(word) > LONGEST_STEMMED:  # most words
        return (word,)
    return _forms(word, turkish)


@lru_cache(maxsize=FORMS_CACHED)
def _forms(word: str, turkish: bool) -> tuple[str, ...]:
    if _CYRILLIC.match(word):
        found = [word, _stemmer("russian").stemWord(word)]
    elif _ARABIC.match(word):
        stemmer, written = _stemmer("arabic"), dict.fromkeys((word, bare(word)))
        found = [*written, *map(stemmer.stemWord, written)]
    elif turkish and _LATIN.match(word):
        found = [word, _stemmer("turkish").stemWord(word)]
    else:
        return (word,)
    return tuple(dict.fromkeys(f for f in found if f == word or len(f) >= MIN_CUE))


def _stemmer(language: str) -> _Stemmer:
    """A Snowball stemmer of the language: a new one each time (a stemmer holds the word it
    works on, and pages are judged in threads at once); imported on first use (the package
    imports all its 30 languages, ~20 ms)."""
    import snowballstemmer

    stemmer: _Stemmer = snowballstemmer.stemmer(language)
    return stemmer
