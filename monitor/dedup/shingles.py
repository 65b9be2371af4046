"""Text to word shingles to MinHash signatures: the pure half of near-duplicate detection.

No I/O. The hashes are stable across processes and machines (blake2b, fixed seeds), so
several workers sharing one Redis index compute the same signature for the same text.

Normalisation, chosen so that the copies an outlet makes of a wire story shingle alike:
the words of monitor/normalise.py (the classifier's own: case, accents and apostrophes
folded, punctuation dropped), with British spellings folded onto American ones by suffix
rules. The rules are applied to both texts, so a rule that also folds an unrelated word
("rise" -> "rize") costs nothing.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import numpy.typing as npt

from monitor.normalise import words

Hashes = npt.NDArray[np.uint64]


_Rule = tuple[re.Pattern[str], str, tuple[str, ...]]


def _rule(before: str, british: str, endings: tuple[str, ...], american: str) -> _Rule:
    """A rule folding `british` + one of `endings` onto `american` + the same ending, when
    the word has `before` (a regex) ahead of it; with the suffixes it can match, made from
    the same arguments, so the shortcut in canonical can never skip a word it would fold."""
    pattern = re.compile(f"({before}){british}({'|'.join(endings)})$")
    return pattern, rf"\1{american}\2", tuple(british + e for e in endings)


# British -> American, first matching rule wins; only words of 5+ letters are touched.
_SPELLING = (
    _rule("", "isation", ("", "s"), "ization"),  # organisation
    _rule("", "is", ("e", "ed", "es", "ing"), "iz"),  # recognise, criticised
    _rule("", "ys", ("e", "ed", "es", "ing"), "yz"),  # analyse, paralysed
    _rule("..", "our", ("", "s", "ed", "ing", "ite", "ites"), "or"),  # labour, neighbours, favourite
    _rule("[^aeiou]", "tre", ("", "s"), "ter"),  # centre, theatres
    _rule("", "ogue", ("", "s"), "og"),  # dialogue
    _rule("", "ence", ("",), "ense"),  # defence, offence, licence
    _rule("", "ll", ("ed", "ing", "er", "ers"), "l"),  # travelled, cancelling
)
# Every ending a rule above can match: a word ending in none of them is left as it is.
_SUFFIXES = tuple(suffix for _, _, suffixes in _SPELLING for suffix in suffixes)
_WORDS = {"programme": "program", "programmes": "programs", "grey": "gray", "whilst": "while",
          "amongst": "among", "towards": "toward", "sceptical": "skeptical", "tyre": "tire",
          "tyres": "tires", "cheque": "check", "aluminium": "aluminum", "kerb": "curb"}
# Multipliers that combine k token hashes into one shingle hash (odd, so no bits are lost).
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53], dtype=np.uint64)


def canonical(word: str) -> str:
    """One lower-case token with British spelling folded onto American.

    Not cached: a word that ends in none of the rules' suffixes (99 % of news words) is
    itself, which `str.endswith` tells in ~0.2 us, as fast as a cache hit. The lru_cache of
    200,000 words this replaces held ~39 MB at its cap on real news, and missed half the
    time (each miss ran the eight rules, 4 us)."""
    if word in _WORDS:
        return _WORDS[word]
    if len(word) < 5 or not word.endswith(_SUFFIXES) or word.isdigit():
        return word
    for pattern, repl, _ in _SPELLING:
        folded = pattern.sub(repl, word)
        if folded != word:
            return folded
    return word


def tokens(text: str) -> list[str]:
    """The normalised words of a text."""
    return [canonical(w) for w in words(text)]


class _WordHashes(dict[str, int]):
    """Raw word -> hash of its canonical form, computed on first sight; read with map()
    about 300 times per text (a Python call per word cost several times the lookup).
    Cleared between texts when it grows too big."""

    def __init__(self) -> None:
        super().__init__()
        self.chars = 0  # characters of the words held

    def __missing__(self, word: str) -> int:
        h = self[word] = word_hash(word)
        self.chars += len(word)
        return h

    def forget(self) -> None:
        self.clear()
        self.chars = 0


_WORD_HASHES = _WordHashes()
_WORD_HASHES_MAX = 100_000
# ...or words of this many characters in all: a word is as long as a feed makes it (a
# clause of Chinese or Thai has no spaces), and 100,000 of 20,000 characters held ~4 GB.
_WORD_HASHES_CHARS = 4_000_000


def _fmix(h: Hashes) -> Hashes:
    """MurmurHash3's 64-bit finaliser: spreads every input bit over the output."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def shingle_hashes(text: str, k: int) -> Hashes:
    """The distinct 64-bit hashes of the text's word k-shingles (a text shorter than k
    words is one shingle; an empty text has none)."""
    ws = words(text)
    if len(_WORD_HASHES) >= _WORD_HASHES_MAX or _WORD_HASHES.chars >= _WORD_HASHES_CHARS:
        _WORD_HASHES.forget()
    return from_words(np.fromiter(map(_WORD_HASHES.__getitem__, ws), dtype=np.uint64, count=len(ws)), k)


