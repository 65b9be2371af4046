"""Content words and names of a text: the second near-duplicate test, for reworded copies.

A copy that a spinner made (one content word in three swapped for a synonym) or that was
rephrased sentence by sentence shares few word 3-shingles with its original, but it keeps
most content words and every name, place and number. Two outlets' own reports of one event
share the event's main names but not the rest: their quotes, officials, figures and
wording differ. So a copy is reworded when both hold:

- cosine of the two texts' content-word vectors (1 + ln tf, function words left out)
  >= `[dedup] cosine`, and
- the names and numbers (capitalised words not opening a sentence, and digit runs) of the
  one with fewer are in the other, share >= `[dedup] names`, at least MIN_SHARED_NAMES.

The sketch kept per indexed item is a consistent sample, so it stays small: the TERMS
content words and NAMES names with the smallest 16-bit hashes. Two sketches are compared on
the hashes below the lower of their cut-offs (the largest hash kept by a full sketch), so
both sides are sampled alike. The Lua in script.py does the same arithmetic as `compare`.
Chosen on .ci/eval_neardup.py (64 and 24: a smaller sample lost reheaded copies).

No I/O; the hashes are blake2b, stable across processes as the shingles' are.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from monitor.dedup.shingles import canonical
from monitor.normalise import cap_mark_runs, normalise

TERMS = 64
NAMES = 24
MIN_SHARED_NAMES = 3
WEIGHT_SCALE = 50  # 1 + ln tf stored as one byte: round(w x 50), at most 255 (tf ~ 160)
FULL_TERMS, FULL_NAMES = 1, 2  # flag bits: more were found than the sketch keeps
CUT_OFF = 1 << 16  # above every 16-bit hash: a sketch that is not full cuts nothing

# Written for the project: English function words (sklearn's list would cost its 1.3 s
# import to every command that checks texts). Words under 3 letters are left out anyway,
# which drops most function words of other languages too.
STOP_WORDS = frozenset("""
about above after again against all also although among and another any are around
because been before being below between both but can cannot could did does doing down
during each either even ever every few for from further had has have having her here hers
herself him himself his how however into its itself just least less many more most much
must near neither nor not now off once only other our ours out over own per same several
she should since some such than that the their theirs them themselves then there these
they this those though through thus too toward under until upon very was were what when
where whether which while who whom whose why will with within without would yet you your
yours said says say told according new one two three year years week monday tuesday
wednesday thursday friday saturday sunday
""".split())

# Sentences end at . ! ? or a line break; words are runs of letters and digits; a
# sentence's opening word is its first.
_WORD = re.compile(r"[^\W_]+")
# The same words in ASCII text (letters and digits are all its word characters but "_"),
# found 3x faster by str.translate and split than by the regex.
_ASCII_SPACES = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
# ʼ (U+02BC) is a letter to the regex, the other apostrophes are not: as ' it splits alike
_MODIFIER_APOSTROPHE = str.maketrans({"\u02bc": "'"})
_OPENING = re.compile(r"(?:\A|[.!?\n])[^.!?\n]*?([^\W_]+)")


@dataclass(frozen=True, slots=True)
class TermSketch:
    """A text's sampled content words (hash -> weight byte) and names (hashes), ascending."""

    terms: tuple[tuple[int, int], ...]
    names: tuple[int, ...]
    flags: int = 0

    def encode(self) -> bytes:
        """Header (term count, name count, flags), then 3 bytes a term, 2 a name."""
        flat = [x for h, w in self.terms for x in (h, w)]
        return _layout(len(self.terms), len(self.names)).pack(len(self.terms), len(self.names), self.flags,
                                                              *flat, *self.names)


@lru_cache(maxsize=(TERMS + 1) * (NAMES + 1))
def _layout(terms: int, names: int) -> struct.Struct:
    return struct.Struct(f"<3B{'HB' * terms}{names}H")


def _hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=2).digest(), "little")


class _Tokens(dict[str, int]):
    """Raw token -> its content-word hash (-1: not a content word), computed on first
    sight; `names` holds the name hash of the tokens that may be names (capitalised, or a
    number). Plain dicts read with map() (per token of every text: a call per token cost
    more than the rest of the sketch). Cleared between texts when they grow too big."""

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, int] = {}
        self.chars = 0  # characters of the tokens held

    def __missing__(self, token: str) -> int:
        found, name = token_hashes(token)
        if name >= 0:
            self.names[token] = name
        self[token] = found
        self.chars += len(token)
        return found

    def forget(self) -> None:
        self.clear()
        self.names.clear()
        self.chars = 0


def token_hashes(token: str) -> tuple[int, int]:
    """A token's content-word hash (-1: not a content word) and its name hash (-1: it
    cannot name: not capitalised, not a number, or a function word)."""
    word = canonical(normalise(token))
    content = len(word) >= 3 and not word.isdigit() and word not in STOP_WORDS
    nameable = token.isdigit() or (token[0].isupper() and word not in STOP_WORDS)
    return (_hash(word) if content else -1), (_hash("#" + word) if nameable else -1)


_TOKENS = _Tokens()
# 100,000 like the other word caches: 200,000 held 26 MB of real news's words (SemEval's ten
# languages and AG News) for 1 % less CPU a text than 100,000, which holds 15 MB.
_TOKENS_MAX = 100_000
# ...or tokens of this many characters in all: a token is as long as a feed makes it (a
# clause of Chinese or Thai has no spaces), and 200,000 of 20,000 characters held ~8 GB.
_TOKENS_CHARS = 4_000_000


