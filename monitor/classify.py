"""Score documents for every topic with the trained linear model, and say why.

The model file (`models/topics.skops`) holds only plain values: numpy arrays of numbers
and strings, and one JSON string of metadata. It is read with skops with nothing but
builtin and numpy types trusted, so loading runs no code from the file. Scoring is pure:
TF-IDF features (word and character n-grams, rebuilt here from the stored vocabularies
and idf weights), one linear model per topic, a sigmoid that calibrates the margin into a
probability, and the terms whose weight times feature value raised the margin most.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from monitor.errors import ModelError
from monitor.items import TopicScore

FORMAT = "monitor-topics/1"
"""Written into every model file; a file with another format is refused."""

TRUSTED = ["builtins.dict", "builtins.list", "builtins.str", "numpy.ndarray", "numpy.dtype"]
"""The only types skops may build when it reads a model file: plain containers and arrays."""

_APOSTROPHES = re.compile(r"['’`]")


def normalise(text: str) -> str:
    """Lower-case, drop accents and apostrophes: Erdoğan = Erdogan, Syria's = Syrias.

    Feeds and scrapers differ in exactly these, so features must not.
    """
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _APOSTROPHES.sub("", text.replace("ı", "i"))


@dataclass(frozen=True)
class FeatureSpec:
    """How text becomes features; stored in the model so scoring matches training."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)
    char_weight: float = 1.0  # scale of the char block relative to the word block

    def vectorizers(self, word_vocab: Any = None, char_vocab: Any = None,
                    min_df: int = 1, max_char: int | None = None,
                    ) -> tuple[CountVectorizer, CountVectorizer | None]:
        word = CountVectorizer(preprocessor=normalise, ngram_range=self.word_ngrams,
                               vocabulary=word_vocab, min_df=min_df, dtype=np.float64)
        if self.char_ngrams[1] == 0:
            return word, None
        char = CountVectorizer(preprocessor=normalise, analyzer="char_wb",
                               ngram_range=self.char_ngrams, vocabulary=char_vocab,
                               min_df=min_df, max_features=max_char, dtype=np.float64)
        return word, char


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times idf, rows scaled to unit length (as TfidfVectorizer does)."""
    counts = counts.tocsr(copy=True)
    np.log(counts.data, out=counts.data)
    counts.data += 1.0
    return normalize(counts @ sp.diags(idf), copy=False)


@dataclass(frozen=True)
class Features:
    """Fitted featurizer: vectorizers with fixed vocabularies and their idf weights."""

    spec: FeatureSpec
    word: CountVectorizer
    word_idf: np.ndarray
    char: CountVectorizer | None
    char_idf: np.ndarray
    names: np.ndarray  # feature names, word block first; char names are kept too

    @property
    def n_word(self) -> int:
        return len(self.word_idf)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks = [tfidf(self.word.transform(texts), self.word_idf)]
        if self.char is not None:
            blocks.append(tfidf(self.char.transform(texts), self.char_idf) * self.spec.char_weight)
        return sp.hstack(blocks, format="csr")


def build_features(spec: FeatureSpec, word_names: np.ndarray, word_idf: np.ndarray,
                   char_names: np.ndarray, char_idf: np.ndarray) -> Features:
    word_vocab = {str(t): i for i, t in enumerate(word_names)}
    char_vocab = {str(t): i for i, t in enumerate(char_names)} if len(char_names) else None
    word, char = spec.vectorizers(word_vocab, char_vocab)
    names = np.concatenate([word_names.astype(str), char_names.astype(str)])
    return Features(spec, word, word_idf, char if char_vocab else None, char_idf, names)


class Classifier:
    """A loaded topic model: features, per-topic weights and calibration, metadata."""

    def __init__(self, features: Features, coef: np.ndarray, intercept: np.ndarray,
                 calib: np.ndarray, metadata: dict[str, Any], path: Path | None = None):
        self.features = features
        self.coef = coef  # (topics, features)
        self.intercept = intercept  # (topics,)
        self.calib = calib  # (topics, 2): P = 1 / (1 + exp(a * margin + b))
        self.metadata = metadata
        self.topics: tuple[str, ...] = tuple(metadata["topics"])
        self.version: str = str(metadata["version"])
        self.path = path

    @classmethod
    def load(cls, path: Path) -> Classifier:
        state = _read_state(Path(path))
        try:
            meta = json.loads(str(state["metadata"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
            spec = FeatureSpec(tuple(meta["spec"]["word_ngrams"]),  # type: ignore[arg-type]
                               tuple(meta["spec"]["char_ngrams"]),  # type: ignore[arg-type]
                               float(meta["spec"]["char_weight"]))
            features = build_features(spec, state["word_names"], state["word_idf"],
                                      state["char_names"], state["char_idf"])
            coef, intercept, calib = state["coef"], state["intercept"], state["calib"]
            if coef.shape != (len(meta["topics"]), len(features.names)):
                raise ValueError(f"weights of shape {coef.shape} do not match the features")
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelError(f"{path}: not a valid topic model: {exc}") from exc
        return cls(features, coef.astype(np.float64), intercept, calib, meta, Path(path))

    def require(self, topics: Iterable[str]) -> None:
        """Refuse to run with settings that name a topic this model cannot score."""
        for topic in topics:
            if topic not in self.topics:
                raise ModelError(f"{self.path or 'model'}: model lacks topic {topic!r} "
                                 f"(has: {', '.join(self.topics)})")

    def margins(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Features and raw linear margins (documents x topics)."""
        x = self.features.transform(list(texts))
        return x, np.asarray(x @ self.coef.T) + self.intercept

    def probabilities(self, margins: np.ndarray) -> np.ndarray:
        z = margins * self.calib[:, 0] + self.calib[:, 1]
        return 1.0 / (1.0 + np.exp(np.clip(z, -50, 50)))

    def score(self, texts: Sequence[str], explain: bool = True,
              n_terms: int = 5) -> list[dict[str, TopicScore]]:
        """Every topic's calibrated probability for each text, with the terms that raised it."""
        if not texts:
            return []
        x, margins = self.margins(texts)
        probs = self.probabilities(margins)
        out: list[dict[str, TopicScore]] = []
        for i in range(len(texts)):
            row = x[i] if explain else None
            out.append({topic: TopicScore(topic, float(probs[i, t]),
                                          self._terms(row, t, n_terms) if row is not None else ())
                        for t, topic in enumerate(self.topics)})
        return out

    def _terms(self, row: sp.csr_matrix, topic: int, n: int) -> tuple[str, ...]:
        """Word features whose weight x value pushed this topic's margin up most.

        Character n-grams also carry weight but mean nothing to a reader, so only word
        n-grams are named.
        """
        words = row.indices < self.features.n_word
        idx, val = row.indices[words], row.data[words]
        contrib = self.coef[topic, idx] * val
        keep = contrib > 0
        idx, contrib = idx[keep], contrib[keep]
        order = np.argsort(-contrib, kind="stable")[:n]
        return tuple(str(self.features.names[j]) for j in idx[order])


def _read_state(path: Path) -> dict[str, Any]:
    """Read the model file with skops, trusting only plain containers and arrays."""
    import skops.io as sio

    if not path.is_file():
        raise ModelError(f"{path}: model file not found (run `monitor train`)")
    try:
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED]
        if untrusted:
            raise ModelError(f"{path}: refusing to load, it holds untrusted types "
                             f"{', '.join(untrusted)}")
        state = sio.load(path, trusted=TRUSTED)
    except ModelError:
        raise
    except (OSError, zipfile.BadZipFile, ValueError, TypeError, KeyError) as exc:
        raise ModelError(f"{path}: cannot read model file: {exc}") from exc
    if not isinstance(state, dict):
        raise ModelError(f"{path}: not a topic model (top level is not a dict)")
    return state
