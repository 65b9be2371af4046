"""Train the topic model from labelled JSON lines and write it with its metrics.

    monitor train [--with FILE ...] [--out models/topics.skops]

Each input line is `{"text": "...", "topics": ["turkey_russia_syria"]}`; a document is a
negative for every topic it does not list (a line with `"only": [...]` speaks for those
topics alone: label feedback on one alert's topic). Per topic: logistic regression on TF-IDF word
and character n-grams, calibrated with a sigmoid fitted on held-out folds
(CalibratedClassifierCV, ensemble=False, so one linear model and one sigmoid remain), then
k-fold cross-validated precision and recall at each threshold, stored in the model.
Everything is seeded, so the same data gives the same model.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from monitor.errors import InputError
from monitor.model import surface
from monitor.model.classify import FORMAT, Classifier
from monitor.model.concepts import Lexicon, Tagger, read_lexicon
from monitor.model.dataset import Dataset, check_positives, parse_row, read_data, text_lines
from monitor.model.features import (
    Features,
    FeatureSpec,
    build_features,
    calibrated,
    combine,
    length_of,
)
from monitor.model.layout import layout, sentences
from monitor.model.lead import Lead
from monitor.model.modelfile import write
from monitor.model.thresholds import RECALL_FLOOR, THRESHOLDS, topic_metrics
from monitor.normalise import normalise

__all__ = ["RECALL_FLOOR", "THRESHOLDS", "Dataset", "TrainReport", "check_positives", "parse_row", "read_data",
           "text_lines", "train"]

DEFAULT_DATA = Path("models/train.jsonl")
DEFAULT_CONCEPTS = Path("models/concepts.toml")
SEED = 0
C = 30.0  # inverse regularisation of the logistic regression, chosen by measurement
MIN_DF = 2  # an n-gram seen in one document only is noise
MAX_CHAR = 150_000  # caps the model size and the scoring cost
# Shuffles of the cross-validation folds. The sigmoid is fitted on the out-of-fold margins
# of all of them: fitted on one, it was as much the luck of which kinds share a fold as the
# data (six shuffles of the same data: FA-KES full-text precision at 0.60 0.80-0.86,
# iran_nuclear CV AP 0.66-0.93; models/HISTORY.md, "The sigmoid on three draws of the folds").
REPEATS = 3
# How the model is learnt, in its version: change it with the method. "2": the word
# vocabulary is learnt within sentences (features.FeatureSpec.word_vectorizer); "3": the
# folds keep each language's label proportions (strata), in REPEATS shuffles; "4": a long
# text's lead is blended into its score (monitor/model/lead.py, stored in the metadata).
METHOD = "4"


@dataclass(frozen=True)
class TrainReport:
    path: Path
    metadata: dict[str, Any]
    seconds: float
    size_bytes: int


def language_balance(y: np.ndarray, langs: list[str | None]) -> np.ndarray:
    """Per-document weights that give each other language's positives the reference
    language's odds for the topic. Without them a language's own rate is a prior the model
    learns from its words: Arabic documents 8 % on turkey_russia_syria against English 29 %
    scored Arabic stories lower for being Arabic (held-out Arabic recall 8/10 -> 5/10), and
    one sigmoid for every language cannot see it. Weights only positives, never to 0."""
    weights = np.ones(len(y))
    tags = np.array([lang or "" for lang in langs])
    ref = tags == ""
    ref_pos, ref_neg = int((y[ref] == 1).sum()), int((y[ref] == 0).sum())
    for lang in set(tags[~ref]) if ref_pos and ref_neg else ():
        pos, neg = (tags == lang) & (y == 1), (tags == lang) & (y == 0)
        if pos.any() and neg.any():
            weights[pos] = ref_pos / ref_neg * neg.sum() / pos.sum()
    return weights


def fit_features(texts: list[str], spec: FeatureSpec) -> Features:
    """Learn the vocabularies and smoothed idf weights (as TfidfVectorizer does), from the
    texts as scoring counts them: a headline without its feed label (surface.bare)."""
    tagger = Tagger(spec.concepts) if spec.concepts else None
    normalised = ["\n".join(tagger.tag(normalise(s)) for s in sentences(surface.bare(t))) if tagger
                  else normalise(surface.bare(t)) for t in texts]
    fitters = [spec.word_vectorizer(min_df=MIN_DF)]
    if spec.char_ngrams[1]:
        fitters.append(spec.char_fitter(MIN_DF, MAX_CHAR))
    fitted = []
    for fitter in fitters:
        counts = fitter.fit_transform(normalised).tocsc()
        df = np.diff(counts.indptr)  # documents in which each n-gram occurs
        idf = np.log((1 + len(texts)) / (1 + df)) + 1.0
        fitted.append((fitter.get_feature_names_out().astype(str).tolist(), idf))
    char_names, char_idf = fitted[1] if len(fitted) > 1 else ([], np.array([]))
    features = build_features(spec, fitted[0][0], fitted[0][1], char_names, char_idf)
    return features.fit_floors(layout(texts))


def linear(c: float) -> LogisticRegression:
    # liblinear's dual solver: exact, seeded, and ~5x faster than the primal here
    return LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=2000,
                              random_state=SEED)


def oof_margins(xd: sp.csr_matrix, xp: sp.csr_matrix, starts: np.ndarray, y: np.ndarray,
                groups: list[str], folds: int, c: float, weight: np.ndarray | None = None,
                langs: list[str | None] | None = None) -> np.ndarray:
    """Out-of-fold combined (document + passage) margins for one topic: one row per
    shuffle of the folds (REPEATS)."""
    out = np.zeros((REPEATS, len(y)))
    if not grouped(groups, y, folds):  # too few kinds to hold whole ones out
        groups = [f"{g}#{i}" for i, g in enumerate(groups)]
    kept = strata(y, langs, folds)  # the same for every shuffle
    for run in range(REPEATS):
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=SEED + run)
        for train_idx, test_idx in splitter.split(np.zeros(len(y)), kept, groups):
            model = linear(c).fit(xd[train_idx], y[train_idx],
                                  sample_weight=None if weight is None else weight[train_idx])
            coef, b = model.coef_[0], model.intercept_[0]
            combined = combine((xd @ coef + b)[:, None], (xp @ coef + b)[:, None], starts)[:, 0]
            out[run, test_idx] = combined[test_idx]
    return out


def strata(y: np.ndarray, langs: list[str | None] | None, folds: int = 5) -> np.ndarray:
    """What the folds keep in proportion: the label within each language. Stratified on the
    label alone, a fold could take every on-topic kind of one language (iran_nuclear has two
    in Arabic): its model then had never seen the topic in that language, those held-out
    margins were a new language's, not a new story's, and the sigmoid fitted on them went
    flat (adding two English kinds reshuffled the folds so: iran_nuclear CV AP 0.931 -> 0.693,
    its held-out Turkish recall at 0.95 15 -> 10 of 16). A language with fewer documents of
    a label than there are folds joins the label's largest stratum (it cannot be spread)."""
    if langs is None:
        return y
    names = sorted({lang or "" for lang in langs})
    codes = {lang: i for i, lang in enumerate(names)}
    out = y * len(names) + np.array([codes[lang or ""] for lang in langs])
    values, counts = np.unique(out, return_counts=True)
    for label in np.unique(y):
        mine = values // len(names) == label
        largest = values[mine][np.argmax(counts[mine])]
        for value in values[mine & (counts < folds)]:
            out[out == value] = largest
    return out