def _tokens(text: str) -> list[str]:
    """The text's words as written (runs of letters and digits)."""
    return text.translate(_ASCII_SPACES).split() if text.isascii() else _WORD.findall(text)


def _words(text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[int]]:
    """Content words (distinct hashes, ascending) with their counts, and names and numbers
    (hashes, ascending) of a text: a capitalised word names something unless it opens a
    sentence (a number always does), so a name is a nameable token found more often than
    it opens a sentence. Counted with numpy (sorted once) rather than a Counter: this runs
    on every checked item."""
    if len(_TOKENS) >= _TOKENS_MAX or _TOKENS.chars >= _TOKENS_CHARS:
        _TOKENS.forget()
    if not text.isascii():  # decomposed accents would cut words apart (Erdog + an)
        text = unicodedata.normalize("NFC", cap_mark_runs(text)).translate(_MODIFIER_APOSTROPHE)
    tokens = _tokens(text)
    distinct, counts = counted(np.fromiter(map(_TOKENS.__getitem__, tokens), dtype=np.int64, count=len(tokens)))
    named = _TOKENS.names
    nameable = Counter(filter(named.__contains__, tokens))
    if not nameable:
        return distinct, counts, []
    opening = Counter(opening_words(text))
    names = sorted({named[t] for t, n in nameable.items() if t[0].isdigit() or n > opening[t]})
    return distinct, counts, names


def opening_words(text: str) -> list[str]:
    """The first word of each of the text's sentences."""
    return _OPENING.findall(text)


def counted(hashes: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct content-word hashes (ascending) of a text's tokens and their counts
    (-1, not a content word, left out). Sorts `hashes` in place."""
    hashes.sort()
    hashes = hashes[np.searchsorted(hashes, 0):]
    starts = np.flatnonzero(np.diff(hashes, prepend=-1))
    return hashes[starts], np.diff(starts, append=hashes.size)


# 1 + ln tf as a byte (WEIGHT_SCALE) by tf, at most 255 (from tf 61 up; index 64: tf >= 64).
_WEIGHTS = np.array([0] + [min(255, round((1 + math.log(c)) * WEIGHT_SCALE)) for c in range(1, 64)] + [255],
                    dtype=np.uint8)
_TERM = np.dtype([("h", "<u2"), ("w", "u1")])  # a term as TermSketch.encode writes it


def _sample(text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8], list[int], int]:
    """The consistent sample (the smallest hashes): content words, their weights, names, flags."""
    return _sampled(*_words(text))


def _sampled(hashes: npt.NDArray[np.int64], counts: npt.NDArray[np.int64],
             names: list[int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8], list[int], int]:
    flags = (FULL_TERMS if hashes.size > TERMS else 0) | (FULL_NAMES if len(names) > NAMES else 0)
    return hashes[:TERMS], _WEIGHTS[np.minimum(counts[:TERMS], _WEIGHTS.size - 1)], names[:NAMES], flags


def sketch(text: str) -> TermSketch:
    hashes, weights, names, flags = _sample(text)
    return TermSketch(tuple(zip(hashes.tolist(), weights.tolist(), strict=True)), tuple(names), flags)


def encoded(text: str) -> bytes:
    """`sketch(text).encode()`, without the tuples (the index's path: every checked item)."""
    return encode_words(*_words(text))


def encode_words(distinct: npt.NDArray[np.int64], counts: npt.NDArray[np.int64], names: list[int]) -> bytes:
    """`encoded` from a text's content words (distinct, ascending), their counts and its names."""
    hashes, weights, names, flags = _sampled(distinct, counts, names)
    terms = np.empty(hashes.size, dtype=_TERM)
    terms["h"], terms["w"] = hashes, weights
    return bytes((hashes.size, len(names), flags)) + terms.tobytes() + np.array(names, dtype="<u2").tobytes()


def _cut(a: TermSketch, b: TermSketch, bit: int, last_a: int, last_b: int) -> int:
    return min(last_a if a.flags & bit else CUT_OFF, last_b if b.flags & bit else CUT_OFF)


def compare(a: TermSketch, b: TermSketch) -> tuple[float, float, int]:
    """(cosine of the content words, share of the smaller name set in the other, names
    shared), each on the hashes both sketches sampled."""
    cut = _cut(a, b, FULL_NAMES, a.names[-1] if a.names else 0, b.names[-1] if b.names else 0)
    na = {h for h in a.names if h <= cut}
    nb = {h for h in b.names if h <= cut}
    shared = len(na & nb)
    names = shared / min(len(na), len(nb)) if na and nb else 0.0
    cut = _cut(a, b, FULL_TERMS, a.terms[-1][0] if a.terms else 0, b.terms[-1][0] if b.terms else 0)
    ta = {h: w for h, w in a.terms if h <= cut}
    tb = {h: w for h, w in b.terms if h <= cut}
    dot = sum(w * tb[h] for h, w in ta.items() if h in tb)
    norm = math.sqrt(sum(w * w for w in ta.values()) * sum(w * w for w in tb.values()))
    return (dot / norm if norm else 0.0), names, shared


def reworded(cosine: float, names: float, shared: int, cosine_threshold: float, names_threshold: float) -> bool:
    return cosine >= cosine_threshold and names >= names_threshold and shared >= MIN_SHARED_NAMES