def word_hash(word: str) -> int:
    """The 64-bit hash of a lower-case word's canonical form (what a shingle is made of)."""
    return int.from_bytes(hashlib.blake2b(canonical(word).encode(), digest_size=8).digest(), "little")


def from_words(th: Hashes, k: int) -> Hashes:
    """The distinct shingle hashes of a text's word hashes (`word_hash`, in text order)."""
    if not th.size:
        return th
    n = max(1, th.size - k + 1)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(min(k, th.size)):
            h += th[j : j + n] * _MIX[j % len(_MIX)]
        return _distinct(_fmix(h))


def _distinct(h: Hashes) -> Hashes:
    """np.unique of a few hundred values, 4x faster (numpy 2's hash-based unique costs
    ~20 us on 300 values, a sort ~5 us)."""
    h.sort()
    keep = np.empty(h.size, dtype=bool)
    keep[0] = True
    np.not_equal(h[1:], h[:-1], out=keep[1:])
    return h[keep]


class MinHasher:
    """MinHash with `num_perm` multiply-add-shift hash functions of the 64-bit shingle
    hashes (vectorised: one numpy product per text, not one Python call per shingle).
    Each minimum is rehashed (a minimum's own top bits are mostly zeros) and kept whole for
    the LSH bands; the index stores only its low BITS bits (b-bit MinHash, see `packed`)."""

    def __init__(self, num_perm: int, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)

    def minima(self, hashes: Hashes) -> Hashes:
        """The rehashed minimum of each hash function over the shingles (all ones for none)."""
        if hashes.size == 0:
            return np.full(self.a.size, 2**64 - 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            mixed = hashes[:, None] * self.a[None, :]
            mixed += self.b  # in place: one array of shingles x num_perm, not two
            return _fmix(mixed.min(axis=0))


BITS = 4
"""Bits of each minimum the index stores (b-bit MinHash, Li and Koenig 2010): two different
minima then agree by chance once in 16, which `packed_estimate` subtracts. The estimate's
standard error at Jaccard 0.4 over 128 values is 0.047, against 0.043 with 16 bits, for a
quarter of the bytes (64 B a signature)."""


def packed(minima: Hashes) -> bytes:
    """The low BITS bits of each minimum, two to a byte (value 2i low, 2i + 1 high)."""
    low = (minima & np.uint64(0xF)).astype(np.uint8)
    return (low[0::2] | (low[1::2] << np.uint8(4))).tobytes()


def packed_estimate(a: bytes, b: bytes, n_a: int, n_b: int) -> tuple[float, float]:
    """Jaccard and containment from two `packed` signatures, corrected for chance agreement
    (P(equal) = J + (1 - J) / 16); the same arithmetic as the Redis script."""
    x, y = np.frombuffer(a, dtype=np.uint8), np.frombuffer(b, dtype=np.uint8)
    equal = np.count_nonzero((x & 0xF) == (y & 0xF)) + np.count_nonzero((x >> 4) == (y >> 4))
    chance = 1.0 / (1 << BITS)
    j = max(0.0, (equal / (2 * x.size) - chance) / (1.0 - chance))
    smaller = min(n_a, n_b)
    if smaller == 0:
        return 0.0, 0.0
    return j, min(1.0, j * (n_a + n_b) / ((1.0 + j) * smaller))


def band_hashes(minima: Hashes, bands: int, rows: int) -> bytes:
    """8 bytes (big-endian) a band: a hash of the band's number and its `rows` whole minima.
    The LSH files band b under its first bits and checks 2 more, so two items share a band
    key by chance once in 2**40 or so, whatever the index size."""
    m = minima[: bands * rows].reshape(bands, rows)
    with np.errstate(over="ignore"):
        h = np.arange(1, bands + 1, dtype=np.uint64) * _MIX[rows % len(_MIX)]
        for r in range(rows):
            h += m[:, r] * _MIX[r % len(_MIX)]
        return _fmix(h).astype(">u8").tobytes()


def exact(a: Hashes, b: Hashes) -> tuple[float, float, int]:
    """Exact Jaccard, min-side containment and the count of shared shingles."""
    shared = int(np.intersect1d(a, b, assume_unique=True).size)
    union = a.size + b.size - shared
    smaller = min(a.size, b.size)
    return (shared / union if union else 0.0, shared / smaller if smaller else 0.0, shared)
