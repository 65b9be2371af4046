"""Score documents for every topic with the trained linear model, and say why.

The model file (`models/topics.skops`) holds only plain values: numpy arrays of numbers
and strings, and one JSON string of metadata. It is written with skops and read here
with json and numpy (no pickle), after a check that it holds nothing but builtin and numpy
types, so loading runs no code from the file. Scoring is pure:
TF-IDF features (word and character n-grams and concept tokens, rebuilt here from the
stored vocabularies, idf weights and concept lexicon), one linear model per topic, a
sigmoid that calibrates the margin and the text's length into a probability, and the
terms whose weight times feature value raised the margin most.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from monitor.defaults import TERMS_SHOWN
from monitor.errors import ModelError
from monitor.items import TopicScore
from monitor.model.concepts import MARK, label, named_in
from monitor.model.lead import Lead, blend
from monitor.model.modelfile import TRUSTED as TRUSTED  # re-exported: tests read files with skops
from monitor.model.modelfile import Header, metadata_of, read_state, snapshot

if TYPE_CHECKING:
    import scipy.sparse as sp

    from monitor.model.features import Features
    from monitor.model.layout import Layout

# The features module (and scipy.sparse under it, ~37 MB and 0.12 s) is imported where a
# model is loaded or scores, not where one is only named: the service's own process holds a
# lazily loaded model (load_lazily) and scores in worker processes.

FORMAT = "monitor-topics/1"
"""Written into every model file; a file with another format is refused."""

FALLBACK_THRESHOLD = 0.5
"""The threshold of a topic the model suggests none for (settings.toml may set one)."""

CONCEPTS_SHOWN = 4  # concepts named in the one term that names them
EXPLAIN_MIN = 0.05  # below this score a topic's terms are not computed (see score)
CHUNK = 200  # texts per classifier pass (measured on the bench's texts: 200 at a time score
# as fast as 800, with a quarter of the memory: ~25 MB at the peak instead of ~100 MB)


class Classifier:
    """A loaded topic model: features, per-topic weights and calibration, metadata."""

    def __init__(self, features: Features, coef: np.ndarray, intercept: np.ndarray,
                 calib: np.ndarray, metadata: dict[str, Any], path: Path | None = None):
        self.features = features
        n_word = features.n_word  # the weights of each block, features x topics, contiguous:
        # the only copy of the weights kept (a model file stores them as float32)
        self._block_coef = [np.ascontiguousarray(coef[:, :n_word].T, dtype=np.float64),
                            np.ascontiguousarray(coef[:, n_word:].T, dtype=np.float64)]
        # concept tokens (_c_turkey) carry weight but are not words of the text: not named,
        # nor the pairs of a sentence's last word with the first of them ("syria _c_russia");
        # the concepts they stand for are named together, as one term (see _terms)
        self._readable = np.fromiter((MARK not in name for name in features.names[:n_word]),
                                     dtype=bool, count=n_word)
        self._named = {int(j): named for j in np.flatnonzero(~self._readable)
                       if (named := named_in(features.names[j]))}
        self.intercept = intercept  # (topics,)
        self.calib = calib  # (topics, 2 or 4): see calibrated
        self.metadata = metadata
        self.lead = Lead.from_json(metadata.get("lead"))  # None: trained before leads counted
        self.topics: tuple[str, ...] = tuple(metadata["topics"])
        self.version: str = str(metadata["version"])
        self.path = path
        self.source = path  # the file as named in the settings (path: a private copy, _Lazy)

    @classmethod
    def load(cls, path: Path) -> Classifier:
        # refuses a file that is not a model before reading its arrays; the names as lists
        state = read_state(Path(path), _check_shapes, as_lists=("word_names", "char_names"))
        try:
            meta = metadata_of(str(state["metadata"]))
            from monitor.model.features import FeatureSpec, build_features
            spec = FeatureSpec(tuple(meta["spec"]["word_ngrams"]),
                               tuple(meta["spec"]["char_ngrams"]),
                               float(meta["spec"]["char_weight"]),
                               tuple((str(k), tuple(map(str, v)))  # concept lexicon, if any
                                     for k, v in meta["spec"].get("concepts", {}).items()))
            # popped: the lists are freed once the vocabularies hold their strings
            _check_values(spec.char_ngrams, state)
            features = build_features(spec, state.pop("word_names"), state["word_idf"],
                                      state.pop("char_names"), state["char_idf"],
                                      state["floors"].tolist())
            return cls(features, state["coef"], state["intercept"], state["calib"], meta, Path(path))
        except (KeyError, ValueError, TypeError, AttributeError) as exc:  # a list where a table was
            raise ModelError(f"{path}: not a valid topic model: {exc}") from exc

    @property
    def coef(self) -> np.ndarray:
        """The weights, topics x features (rebuilt from the blocks: for tests and tools)."""
        return np.hstack([block.T for block in self._block_coef])

    @classmethod
    def load_lazily(cls, path: Path) -> Classifier:
        """The model's metadata now (the file checked as `load` checks it, from its JSON and
        its arrays' headers), its weights on first use, both from a copy of the file taken
        now. For a process that names the model but scores in worker processes: the
        service's own process would otherwise hold a second copy of the vocabularies (~50 MB
        with four languages) it never scores with."""
        return _Lazy(Path(path))

    def suggested_threshold(self, topic: str) -> float:
        """The threshold cross-validation suggested for a topic (FALLBACK_THRESHOLD if none)."""
        cv = self.metadata.get("cv", {}).get(topic, {})
        return float(cv.get("suggested_threshold", FALLBACK_THRESHOLD))

    def require(self, topics: Iterable[str]) -> None:
        """Refuse to run with settings that name a topic this model cannot score."""
        for topic in topics:
            if topic not in self.topics:
                raise ModelError(f"{self.source or 'model'}: model lacks topic {topic!r} "
                                 f"(has: {', '.join(self.topics)})")

    def margins(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Word features of the documents and combined document/passage margins
        (documents x topics), leads aside. Block by block: stacking the blocks first costs a copy."""
        from monitor.model.layout import layout
        return self._margins(layout(list(texts)))

    def _margins(self, lay: Layout) -> tuple[sp.csr_matrix, np.ndarray]:
        from monitor.model.features import combine
        words, doc, pas = self.features.margins(lay, self._block_coef)
        return words, combine(doc + self.intercept, pas + self.intercept, lay.starts)

    def probabilities(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Word features of the texts and their calibrated probabilities (texts x topics); a
        text longer than its lead moves toward the lead's probability (monitor/model/lead.py).
        A lead's sentences are the text's, counted once."""
        words, probs, _, _ = self._probabilities(texts)
        return words, probs

    def _probabilities(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
        """`probabilities`, and the two it drew on: the whole texts' own, and their leads'
        (NaN for a text that is its own lead)."""
        from monitor.model.features import calibrated, log_length
        from monitor.model.layout import layout
        lay = layout(list(texts), self.lead.words if self.lead else 0)
        words, margins = self._margins(lay)
        n = len(texts)
        sentence_words = np.fromiter((len(s.split()) for s in lay.sentences), dtype=np.float64,
                                     count=len(lay.sentences))
        lengths = log_length(lay.docs @ sentence_words)  # as features.length_of counts them
        whole = calibrated(margins[:n], lengths[:n], self.calib)
        lead = np.full_like(whole, np.nan)
        if self.lead is None or not len(lay.leads):
            return words[:n], whole, whole, lead
        lead[lay.leads] = calibrated(margins[n:], lengths[n:], self.calib)
        return words[:n], blend(whole, lay.leads, lead[lay.leads], self.lead), whole, lead

    def lead_parts(self, text: str) -> tuple[str, np.ndarray, np.ndarray] | None:
        """Why a long text scored as it did: its lead, the lead's probabilities and the
        whole text's before the lead had its say (per topic), as `score` drew on them; None
        when the text is its own lead or the model gives leads no say."""
        from monitor.model.lead import lead_of
        lead = lead_of(text, self.lead.words) if self.lead is not None else None
        if lead is None:
            return None
        _, _, whole, lead_probs = self._probabilities([text])
        return lead, lead_probs[0], whole[0]

    def score(self, texts: Sequence[str], explain: bool = True, n_terms: int = TERMS_SHOWN,
              explain_min: float = EXPLAIN_MIN) -> list[dict[str, TopicScore]]:
        """Every topic's calibrated probability for each text, with the terms that raised it.

        Terms are computed only where the score reaches `explain_min`: nobody reads why
        a sports story is not about Syria, and skipping them keeps scoring fast. Texts are
        scored CHUNK at a time: as fast as larger batches, and memory stays bounded.
        """
        out: list[dict[str, TopicScore]] = []
        for start in range(0, len(texts), CHUNK):
            out += self._score(texts[start:start + CHUNK], explain, n_terms, explain_min)
        return out

    def _score(self, texts: Sequence[str], explain: bool, n_terms: int,
               explain_min: float) -> list[dict[str, TopicScore]]:
        x, probs, whole, lead = self._probabilities(texts)
        # Python floats, read once: the same values, without a numpy scalar per look-up
        p_rows, w_rows, l_rows, topics = probs.tolist(), whole.tolist(), lead.tolist(), list(enumerate(self.topics))
        out: list[dict[str, TopicScore]] = []
        for i, p_row in enumerate(p_rows):
            if not explain or max(p_row) < explain_min:  # most texts: no topic explained (a NaN: each tested)
                out.append({topic: TopicScore(topic, p_row[t], ()) for t, topic in topics})
                continue
            idx, val = (a[x.indptr[i]:x.indptr[i + 1]] for a in (x.indices, x.data))
            out.append({topic: TopicScore(topic, p_row[t],
                                          _with_lead(self._terms(idx, val, t, n_terms), l_rows[i][t],
                                                     w_rows[i][t], n_terms)
                                          if p_row[t] >= explain_min else ())
                        for t, topic in topics})
        return out

    def _terms(self, idx: np.ndarray, val: np.ndarray, topic: int, n: int) -> tuple[str, ...]:
        """The terms whose weight x value (`idx`, `val`: a document's word features) pushed
        this topic's margin up most. Character n-grams carry weight too but mean nothing to a
        reader. Concept tokens are named together as one term, "[Northwest + Turkey]": the
        concepts their positive weight came from, strongest first, ranked by its sum. In a
        Russian or Arabic item that term is often most of the reason, and an analyst who
        does not read the language can read it.
        """
        contrib = self._block_coef[0][idx, topic] * val  # idx: word features
        up = contrib > 0
        words = np.flatnonzero(up & self._readable[idx])
        words = words[np.argsort(-contrib[words], kind="stable")[:n]]
        terms = [(float(contrib[k]), self.features.names[idx[k]]) for k in words]
        share: dict[str, float] = {}
        for k in np.flatnonzero(up & ~self._readable[idx]):
            for name in (named := self._named.get(int(idx[k]), ())):
                share[name] = share.get(name, 0.0) + float(contrib[k]) / len(named)
        if share:
            ranked = sorted(share, key=lambda name: -share[name])[:CONCEPTS_SHOWN]
            terms.append((sum(share.values()), label(ranked)))
        terms.sort(key=lambda term: -term[0])  # stable: a tie keeps the words' order
        return tuple(term for _, term in terms[:n])


LEAD_SHOWN = 0.05  # a lead that scores this much above its whole text is named among the terms


def _with_lead(terms: tuple[str, ...], lead: float, whole: float, n: int) -> tuple[str, ...]:
    """The terms, first "[lead 0.93]" when a long text's lead raised its score (lead.py):
    a reader of the alert sees why it scored above what its words alone give."""
    if not lead >= whole + LEAD_SHOWN:  # NaN: the text is its own lead
        return terms
    return (f"[lead {lead:.2f}]", *terms[:n - 1])


class _Lazy(Classifier):
    """A Classifier whose weights are read when something first asks for them, from a
    private copy of its file (modelfile.snapshot): the copy is what worker processes load."""

    def __init__(self, path: Path) -> None:  # the parent's weights are not set: see __getattr__
        copy = snapshot(path, self)  # removed once this model is gone (refused, or replaced by a reload)
        try:
            meta = metadata_of(str(read_state(copy, _check_shapes, arrays=False)["metadata"]))
        except ModelError as exc:  # named as the settings name it
            raise ModelError(str(exc).replace(str(copy), str(path))) from None
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelError(f"{path}: not a valid topic model: {exc}") from None
        self.metadata, self.path, self.source = meta, copy, path
        self.topics, self.version = tuple(meta["topics"]), str(meta["version"])

    def __getattr__(self, name: str) -> Any:  # called only for attributes not set yet
        if name.startswith("__") or "features" in self.__dict__:
            raise AttributeError(name)
        assert self.path is not None
        self.__dict__.update(vars(Classifier.load(self.path)) | {"source": self.source})
        return getattr(self, name)


CHAR_NGRAMS_MOST = 8  # the longest character n-gram a model may ask for (the shipped: 5)
NUMBERS = ("word_idf", "char_idf", "coef", "intercept", "calib", "floors")


def _check_values(char_ngrams: tuple[int, ...], state: dict[str, Any]) -> None:
    """ValueError for weights that are not all finite numbers (a NaN scored every text NaN,
    which is not below any threshold: every item alerted on every topic), or character
    n-grams past CHAR_NGRAMS_MOST (3,000 took 5.9 GB to score one long word)."""
    low, high = char_ngrams
    if (low, high) != (0, 0) and not 1 <= low <= high <= CHAR_NGRAMS_MOST:
        raise ValueError(f"character n-grams {char_ngrams}: expected 1 <= low <= high <= {CHAR_NGRAMS_MOST}")
    for key in NUMBERS:
        if not np.all(np.isfinite(state[key])):
            raise ValueError(f"{key} holds values that are not finite numbers")


def _check_shapes(values: dict[str, Any], arrays: dict[str, Header]) -> None:
    """Refuse a file whose arrays do not fit its metadata and each other, from their
    headers alone: the vocabularies and their weights agree, and there is one row of
    weights and calibration per topic of the metadata."""
    try:
        meta = json.loads(str(values["metadata"]))
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
        topics = len(meta["topics"])
        Lead.from_json(meta.get("lead"))
        words, chars = arrays["word_names"].shape[:1], arrays["char_names"].shape[:1]
        calib = 4 if arrays["calib"].shape[1:] == (4,) else 2  # (a, b) or length-aware (a, b, c, d)
        expected = {"word_names": words, "word_idf": words, "char_names": chars, "char_idf": chars,
                    "coef": (topics, sum(words + chars)), "intercept": (topics,), "calib": (topics, calib),
                    "floors": (2,)}
        for key, shape in expected.items():
            if arrays[key].shape != shape:
                raise ValueError(f"{key} has shape {arrays[key].shape}, expected {shape}")
        for key in NUMBERS:  # numbers, not strings (a text intercept failed every score)
            if arrays[key].dtype.kind != "f":
                raise ValueError(f"{key} holds {arrays[key].dtype}, expected floating-point numbers")
        str(meta["version"]), list(meta["spec"]["word_ngrams"]), list(meta["spec"]["char_ngrams"])
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ModelError(f"not a valid topic model: {exc}") from None
