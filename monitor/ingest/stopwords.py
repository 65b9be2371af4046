"""The function words of an item's language, which are no evidence that a page is about it
(relevance.py): "için", "und", "les", "для" and "على" are on any page of their language.

The lists are the `stop-words` package's (ISO 639-1 codes, as monitor.language detects),
as normalised words (normalise.words: "için" is "icin", "على" "علي") so that they match
the words they are compared with, each with the project's English list (dedup/terms.py)
added. English has that list alone: the package's holds content words ("world", "free",
"great", "groups"), and on .ci/eval_relevance.py refused 1 more English page of its own
item and accepted 2 more of other stories. An item of no language, or of one without a
list, gets the union of them all: given to every item whatever its language, it refused and
accepted on .ci/eval_relevance.py within 2 items of each language's own list (German 42 and
51 of 413, not 43 and 49), so a language detected wrong costs little.

Not jusText's lists (trafilatura's, installed): they are the frequent words of a Wikipedia
and hold the words a headline names (Türkiye, Suriye, asker; الجيش, سوريا; армия; Armee);
with them 19 Turkish pages of 128 were refused under their own item, not 11. Not
stopwords-iso's: its Russian list holds россия, война, москва and город.

Each list is read and folded once, on first use (1-3 ms; the union ~50 ms), and kept.
"""

from __future__ import annotations

from functools import cache

from monitor.dedup.terms import STOP_WORDS
from monitor.normalise import words

ENGLISH = "en"
# The package's Turkish list was written in ISO-8859-9 and read as Latin-1: "nasýl", "þu"
# and "deðil" for "nasıl", "şu" and "değil" (ý, þ and ð are no Turkish letters).
_TURKISH_MOJIBAKE = str.maketrans("ýþðÝÞÐ", "ışğİŞĞ")


# fastText's codes for Norwegian (language.py) where the package has Bokmål's: without them
# a Norwegian item got the union, whose German, Dutch and Swedish words (war, die, man, hat)
# are English content words too.
_ALIASES = {"no": "nb", "nn": "nb"}


def stop_words(lang: str | None) -> frozenset[str]:
    """The normalised function words of language `lang` (an ISO 639-1 code), English's
    among them; those of every language listed when `lang` is none of them."""
    lang = _ALIASES.get(lang or "", lang)
    if lang == ENGLISH:
        return STOP_WORDS
    return _of(lang) if lang in _languages() else _every()


@cache
def _languages() -> frozenset[str]:
    import stop_words as package

    return frozenset(package.LANGUAGE_MAPPING) - {ENGLISH}


@cache
def _of(lang: str) -> frozenset[str]:
    import stop_words as package

    entries: list[str] = package.get_stop_words(lang)
    if lang == "tr":
        entries = [e.translate(_TURKISH_MOJIBAKE) for e in entries]
    return STOP_WORDS | {w for entry in entries for w in words(entry)}


@cache
def _every() -> frozenset[str]:
    return STOP_WORDS.union(*map(_of, _languages()))
