"""Measure a loaded classifier on labelled JSON lines, at given per-topic thresholds.

Each line is `{"text": "...", "topics": [...]}`; a line is a negative for every topic it
does not list (an empty list: negative for all). Per topic: items, positives, confusion
counts, precision, recall, F1, false-positive rate at the threshold, and average precision
(threshold-free; undefined when the data holds no positive).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import average_precision_score

from monitor import classify
from monitor.classify import Classifier
from monitor.errors import InputError
from monitor.train import parse_line

if TYPE_CHECKING:
    from monitor.settings import Loaded

BATCH = 256  # documents scored at once: bounds memory on large files
FALLBACK_THRESHOLD = 0.5  # used for a topic neither settings nor the model give one for


def read_labelled(path: Path) -> tuple[list[str], list[set[str]]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    texts, labels = [], []
    for n, line in enumerate(lines, 1):
        if line.strip():
            text, topics = parse_line(line, f"{path}:{n}")
            texts.append(text)
            labels.append(set(topics))
    if not texts:
        raise InputError(f"{path}: no labelled lines")
    return texts, labels


def scores_of(classifier: Classifier, texts: list[str]) -> np.ndarray:
    """Calibrated probabilities, documents x topics, without explanations."""
    out = [classifier.probabilities(classifier.margins(texts[i:i + BATCH])[1])
           for i in range(0, len(texts), BATCH)]
    return np.vstack(out)


def metrics(y: np.ndarray, probs: np.ndarray, threshold: float) -> dict[str, Any]:
    hit = probs >= threshold
    tp, fp = int(np.sum(hit & y)), int(np.sum(hit & ~y))
    fn, tn = int(np.sum(~hit & y)), int(np.sum(~hit & ~y))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall else None)
    return {"items": len(y), "positives": int(y.sum()), "threshold": threshold,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision, "recall": recall,
            "f1": f1, "fpr": fp / (fp + tn) if fp + tn else None,
            "average_precision": float(average_precision_score(y, probs)) if y.any() else None}


def evaluate(classifier: Classifier, path: Path,
             thresholds: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Metrics per topic of the model on the labelled file at the given thresholds."""
    texts, labels = read_labelled(path)
    probs = scores_of(classifier, texts)
    result = {}
    for t, topic in enumerate(classifier.topics):
        y = np.array([topic in lab for lab in labels], dtype=bool)
        threshold = thresholds.get(topic, default_threshold(classifier, topic))
        result[topic] = metrics(y, probs[:, t], threshold)
    return result


def default_threshold(classifier: Classifier, topic: str) -> float:
    """The model's cross-validated suggestion, for topics settings.toml does not set."""
    cv = classifier.metadata.get("cv", {}).get(topic, {})
    return float(cv.get("suggested_threshold", FALLBACK_THRESHOLD))


def _num(value: float | None, width: int = 6) -> str:
    return f"{value:{width}.3f}" if value is not None else f"{'-':>{width}}"


def format_table(result: dict[str, dict[str, Any]]) -> str:
    head = (f"{'topic':24} {'items':>6} {'pos':>5} {'thr':>5} {'prec':>6} {'recall':>6} "
            f"{'F1':>6} {'FPR':>7} {'AP':>6}   tp/fp/fn/tn")
    lines = [head]
    for topic, m in result.items():
        fpr = f"{m['fpr'] * 100:6.2f}%" if m["fpr"] is not None else f"{'-':>7}"
        lines.append(f"{topic:24} {m['items']:6} {m['positives']:5} {m['threshold']:5.2f} "
                     f"{_num(m['precision'])} {_num(m['recall'])} {_num(m['f1'])} {fpr} "
                     f"{_num(m['average_precision'])}   "
                     f"{m['tp']}/{m['fp']}/{m['fn']}/{m['tn']}")
    return "\n".join(lines)


def run_evaluate(loaded: Loaded, data: str, as_json: bool = False) -> tuple[str, int]:
    """`monitor evaluate DATA.jsonl [--json]` at the thresholds of settings.toml."""
    classifier = Classifier.load(loaded.model_path)
    result = evaluate(classifier, Path(data), classify.thresholds(loaded, classifier))
    if as_json:
        return json.dumps(result, indent=2, sort_keys=True), 0
    return f"{data}: model {classifier.version}\n{format_table(result)}", 0
