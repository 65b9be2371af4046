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
  as Arabic search engines fold them (أنقرة = انقره), and the Persian yeh and kaf some
  Arabic sites type (ی -> ي, ک -> ك: "تركیا" matched no concept, a headline 1.00 -> 0.04);
- characters that show nothing and split a word where they stand: the soft hyphen (a
  feed's &shy;), zero-width spaces and joiners, word joiners, byte-order marks and the
  direction marks of right-to-left text ("Ид&shy;либ" was "ид" and "либ": 0.88 -> 0.19);
- Russian stress marks (an acute or grave accent on a Cyrillic letter: "Идли́б");
- Latin letters inside a Cyrillic word that look like Cyrillic ones ("Tурция" with a Latin
  T, "Cирии" with a Latin C): folded to the Cyrillic letter they stand for. A Latin word
  with a Russian ending after an apostrophe or a hyphen ("Team'ом", "iPhone-ы") is two
  words, and stays Latin: the apostrophe becomes a hyphen ("team-ом"), as one between
  two letters of a script is dropped.

Every other letter of other scripts is kept: Russian й is not и. The result is NFC, and
normalising it again changes nothing.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

APOSTROPHES = "'`\u00b4\u2018\u2019\u02bc"  # ' ` ´ ‘ ’ ʼ
# Format characters that show nothing: soft hyphen, Arabic letter mark, Mongolian vowel
# separator, zero-width space, (non-)joiners and direction marks, bidi embeddings, word
# joiner and invisible operators, bidi isolates, byte-order mark.
INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
# Dropped whole: apostrophes, invisible characters, Arabic tashkeel (U+064B-U+0652), the
# madda and hamza that NFKD splits off an alef or its other seats (U+0653-U+0655) and the
# tatweel (one regex is several times faster than str.translate on text that is not ASCII).
_DROPPED = re.compile(f"[{APOSTROPHES}{INVISIBLE}\u064b-\u0655\u0640]")
_DROPPED_BUT_APOSTROPHES = re.compile(f"[{INVISIBLE}\u064b-\u0655\u0640]")  # for _apostrophes
_APOSTROPHES = re.compile(f"[{APOSTROPHES}][{APOSTROPHES}]*")  # a run: 3x faster than "[…]+"
_PERSIAN = str.maketrans("\u06cc\u06a9", "\u064a\u0643")  # ی ک -> ي ك
# After NFKD: a run of combining accents on a Latin letter, and the diaeresis of Russian ё.
_LATIN = r"a-z\u00df-\u02af\u1d00-\u1dbf\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff"
_MARKS = re.compile("[\u0300-\u036f]")  # most text has none: then the slower pattern is skipped
_DROPPED_MARKS = re.compile(rf"(?<=[{_LATIN}])[\u0300-\u036f]+|(?<=\u0435)\u0308+")
# Russian stress: an acute or grave on a Cyrillic vowel (ѓ and ќ, Macedonian letters written
# with an acute on a consonant, are kept), after й's breve too (NFD's order).
_STRESS = re.compile(r"(?<=\u0435)[\u0300\u0301\u0308]+|(?<=[\u0430\u0438\u043e\u0443\u044b\u044d\u044e\u044f])"
                     r"[\u0300\u0301]+|(?<=\u0438\u0306)[\u0300\u0301]+")
# A word mixing Cyrillic and the Latin letters that look like Cyrillic ones (lower case:
# T, H, M, B, K as capitals), and what each of those stands for.
_LOOKALIKES = str.maketrans("aceopxybhkmt",
                            "\u0430\u0441\u0435\u043e\u0440\u0445\u0443\u0432\u043d\u043a\u043c\u0442")
_CYR, _LOOK = "\u0430-\u044f\u0451", "aceopxybhkmt"
_MIXED_PAIR = re.compile(f"[{_CYR}][{_LOOK}]|[{_LOOK}][{_CYR}]")  # most text has none
_LATIN_LEFT = re.compile("[a-z]")
_CYRILLIC = re.compile(f"[{_CYR}]")
_LETTERS = re.compile(f"[a-z{_CYR}]{{2}}")  # two, each Latin or Cyrillic
_RUN = re.compile(f"[a-z{_CYR}]+")  # a word of Latin and Cyrillic letters; runs, not a search
# with a pattern around the pair (that backtracked over a long Latin run: 100 KB in 226 s)
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
        return _fold_ascii(text.lower())
    text = cap_mark_runs(text)
    # ´ first: NFKD would make it a space and a combining accent.
    folded = unicodedata.normalize("NFKD", text.replace("\u00b4", "")).lower().replace("ı", "i")
    if _APOSTROPHES.search(folded) and _CYRILLIC.search(folded):  # both: rare
        folded = _apostrophes(_DROPPED_BUT_APOSTROPHES.sub("", folded))
    else:
        folded = _DROPPED.sub("", folded)
    if "\u0629" in folded or "\u0649" in folded:  # ta marbuta, alef maqsura
        folded = folded.replace("\u0629", "\u0647").replace("\u0649", "\u064a")
    if "\u06cc" in folded or "\u06a9" in folded:
        folded = folded.translate(_PERSIAN)
    if _MARKS.search(folded):
        # NFD again: dropping an apostrophe or a tatweel can join two runs of marks out of
        # their canonical order, and the marks' order decides which of them are dropped.
        folded = _DROPPED_MARKS.sub("", unicodedata.normalize("NFD", folded))
        if "\u0301" in folded or "\u0300" in folded:
            folded = _STRESS.sub("", folded)
    if _MIXED_PAIR.search(folded):  # after the marks: "Ýк" is a Latin y by a Cyrillic к
        folded = _RUN.sub(_cyrillic, folded)
    if "'" in folded:  # after the fold: "тa'ом" is one Cyrillic word, "team'ом" two words
        folded = re.sub("'", _between, folded)
    return unicodedata.normalize("NFC", folded)


def _fold_ascii(text: str) -> str:
    """Lower-case ASCII text without ' and `: what str.translate dropping them gave, ~13x
    cheaper (translate looks every character up in a dict; most sentences hold neither)."""
    if "'" in text:
        text = text.replace("'", "")
    return text.replace("`", "") if "`" in text else text


def _apostrophes(text: str) -> str:
    """The text (it has Cyrillic) without apostrophes, but a run of them between two Latin
    or Cyrillic letters (an accent on the first allowed) is one "'": it keeps a Latin word
    apart from its Russian ending in the fold, and _between then drops it or makes it a
    hyphen. A run before a mark is dropped here: dropped later, it would join two runs of
    marks, or bring a mark to a letter, after the marks are dropped."""
    return _APOSTROPHES.sub(lambda m: "'" if _LETTERS.fullmatch(_letter_before(text, m.start())
                                                               + text[m.end():m.end() + 1]) else "", text)


def _letter_before(text: str, at: int) -> str:
    """The character before `at` past the combining marks on it, "" at the start (each mark
    run is walked once: it ends at one apostrophe at most)."""
    while at > 0 and unicodedata.combining(text[at - 1]):
        at -= 1
    return text[at - 1] if at else ""


def _between(apostrophe: re.Match[str]) -> str:
    """An apostrophe kept between two letters: a hyphen between a Latin and a Cyrillic one
    ("team-ом": two words, as "iphone-ы" is), nothing between two of a script."""
    text, at = apostrophe.string, apostrophe.start()
    return "-" if (_letter_before(text, at) < "\u0400") != (text[at + 1] < "\u0400") else ""


def _cyrillic(word: re.Match[str]) -> str:
    """A word of Cyrillic and Latin look-alikes in Cyrillic; any other word as it is (one of
    Latin letters alone, or with a Latin letter no Cyrillic one looks like)."""
    text = word.group()
    if not _MIXED_PAIR.search(text):
        return text
    folded = text.translate(_LOOKALIKES)
    return text if _LATIN_LEFT.search(folded) else folded


def words(text: str) -> list[str]:
    """The normalised text's words: runs of letters and digits ("Erdoğan'ın" -> ["erdoganin"])."""
    if text.isascii():  # the common case, 3x faster than the regex
        return text.lower().translate(_ASCII_WORDS).split()
    return WORD.findall(normalise(text))
