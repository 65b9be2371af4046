"""Counting a fixed vocabulary of n-grams in normalised sentences: the classifier's hot loop.

Both feature blocks are counted word by word, where a word is a whitespace-separated piece
of a sentence: its character n-grams (padded with a space each side) and its tokens
(runs of two or more word characters, scikit-learn's default token pattern, which never
span whitespace). Words repeat across documents, so each word's n-gram ids and token ids
are worked out once and kept (up to CACHE words); a batch then costs one dictionary
lookup per word in Python, and the rest (gathering ids, forming token pairs, looking the
pairs up) is done on whole arrays by numpy. The counts equal scikit-learn's
CountVectorizer with the same vocabularies (tests/test_counting.py checks this).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain

import numpy as np
import scipy.sparse as sp

from monitor.model.concepts import is_concept

CACHE = 50_000  # words whose ids are remembered (~12 MB); the memo starts afresh when full
# ...or when the words it holds, or their ids, pass these: a word is as long as a feed makes
# it, and 20,000-character words (base64, a hostile feed's runs) held ~38,000 ids each, so
# 50,000 of them would have held ~8 GB before the memo started afresh.
CACHE_CHARS = 2_000_000  # ~20 chars a word at CACHE
CACHE_IDS = 4_000_000  # ~16 MB of character and token ids (int32)
TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


def char_grams(word: str, low: int, high: int) -> list[str]:
    """Character n-grams of one whitespace-separated word, padded with a space each side."""
    padded = f" {word} "
    return [padded[i:i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)]


def word_grams(sentence: str, low: int, high: int) -> list[str]:
    """Word n-grams of one normalised sentence (its tokens, then runs of them joined by a
    space), as scikit-learn's word analyzer forms them and Counter counts them."""
    tokens = TOKEN.findall(sentence)
    return [" ".join(tokens[i:i + n]) for n in range(low, high + 1) for i in range(len(tokens) - n + 1)]


