"""Training on a small slice of the project's own training data: determinism, refusal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.model_selection import StratifiedGroupKFold

from monitor.cli.analysis import format_report
from monitor.errors import InputError
from monitor.model import surface
from monitor.model import train as train_module
from monitor.model.classify import TRUSTED, Classifier
from monitor.model.concepts import read_lexicon
from monitor.model.features import FeatureSpec
from monitor.model.layout import layout
from monitor.model.lead import Lead
from monitor.model.train import THRESHOLDS, fit_features, inputs_digest, train

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "models" / "train.jsonl"


def every(step: int, tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = DATA.read_text(encoding="utf-8").splitlines()[::step]
    path = tmp_path_factory.mktemp("data") / f"every{step}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every 12th line of models/train.jsonl: all kinds, a few hundred documents."""
    return every(12, tmp_path_factory)


@pytest.fixture(scope="module")
def smaller(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every 24th line: all kinds still, about 230 documents; enough to show that two
    trainings agree, in half the time."""
    return every(24, tmp_path_factory)


@pytest.mark.slow
def test_training_is_deterministic(smaller: Path, tmp_path: Path) -> None:
    a = train([smaller], tmp_path / "a.skops", folds=3, trained="2026-01-01")
    b = train([smaller], tmp_path / "b.skops", folds=3, trained="2026-01-01")
    assert a.metadata == b.metadata
    state_a = sio.load(a.path, trusted=TRUSTED)
    state_b = sio.load(b.path, trusted=TRUSTED)
    for key in state_a:
        if isinstance(state_a[key], np.ndarray):
            assert np.array_equal(state_a[key], state_b[key]), key
    texts = [json.loads(line)["text"] for line in smaller.read_text().splitlines()[:20]]
    scores_a = Classifier.load(a.path).score(texts)
    scores_b = Classifier.load(b.path).score(texts)
    assert scores_a == scores_b


@pytest.mark.slow
def test_trained_model_carries_metadata_and_learns(small: Path, tmp_path: Path) -> None:
    report = train([small], tmp_path / "m.skops", folds=3, trained="2026-01-01")
    meta = report.metadata
    assert meta["version"].endswith("-20260101") and meta["trained"] == "2026-01-01"
    assert "turkey_russia_syria" in meta["topics"]
    table = meta["cv"]["turkey_russia_syria"]["thresholds"]
    assert tuple(r["threshold"] for r in table) == THRESHOLDS
    recalls = [r["recall"] for r in table]
    assert recalls == sorted(recalls, reverse=True)  # a higher threshold never finds more
    model = Classifier.load(report.path)
    on = "Russian jets bombed Idlib as Erdogan and Putin discussed the Turkish posts there."
    off = "The central bank left interest rates unchanged on Thursday."
    scores = model.score([on, off])
    assert scores[0]["turkey_russia_syria"].score > scores[1]["turkey_russia_syria"].score
    assert "turkey_russia_syria" in format_report(report)


def test_every_word_feature_is_one_that_scoring_counts(smaller: Path) -> None:
    # The vocabulary was once learnt from whole documents, so it held pairs across a
    # sentence's end ("_c_russia_turkey the") that scoring, which counts within sentences,
    # never sees: 13 % of the shipped model's word features.
    rows = [json.loads(line) for line in smaller.read_text(encoding="utf-8").splitlines()]
    texts = [row["text"] for row in rows]
    features = fit_features(texts, FeatureSpec(concepts=read_lexicon(ROOT / "models" / "concepts.toml")))
    docs, _ = features.both(layout(texts))
    counted = np.asarray((docs[:, :features.n_word] != 0).sum(axis=0)).ravel()
    never = [name for name, n in zip(features.names, counted, strict=False) if n == 0]
    assert features.n_word > 1000 and never == []


def test_a_change_of_method_is_a_new_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # the scoring workers keep a model by its version: a model retrained by other code from
    # the same data must not share the old one's
    spec = FeatureSpec(concepts=read_lexicon(ROOT / "models" / "concepts.toml"))
    before = inputs_digest("data", spec)
    monkeypatch.setattr(train_module, "METHOD", "next")
    assert inputs_digest("data", spec) != before
    assert inputs_digest("data", FeatureSpec()) != inputs_digest("data", spec)
    method = inputs_digest("data", spec)  # the lead's say in a score (monitor/model/lead.py)
    monkeypatch.setattr(train_module, "Lead", lambda: Lead(raise_=Lead().raise_ / 2))
    assert inputs_digest("data", spec) != method
    lead = inputs_digest("data", spec)  # a label dropped from headlines (monitor/model/surface.py)
    monkeypatch.setattr(surface, "LABELS", (*surface.LABELS, "flash"))
    assert inputs_digest("data", spec) != lead


def test_bad_training_line_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine", "topics": ["a"]}\n{"text": 3, "topics": []}\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        train([bad], tmp_path / "m.skops")
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n")
    with pytest.raises(InputError, match=r"broken\.jsonl:1: not JSON"):
        train([broken], tmp_path / "m.skops")
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"text": "x", "topics": []}\n')
    with pytest.raises(InputError, match="no labelled positives"):
        train([empty], tmp_path / "m.skops")


def test_folds_spread_a_languages_on_topic_kinds() -> None:
    # Two Arabic on-topic kinds among 20 English ones: stratified on the label alone, some
    # shuffles put both Arabic kinds in one fold, whose model has then never seen the topic
    # in Arabic; stratified on the label within each language, none does.
    kinds = [(f"en{k}", None, 1) for k in range(20)] + [(f"en_neg{k}", None, 0) for k in range(40)] \
        + [("ar_a", "ar", 1), ("ar_b", "ar", 1)] + [(f"ar_neg{k}", "ar", 0) for k in range(6)]
    groups = [name for name, _, _ in kinds for _ in range(10)]
    langs = [lang for _, lang, _ in kinds for _ in range(10)]
    y = np.array([label for _, _, label in kinds for _ in range(10)])

    def together(strata: np.ndarray, seed: int) -> bool:
        splitter = StratifiedGroupKFold(5, shuffle=True, random_state=seed)
        return any({"ar_a", "ar_b"} <= {groups[i] for i in test}
                   for _, test in splitter.split(np.zeros(len(y)), strata, groups))

    assert any(together(y, seed) for seed in range(20))
    assert not any(together(train_module.strata(y, langs), seed) for seed in range(20))


def test_a_language_with_fewer_documents_of_a_label_than_folds_joins_its_largest_stratum() -> None:
    # scikit-learn warns of (and cannot spread) a stratum smaller than the folds: a few
    # Arabic positives in a small --with file or a slice of the data
    y = np.array([1] * 10 + [0] * 10 + [1] * 2 + [0] * 6)
    langs: list[str | None] = [None] * 20 + ["ar"] * 8
    got = train_module.strata(y, langs, folds=5)
    assert got[20] == got[21] == got[0]  # with the English positives
    assert len(set(got[:10])) == 1 and len(set(got[10:20])) == 1 and len(set(got[22:])) == 1
    assert len(set(got)) == 3  # English positives, English negatives, Arabic negatives
