"""What the index computes of a checked item's text: its word shingles (shingles.py) and
its term sketch (terms.py), in one pass over its tokens.

Each module reads the text's words through its own cache, a dict lookup per word, and the
names test a third time. On a machine where Redis and the worker share two cores those
dicts are cold at every check (Redis's script walked its own memory in between), and the
lookups were half of an item's preparation: 700 us p50 at 100,000 indexed items against
380 us warm. Here one cache, keyed by the tokens as written, gives a token's shingle word
and its content-word and name hashes, so a text costs one lookup per token.

The results are exactly those of `shingles.shingle_hashes` and `terms.encoded` (a
hypothesis test holds them equal). Text that is ASCII once typographic punctuation is
made plain (curly quotes, dashes, ellipses, no-break spaces), as most English copy is,
takes this path; other text needs Unicode normalisation per word and takes theirs.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import numpy.typing as npt

from monitor.dedup import shingles, terms

# Punctuation that feeds write for ASCII: each plain form splits, joins and ends words
# exactly as the original does in both modules (an apostrophe joins a shingle word and
# splits a term token; a dash or quote only splits; neither ends a sentence).
_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u2026": " ", "\u00a0": " "})
# Tokens as written, apostrophes kept inside them: the shingles' word is a token without
# its apostrophes, the terms' tokens are its pieces between them.
_APOSTROPHES = "'`"
_SPACES = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum() and c not in _APOSTROPHES})
# Sentence ends to NUL, other characters that are not word characters to spaces: a
# sentence's first word is then the first of its piece (terms.opening_words, without
# the regex's backtracking: 7 us a text against 31).
_SENTENCES = str.maketrans({c: ("\x00" if c in ".!?\n" else " ") for c in map(chr, range(128)) if not c.isalnum()})

# A token's terms values packed in one int: content-word hash + 1 (0: none) in bits 0-16,
# name hash + 1 (0: cannot name) in bits 17-33, bit 34 when it is a number.
_FIELD = (1 << 17) - 1
_DIGIT = 1 << 34
_PIECES = -1  # a token with apostrophes: its pieces' values are in `_Cache.pieces`

MAX_TOKENS = 100_000  # the cache is cleared (between texts) when it holds this many
# ...or tokens of this many characters in all: a token is as long as a feed makes it, and
# 100,000 of 20,000 characters would be 2 GB of keys.
MAX_CHARS = 4_000_000


def _packed(piece: str) -> int:
    content, name = terms.token_hashes(piece)
    return (content + 1) | ((name + 1) << 17) | (_DIGIT if name >= 0 and piece.isdigit() else 0)


class _Cache(dict[str, int]):
    """Token -> its row in the arrays: shingle word hash, packed terms values, whether it
    has a shingle word (a token of apostrophes only has none). Read with map()."""

    def __init__(self) -> None:
        super().__init__()
        self.words = np.zeros(MAX_TOKENS, dtype=np.uint64)
        self.packed = np.zeros(MAX_TOKENS, dtype=np.int64)
        self.has_word = np.zeros(MAX_TOKENS, dtype=bool)
        self.pieces: dict[int, list[int]] = {}
        self.chars = 0  # characters of the tokens held

    def forget(self) -> None:
        self.clear()
        self.pieces.clear()
        self.chars = 0

    def __missing__(self, token: str) -> int:
        row = self[token] = len(self)
        self.chars += len(token)
        word = token.lower()
        if any(a in token for a in _APOSTROPHES):
            pieces = token.replace("`", "'").split("'")
            self.pieces[row] = [_packed(p) for p in pieces if p]
            self.packed[row] = _PIECES
            word = "".join(pieces).lower()
        else:
            self.packed[row] = _packed(token)
        self.has_word[row] = bool(word)
        self.words[row] = shingles.word_hash(word) if word else 0
        return row


_CACHE = _Cache()


def sketches(text: str, k: int) -> tuple[shingles.Hashes, bytes]:
    """`(shingles.shingle_hashes(text, k), terms.encoded(text))`."""
    plain = text.translate(_PLAIN)
    if not plain.isascii():
        return _word_by_word(text, k)
    tokens = plain.translate(_SPACES).split()
    if 2 * len(tokens) >= MAX_TOKENS:  # a book, not an article: never seen in a feed
        return _word_by_word(text, k)
    if len(_CACHE) + 2 * len(tokens) >= MAX_TOKENS or _CACHE.chars + 2 * len(plain) >= MAX_CHARS:
        _CACHE.forget()  # room for its tokens and its sentences' first words
    rows = np.fromiter(map(_CACHE.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    words, values = _CACHE.words[rows], _CACHE.packed[rows]
    pieces = values == _PIECES
    if pieces.any():  # few tokens have apostrophes: their pieces, in any order (a bag)
        words = words[_CACHE.has_word[rows]]
        spread = [v for row in rows[pieces].tolist() for v in _CACHE.pieces[row]]
        values = np.concatenate((values[~pieces], np.array(spread, dtype=np.int64)))
    content, counts = terms.counted((values & _FIELD) - 1)
    return shingles.from_words(words, k), terms.encode_words(content, counts, _names(values, plain))


def _word_by_word(text: str, k: int) -> tuple[shingles.Hashes, bytes]:
    """The same through each module's own path (text that needs Unicode normalisation)."""
    return shingles.shingle_hashes(text, k), terms.encoded(text)


def _names(values: npt.NDArray[np.int64], plain: str) -> list[int]:
    """terms._words's names: a name hash is kept when it is a number's or its tokens are
    found more often than they open a sentence. (Per hash, as terms does per token: the
    same, since a token opens a sentence at most as often as it is found.) A few dozen
    values: a Counter is twice as fast as numpy here."""
    names = values >> 17  # name hash + 1, and bit 17 for a number
    named = names[names > 0]
    if not named.size:
        return []
    found = Counter(named.tolist())
    packed = _CACHE.packed
    for word in _opening_words(plain):
        opens = int(packed[_CACHE[word]]) >> 17
        if opens:
            found[opens] -= 1
    return sorted({(h & _FIELD) - 1 for h, n in found.items() if n > 0 or h >> 17})


def _opening_words(plain: str) -> list[str]:
    """terms.opening_words of an ASCII text."""
    pieces = plain.translate(_SENTENCES).split("\x00")
    return [piece.split(None, 1)[0] for piece in pieces if piece and not piece.isspace()]