class Ragged:
    """A growing table of id lists: list k is flat[starts[k]:starts[k] + lengths[k]]."""

    def __init__(self) -> None:
        self.flat = np.empty(0, dtype=np.int32)
        self.starts = np.empty(0, dtype=np.int64)
        self.lengths = np.empty(0, dtype=np.int64)
        self.size = 0  # lists held
        self.used = 0  # ids held

    def extend(self, lists: Sequence[Sequence[int]]) -> None:
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        flat = np.fromiter(chain.from_iterable(lists), dtype=np.int32, count=int(lengths.sum()))
        starts = self.used + np.cumsum(lengths) - lengths
        self.flat = _put(self.flat, self.used, flat)
        self.starts = _put(self.starts, self.size, starts)
        self.lengths = _put(self.lengths, self.size, lengths)
        self.size += len(lists)
        self.used += len(flat)

    def gather(self, keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ids of the lists `keys` in turn, and for each id the row of its list."""
        lengths = self.lengths[keys]
        ends = np.cumsum(lengths)
        shift = np.repeat(self.starts[keys] - (ends - lengths), lengths)
        total = int(ends[-1]) if len(ends) else 0
        return self.flat[shift + np.arange(total)], np.repeat(rows, lengths)


def _put(array: np.ndarray, at: int, values: np.ndarray) -> np.ndarray:
    """Write values at array[at:], growing the array by doubling when it is too short."""
    if at + len(values) > len(array):
        grown = np.empty(max(2 * len(array), at + len(values)), dtype=array.dtype)
        grown[:at] = array[:at]
        array = grown
    array[at:at + len(values)] = values
    return array


class _Numbers(dict[str, int]):
    """Numbers words in the order they are first seen, remembering which are new."""

    def __init__(self) -> None:
        super().__init__()
        self.new: list[str] = []

    def __missing__(self, word: str) -> int:
        self[word] = number = len(self)
        self.new.append(word)
        return number


class Counter:
    """Counts word 1-2-grams and character n-grams of fixed vocabularies, per sentence."""

    def __init__(self, words: dict[str, int], word_ngrams: tuple[int, int],
                 chars: dict[str, int], char_ngrams: tuple[int, int]):
        if word_ngrams not in ((1, 1), (1, 2)):
            raise ValueError(f"word n-grams {word_ngrams} are not supported (only (1, 1), (1, 2))")
        self.n_words, self.n_chars = len(words), len(chars)
        self.chars, self.char_ngrams = chars, char_ngrams
        # Every token of the word vocabulary, alone or in a pair, gets a token number; a
        # pair is looked up by the key first * T + second among the sorted pair keys. Built
        # word by word: a list of every pair's split words cost ~17 MB at the load's peak
        # with four languages' vocabularies.
        self.tokens: dict[str, int] = {}
        for name in words:
            if " " not in name:
                self.tokens.setdefault(name, len(self.tokens))
        n_pairs = 0
        for name in words:
            if " " in name:
                n_pairs += 1
                for part in name.split(" "):
                    self.tokens.setdefault(part, len(self.tokens))
        self.unigram = np.full(len(self.tokens) + 1, -1, dtype=np.int64)  # last: unknown
        t = len(self.tokens)
        keys, ids, k = np.empty(n_pairs, dtype=np.int64), np.empty(n_pairs, dtype=np.int64), 0
        for name, i in words.items():
            if " " not in name:
                self.unigram[self.tokens[name]] = i
            else:
                first, second = name.split(" ")
                keys[k], ids[k], k = self.tokens[first] * t + self.tokens[second], i, k + 1
        order = np.argsort(keys)
        self.pair_keys = keys[order]
        self.pair_ids = ids[order]
        self._forget()

    def _forget(self) -> None:
        self._words = _Numbers()  # every word seen, numbered: the rows of the two tables
        self._char_ids = Ragged()  # a word's character n-gram ids
        self._token_ids = Ragged()  # a word's tokens' numbers (unknown: T)
        self._held_chars = 0  # characters of the words remembered

    def _learn(self, words: list[str]) -> None:
        chars, unknown, (low, high) = self.chars, len(self.tokens), self.char_ngrams
        # concept tokens (monitor/model/concepts.py) are words of the word block only
        self._char_ids.extend([[] if is_concept(w) else
                               [chars[g] for g in char_grams(w, low, high) if g in chars]
                               for w in words] if chars else [[] for _ in words])
        self._token_ids.extend([[self.tokens.get(t, unknown) for t in TOKEN.findall(w)]
                                for w in words])

    def count(self, sentences: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Word and character n-gram counts (sentences x vocabulary) of normalised sentences."""
        words: list[str] = []
        lengths: list[int] = []
        for sentence in sentences:
            split = sentence.split()
            words.extend(split)
            lengths.append(len(split))
        if (len(self._words) >= CACHE or self._held_chars >= CACHE_CHARS
                or self._char_ids.used + self._token_ids.used >= CACHE_IDS):
            self._forget()  # a memo only: bounded memory matters more than hits
        keys = np.fromiter(map(self._words.__getitem__, words), dtype=np.int64, count=len(words))
        self._learn(self._words.new)
        self._held_chars += sum(map(len, self._words.new))
        self._words.new = []
        rows = np.repeat(np.arange(len(sentences)), lengths)
        chars, char_rows = self._char_ids.gather(keys, rows)
        tokens, token_rows = self._token_ids.gather(keys, rows)
        ids, id_rows = self._word_ids(tokens, token_rows)
        order = np.argsort(id_rows, kind="stable")  # unigrams, then pairs: by sentence
        n = len(sentences)
        return (_matrix(ids[order], id_rows[order], (n, self.n_words)),
                _matrix(chars, char_rows, (n, self.n_chars)))

    def _word_ids(self, tokens: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unigram ids, then the ids of adjacent token pairs within a sentence."""
        tokens = tokens.astype(np.int64)  # pair keys reach T * T
        uni = self.unigram[tokens]
        known = uni >= 0
        ids, id_rows = [uni[known]], [rows[known]]
        if len(self.pair_keys) and len(tokens) > 1:
            t = len(self.tokens)
            first, second = tokens[:-1], tokens[1:]
            pair = (rows[:-1] == rows[1:]) & (first < t) & (second < t)
            key = first[pair] * t + second[pair]
            at = np.minimum(np.searchsorted(self.pair_keys, key), len(self.pair_keys) - 1)
            hit = self.pair_keys[at] == key
            ids.append(self.pair_ids[at[hit]])
            id_rows.append(rows[:-1][pair][hit])
        return np.concatenate(ids), np.concatenate(id_rows)


def _matrix(cols: np.ndarray, rows: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """Counts from ids sorted by row. An n-gram seen twice in a sentence is left as two
    entries of 1, not summed (sorting them costs as much as the rest of the counting):
    counts are only ever used multiplied by a layout matrix, which sums them."""
    indptr = np.searchsorted(rows, np.arange(shape[0] + 1))
    return sp.csr_matrix((np.ones(len(cols)), cols, indptr), shape=shape)