def grouped(groups: list[str], y: np.ndarray, folds: int) -> bool:
    """Whether the positives come from enough groups for group-wise folds."""
    return len({g for g, label in zip(groups, y, strict=True) if label}) >= folds


def platt(margins: np.ndarray, y: np.ndarray,
          lengths: np.ndarray) -> tuple[float, float, float, float]:
    """Length-aware sigmoid calibration (a, b, c, d): P = 1 / (1 + exp(z)) with
    z = a * margin + b + c * L + d * margin * L, L = log(1 + words) (features.length_of),
    fitted on held-out margins. With c = d = 0 this is Platt scaling as
    CalibratedClassifierCV(method="sigmoid", ensemble=False) does it; the length terms let
    a headline's margin and an article's margin mean the same probability, which one
    sigmoid for every length cannot (a headline carries less evidence, so its margins are
    smaller for the same certainty)."""
    x = np.column_stack([margins, lengths, margins * lengths])
    fit = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000).fit(x, y)
    a, c, d = (-float(v) for v in fit.coef_[0])
    return a, -float(fit.intercept_[0]), c, d


def fit_topic(xd: sp.csr_matrix, xp: sp.csr_matrix, starts: np.ndarray, y: np.ndarray,
              groups: list[str], folds: int, lengths: np.ndarray,
              c: float = C, calibrate: np.ndarray | None = None, weight: np.ndarray | None = None,
              langs: list[str | None] | None = None) -> tuple[np.ndarray, float, tuple[float, ...], np.ndarray]:
    """One topic: weights and intercept on all data, sigmoid fitted on out-of-fold
    margins (of the documents marked `calibrate`, default all) of every shuffle of the
    folds, and the out-of-fold probabilities averaged over the shuffles (the
    cross-validated evidence).

    Documents with `"calibrate": false` train the weights only: for a kind whose fold would
    hold out a language the model then has never seen (the first Turkish, Russian and Arabic
    kinds, one or two per label and language, were so until 2026-11-29: fitted in, they
    moved the English sigmoid, FA-KES full text precision 0.86 -> 0.73). With seven
    turkey_russia_syria kinds per language every document fits it, and fitted out they let
    the English scale drift (first-sentence recall 0.784 -> 0.730; models/HISTORY.md, "Every
    topic in every language"). Since then the earthquake and Libya/Karabakh look-alikes train
    the weights only: the quake's 432 hard negatives in the fit took FA-KES first-sentence
    recall at 0.60 from 57 to 55 of 74 (models/HISTORY.md, "The 2023 earthquake")."""
    held_out = oof_margins(xd, xp, starts, y, groups, folds, c, weight, langs)
    fit = (np.ones(len(y), dtype=bool) if calibrate is None else calibrate) & (weight is None or weight > 0)
    runs = len(held_out)  # every shuffle's margins fit the one sigmoid
    calib = platt(held_out[:, fit].ravel(), np.tile(y[fit], runs), np.tile(lengths[fit], runs))
    model = linear(c).fit(xd, y, sample_weight=weight)
    probs = np.mean([calibrated(margins, lengths, np.array(calib)) for margins in held_out], axis=0)
    return model.coef_[0], float(model.intercept_[0]), calib, probs


