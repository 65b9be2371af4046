"""Text to features for the topic model: shared by training and scoring, so they agree.

Text is normalised (monitor/normalise.py: case, accents, apostrophes, the same folding as
the near-duplicate shingles), split into sentences (monitor/model/layout.py), and counted once
per sentence: word 1-2-grams and character n-grams within words. A document's (or a
passage's) counts are the sums of its sentences' counts, weighted by sublinear tf x idf
and scaled to unit length per block. Passages are overlapping pairs of sentences; their
margins let an article that names an actor in one passing clause score lower than one
that is about it. Everything here is pure (the word cache only memoises).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from monitor.model.concepts import Lexicon, Tagger, is_concept
from monitor.model.counting import Counter, char_grams, word_grams
from monitor.model.layout import Layout, layout
from monitor.normalise import normalise

if TYPE_CHECKING:  # training only: scoring never imports scikit-learn (~65 MB per process)
    from sklearn.feature_extraction.text import CountVectorizer

FLOOR_PERCENTILE = 25  # length floor of each block: this percentile of training passages


@dataclass(frozen=True)
class FeatureSpec:
    """How text becomes features; stored in the model so scoring matches training."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)  # (0, 0): no character features
    char_weight: float = 0.5  # scale of the char block relative to the word block
    concepts: Lexicon = ()  # concept lexicon (monitor/model/concepts.py); (): no concept tokens

    def word_vectorizer(self, min_df: int = 1) -> CountVectorizer:
        """Learns the word vocabulary from documents given as their sentences, one a line,
        normalised (see Features.both), with the very n-grams Counter counts: within a
        sentence. Pairs across a line break (the last word of a sentence, or a concept token,
        with the next sentence's first) were 12,014 of the 90,202 word features that scoring
        never counts, and they moved the idf of the pairs it does count."""
        from sklearn.feature_extraction.text import CountVectorizer

        low, high = self.word_ngrams
        return CountVectorizer(analyzer=lambda text: [g for line in text.split("\n")
                                                      for g in word_grams(line, low, high)],
                               min_df=min_df, dtype=np.float64)

    def char_fitter(self, min_df: int, max_features: int | None) -> CountVectorizer:
        """Learns the character vocabulary with the very n-grams Counter counts."""
        from sklearn.feature_extraction.text import CountVectorizer

        low, high = self.char_ngrams
        return CountVectorizer(
            analyzer=lambda text: [g for w in text.split() if not is_concept(w)
                                   for g in char_grams(w, low, high)],
            min_df=min_df, max_features=max_features, dtype=np.float64)


def _weights(counts: sp.csr_matrix, idf: np.ndarray) -> np.ndarray:
    """Sublinear tf times idf of each entry (counts with one entry per n-gram and row)."""
    data = np.log(counts.data)
    data += 1.0
    data *= idf.take(counts.indices)  # the same values as idf[counts.indices], ~1.8x cheaper
    return data


