"""One text normaliser for every stage that compares words, so the topic model's features
and the near-duplicate shingles see the same words in the same text.

Folded, because feeds, scrapers and outlets write the same word in exactly these ways:

- case, Turkish included: I, İ, ı and i all become i ("İstanbul" = "Istanbul");
- accents on Latin letters: Erdoğan = Erdogan, Çavuşoğlu = Cavusoglu;
- apostrophes, straight or curly, and the characters typed for them (` ´ ‘ ’ ʼ), dropped
  so that a suffix stays on its word: Syria's = Syrias, Türkiye’nin = Türkiye'nin = turkiyenin;
- compatibility forms (NFKC): ligatures, full-width letters, no-break and other spaces,
  Arabic presentation forms;
- marks that other scripts write only sometimes: Russian ё (е), Arabic vowel marks
  (tashkeel, U+064B-U+0652) and the tatweel that stretches a word;
- Arabic letters that outlets spell either way: the hamza and madda on alef (أ إ آ -> ا,
  and on its other seats, ؤ -> و, ئ -> ي), ta marbuta (ة -> ه) and alef maqsura (ى -> ي),
  as Arabic search engines fold them (أنقرة = انقره).

Every other letter of other scripts is kept: Russian й is not и. The result is NFC, and
normalising it again changes nothing.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

APOSTROPHES = "'`\u00b4\u2018\u2019\u02bc"  # ' ` ´ ‘ ’ ʼ
# Dropped whole: apostrophes, Arabic tashkeel (U+064B-U+0652), the madda and hamza that
# NFKD splits off an alef or its other seats (U+0653-U+0655) and the tatweel (one regex
# is several times faster than str.translate on text that is not ASCII).
_DROPPED = re.compile(f"[{APOSTROPHES}\u064b-\u0655\u0640]")
_ASCII_FOLD = str.maketrans("", "", "'`")
# After NFKD: a run of combining accents on a Latin letter, and the diaeresis of Russian ё.
_LATIN = r"a-z\u00df-\u02af\u1d00-\u1dbf\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff"
_MARKS = re.compile("[\u0300-\u036f]")  # most text has none: then the slower pattern is skipped
_DROPPED_MARKS = re.compile(rf"(?<=[{_LATIN}])[\u0300-\u036f]+|(?<=\u0435)\u0308+")
# Words: runs of letters and digits of any script; anything else ends a word.
WORD = re.compile(r"[^\W_]+")
_ASCII_WORDS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()} | dict.fromkeys("'`"))


MARK_RUN_MAX = 30  # combining marks kept in a row (Unicode's stream-safe limit, UAX #15)
_MARK_RUN_CHECKED = 2_000  # shorter texts cost at most ~2 ms however their marks run


@cache
def _mark_runs() -> re.Pattern[str]:
    """Runs of more than MARK_RUN_MAX combining marks, of any script, and of characters that
    decompose into them (Tibetan U+0F73 has class 0 and makes two marks): built once, ~0.1 s."""
    marks = [o for o in range(0x300, sys.maxunicode + 1)
             if (nfkd := unicodedata.normalize("NFKD", chr(o))) and unicodedata.combining(nfkd[0])]
    ranges, start = [], marks[0]
    for prev, mark in zip(marks, marks[1:] + [-1], strict=True):
        if mark != prev + 1:
            ranges.append(chr(start) if start == prev else f"{chr(start)}-{chr(prev)}")
            start = mark
    cls = "".join(ranges)
    return re.compile(f"([{cls}]{{{MARK_RUN_MAX}}})[{cls}]+")


def cap_mark_runs(text: str) -> str:
    """The text with every run of combining marks cut to MARK_RUN_MAX: Unicode normalisation
    reorders a run in time that grows with its square (200 KB of alternating marks took
    23 s to score), and no script writes more than a few on one letter."""
    return _mark_runs().sub(r"\1", text) if len(text) > _MARK_RUN_CHECKED and not text.isascii() else text


def normalise(text: str) -> str:
    """The text folded as the module says; spacing and punctuation otherwise kept."""
    if text.isascii():  # the common case, ten times cheaper
        return text.lower().translate(_ASCII_FOLD)
    text = cap_mark_runs(text)
    # ´ first: NFKD would make it a space and a combining accent.
    folded = unicodedata.normalize("NFKD", text.replace("\u00b4", "")).lower()
    folded = _DROPPED.sub("", folded).replace("ı", "i")
    if "\u0629" in folded or "\u0649" in folded:  # ta marbuta, alef maqsura
        folded = folded.replace("\u0629", "\u0647").replace("\u0649", "\u064a")
    if _MARKS.search(folded):
        # NFD again: dropping an apostrophe or a tatweel can join two runs of marks out of
        # their canonical order, and the marks' order decides which of them are dropped.
        folded = _DROPPED_MARKS.sub("", unicodedata.normalize("NFD", folded))
    return unicodedata.normalize("NFC", folded)


def words(text: str) -> list[str]:
    """The normalised text's words: runs of letters and digits ("Erdoğan'ın" -> ["erdoganin"])."""
    if text.isascii():  # the common case, 3x faster than the regex
        return text.lower().translate(_ASCII_WORDS).split()
    return WORD.findall(normalise(text))