def train(data_paths: list[Path], out: Path, spec: FeatureSpec | None = None,
          folds: int = 5, trained: str | None = None, c: float = C) -> TrainReport:
    """Train on the files, cross-validate, write the model to `out`, return the report."""
    started = time.perf_counter()
    if Path(out).is_dir():  # before training, which takes minutes
        raise InputError(f"{out}: is a folder; name the model file to write")
    data = read_data(data_paths)
    check_positives(data, folds)
    spec = spec or FeatureSpec(concepts=lexicon_beside(data_paths[0]))
    features = fit_features(data.texts, spec)
    lay = layout(data.texts)
    xd, xp = features.both(lay)
    lengths = length_of(data.texts)
    coefs, intercepts, calib, metrics = [], [], [], {}
    for topic in data.topics:
        y = np.array([topic in labels for labels in data.labels], dtype=int)
        said = np.array([o is None or topic in o for o in data.only])  # else silent on it
        weight = said * language_balance(y, data.langs)
        coef, intercept, ab, probs = fit_topic(xd, xp, lay.starts, y, data.groups, folds,
                                               lengths, c, data.calibrate, weight, data.langs)
        coefs.append(coef)
        intercepts.append(intercept)
        calib.append(ab)
        metrics[topic] = topic_metrics(y[said], probs[said]) | {"grouped": grouped(data.groups, y, folds)}
    trained = trained or datetime.now(UTC).date().isoformat()
    digest = inputs_digest(data.digest, spec)
    metadata = {"format": FORMAT, "topics": list(data.topics), "data_sha256": digest,
                "data_files": [Path(p).name for p in data_paths], "trained": trained,
                "version": f"{digest[:12]}-{trained.replace('-', '')}",
                "spec": {"word_ngrams": list(spec.word_ngrams),
                         "char_ngrams": list(spec.char_ngrams), "char_weight": spec.char_weight,
                         "concepts": {name: list(forms) for name, forms in spec.concepts}},
                "model": {"kind": "logistic regression + sigmoid calibration", "C": c,
                          "cv_folds": folds, "cv_repeats": REPEATS, "min_df": MIN_DF, "max_char_features": MAX_CHAR},
                "cv": metrics, "lead": Lead().as_json()}
    state = {"metadata": json.dumps(metadata, sort_keys=True),
             "word_names": np.array(features.names[:features.n_word], dtype=str),
             "word_idf": features.word_idf,
             "char_names": np.array(features.names[features.n_word:], dtype=str),
             "char_idf": features.char_idf,
             "coef": np.array(coefs, dtype=np.float32), "intercept": np.array(intercepts),
             "calib": np.array(calib), "floors": np.array(features.floors)}
    size = write(state, Path(out), Classifier.load)
    return TrainReport(Path(out), metadata, time.perf_counter() - started, size)


def inputs_digest(data_digest: str, spec: FeatureSpec) -> str:
    """A digest of the training data, the concept lexicon, the training method, the
    lead's say in a score and the labels and outlets dropped from a headline: a lexicon
    edit, a new label, or a change in how features are learnt or texts scored, retrains into
    another model, which must not share its version (the scoring workers keep a model by
    its version)."""
    lexicon = json.dumps([[name, list(forms)] for name, forms in spec.concepts])
    lead = json.dumps(Lead().as_json(), sort_keys=True)
    dropped = json.dumps([surface.LABELS, surface.OUTLETS])
    return hashlib.sha256(f"{data_digest}\n{METHOD}\n{lexicon}\n{lead}\n{dropped}".encode()).hexdigest()


def lexicon_beside(data: Path) -> Lexicon:
    """The concept lexicon in the training data's folder (models/concepts.toml), if any."""
    path = Path(data).parent / DEFAULT_CONCEPTS.name
    return read_lexicon(path) if path.is_file() else ()