def weighted(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times idf, as a matrix."""
    return sp.csr_matrix((_weights(counts, idf), counts.indices, counts.indptr), shape=counts.shape)


def _lengths(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Euclidean length of each row of a CSR matrix's entries (a sum per run of entries:
    ~10x cheaper than labelling each entry with its row and counting them)."""
    squares = np.append(data * data, 0.0)  # a last empty row starts at the padding
    sums = np.add.reduceat(squares, indptr[:-1]) if len(indptr) > 1 else np.zeros(0)
    sums[indptr[:-1] == indptr[1:]] = 0.0  # reduceat gives an empty row the next entry
    return np.sqrt(sums)


def row_norms(x: sp.csr_matrix) -> np.ndarray:
    """Euclidean length of each row."""
    return _lengths(x.data, x.indptr)


def tfidf(counts: sp.csr_matrix, idf: np.ndarray, floor: float = 0.0) -> sp.csr_matrix:
    """Sublinear tf x idf, rows divided by their length, or by `floor` if that is larger.

    With plain unit length a bare headline's few words get large values, so one strong
    word ("Russian") decides its score; the floor (pivoted length normalisation) makes a
    text shorter than a typical passage carry proportionally less weight. (Measured on
    Guardian and BBC Russia headlines: false alerts at 0.6 fell from 177 to 4, while
    FA-KES precision and recall held.) Done on the arrays of the sparse matrix: scipy's
    products with diagonal matrices cost 3x as much.
    """
    x = weighted(counts, idf)
    x.data /= np.repeat(np.maximum(np.maximum(row_norms(x), floor), 1e-12), np.diff(x.indptr))
    return x


def _margin(counts: sp.csr_matrix, idf: np.ndarray, floor: float, coef: np.ndarray) -> np.ndarray:
    """tfidf(counts, idf, floor) @ coef, dividing the product's rows rather than the entries.
    `counts` is spent: its entries become the weights (it is a product made for this call)."""
    counts.data = _weights(counts, idf)
    norms = np.maximum(np.maximum(_lengths(counts.data, counts.indptr), floor), 1e-12)
    return np.asarray(counts @ coef) / norms[:, None]


TOP_PASSAGES = 2  # passages averaged into the passage part of the score


@dataclass(frozen=True)
class Features:
    """Fitted featurizer: vectorizers with fixed vocabularies and their idf weights.

    Sentences are counted once; a document's or a passage's counts are sums of its
    sentences' counts (exact for character n-grams within words, and for words; only
    word pairs across a sentence end are lost, in training and scoring alike).
    """

    spec: FeatureSpec
    counter: Counter
    word_idf: np.ndarray
    char_idf: np.ndarray
    # Feature names, word block first (char names too): the counter's own key strings, so
    # they cost a list slot each (a fixed-width numpy array of them was 11 MB a process).
    names: list[str]
    floors: tuple[float, ...] = (0.0, 0.0)  # length floor per block (see tfidf)
    tagger: Tagger | None = None  # adds concept tokens to each sentence (spec.concepts)

    @property
    def n_word(self) -> int:
        return len(self.word_idf)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Document features only."""
        return self.both(layout(texts))[0]

    def prepare(self, sentence: str) -> str:
        """A sentence as it is counted: normalised, then its concept tokens."""
        text = normalise(sentence)
        return self.tagger.tag(text) if self.tagger else text

    def counts(self, lay: Layout) -> list[tuple[sp.csr_matrix, np.ndarray, float]]:
        """Per block: sentence counts, idf and block weight."""
        words, chars = self.counter.count([self.prepare(s) for s in lay.sentences])
        blocks = [(words, self.word_idf, 1.0)]
        if self.counter.n_chars:
            blocks.append((chars, self.char_idf, self.spec.char_weight))
        return blocks

    def blocks(self, lay: Layout) -> list[tuple[sp.csr_matrix, sp.csr_matrix]]:
        """Per block (words, then characters): its features of every document and of
        every passage of the layout, weighted."""
        out = []
        for (c, idf, w), floor in zip(self.counts(lay), self.floors, strict=False):
            docs, passages = tfidf(lay.docs @ c, idf, floor), tfidf(lay.passages @ c, idf, floor)
            docs.data *= w
            passages.data *= w
            out.append((docs, passages))
        return out

    def margins(self, lay: Layout, weights: Sequence[np.ndarray]
                ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """The word features of every document, and the margins (without intercept) of
        every document and passage for `weights` (one features x topics array per block).

        What `blocks` then a product gives, without building the normalised matrices
        that only feed the product: a row's length divides its product instead of its
        entries (scoring ~1.3x faster on the bench's texts)."""
        words: sp.csr_matrix | None = None
        doc: np.ndarray | float = 0.0
        pas: np.ndarray | float = 0.0
        for (c, idf, w), floor, coef in zip(self.counts(lay), self.floors, weights, strict=False):
            if words is None:  # the word block's documents are shown (explanations)
                words = tfidf(lay.docs @ c, idf, floor)
                words.data *= w
                doc = doc + words @ coef
            else:
                doc = doc + _margin(lay.docs @ c, idf, floor, coef) * w
            pas = pas + _margin(lay.passages @ c, idf, floor, coef) * w
        assert words is not None
        return words, np.asarray(doc), np.asarray(pas)

    def both(self, lay: Layout) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Features of every document and of every passage of the layout (blocks side by side)."""
        blocks = self.blocks(lay)
        return (sp.hstack([d for d, _ in blocks], format="csr"),
                sp.hstack([p for _, p in blocks], format="csr"))

    def fit_floors(self, lay: Layout) -> Features:
        """The same features with length floors learned from these passages."""
        floors = tuple(float(np.percentile(row_norms(weighted(lay.passages @ c, idf)),
                                           FLOOR_PERCENTILE))
                       for c, idf, _ in self.counts(lay))
        return replace(self, floors=floors)


# Lengths (words) the calibration is fitted on: the shortest and the longest training
# documents. A text outside counts as the nearest end: the fitted line is not extrapolated
# (an empty text scored 0.60 when it was, near the alert threshold).
CALIBRATED_WORDS = (4, 430)


def length_of(texts: Sequence[str]) -> np.ndarray:
    """log(1 + words) of each text, words within CALIBRATED_WORDS: what the length-aware
    calibration reads."""
    return log_length(np.fromiter((len(t.split()) for t in texts), dtype=np.float64, count=len(texts)))


def log_length(words: np.ndarray) -> np.ndarray:
    return np.log1p(np.clip(words, *CALIBRATED_WORDS))


def calibrated(margins: np.ndarray, lengths: np.ndarray, calib: np.ndarray) -> np.ndarray:
    """Probabilities from margins (documents x topics, or one topic's vector) and
    log(1 + words) per document: P = 1 / (1 + exp(a m + b + c L + d m L)) per topic, with
    calib rows (a, b) or (a, b, c, d) (length-aware calibration, monitor/model/train.py)."""
    calib = np.asarray(calib, dtype=np.float64)
    length = lengths[:, None] if margins.ndim == 2 else lengths
    z = margins * calib[..., 0] + calib[..., 1]
    if calib.shape[-1] == 4:
        z = z + length * (calib[..., 2] + margins * calib[..., 3])
    return 1.0 / (1.0 + np.exp(np.clip(z, -50, 50)))


def combine(doc_margins: np.ndarray, passage_margins: np.ndarray,
            starts: np.ndarray) -> np.ndarray:
    """Mean of the document margin and of its best passages' mean margin.

    A story about the topic has several passages about it; an article that names Russia
    or Turkey in one passing clause has at most one. (Measured on FA-KES: this raised
    average precision from 0.88 to 0.92 over the document margin alone.)
    """
    sizes = np.diff(starts)
    owner = np.repeat(np.arange(len(sizes)), sizes)
    last = starts[1:] - 1
    second = np.where(sizes >= TOP_PASSAGES, last - 1, last)  # one passage: it counts twice
    top = np.empty_like(doc_margins)
    for t in range(doc_margins.shape[1]):  # vectorised top-2 per document: sort by (doc, margin)
        ranked = passage_margins[np.lexsort((passage_margins[:, t], owner)), t]
        top[:, t] = (ranked[last] + ranked[second]) / 2
    return (doc_margins + top) / 2


def build_features(spec: FeatureSpec, word_names: Sequence[str], word_idf: np.ndarray,
                   char_names: Sequence[str], char_idf: np.ndarray,
                   floors: Sequence[float] = (0.0, 0.0)) -> Features:
    words = {str(t): i for i, t in enumerate(word_names)}
    chars = {str(t): i for i, t in enumerate(char_names)}
    counter = Counter(words, spec.word_ngrams, chars, spec.char_ngrams)
    names = [*words, *chars]  # dicts keep insertion order: the index order
    tagger = Tagger(spec.concepts) if spec.concepts else None
    return Features(spec, counter, word_idf, char_idf, names, tuple(floors), tagger)
