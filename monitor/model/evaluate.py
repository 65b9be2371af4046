"""Measure a loaded classifier on labelled JSON lines, at given per-topic thresholds.

Each line is `{"text": "...", "topics": [...]}`; a line is a negative for every topic it
does not list (an empty list: negative for all). Per topic: items, positives, confusion
counts, precision, recall, F1, false-positive rate at the threshold, and average precision
(threshold-free; undefined when the data holds no positive). When the file holds more than
one language (a line's optional "lang", else monitor/language.py's guess), each topic also
gets the same measures per language under "by_language" (issue 14: one threshold should
mean the same in every language, and this is where that is seen).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score

from monitor.errors import InputError
from monitor.model.classify import Classifier
from monitor.model.train import parse_row

BATCH = 256  # documents scored at once: bounds memory on large files


def read_labelled(path: Path) -> tuple[list[str], list[set[str]]]:
    texts, labels, _ = read_labelled_langs(path)
    return texts, labels


def read_labelled_langs(path: Path) -> tuple[list[str], list[set[str]], list[str | None]]:
    """Texts, labels and each line's "lang" if it gives one."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    texts: list[str] = []
    labels: list[set[str]] = []
    langs: list[str | None] = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            row = parse_row(line, f"{path}:{n}")
            texts.append(row["text"])
            labels.append(set(row["topics"]))
            lang = row.get("lang")
            langs.append(lang if isinstance(lang, str) and lang else None)
    if not texts:
        raise InputError(f"{path}: no labelled lines")
    return texts, labels, langs


def scores_of(classifier: Classifier, texts: list[str]) -> np.ndarray:
    """Calibrated probabilities, documents x topics, without explanations."""
    out = [classifier.probabilities(classifier.margins(texts[i:i + BATCH])[1],
                                    texts[i:i + BATCH])
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
    texts, labels, given = read_labelled_langs(path)
    probs = scores_of(classifier, texts)
    langs = np.array(languages(texts, given))
    result = {}
    for t, topic in enumerate(classifier.topics):
        y = np.array([topic in lab for lab in labels], dtype=bool)
        threshold = thresholds.get(topic, classifier.suggested_threshold(topic))
        result[topic] = metrics(y, probs[:, t], threshold)
        if len(set(langs)) > 1:
            result[topic]["by_language"] = {
                str(lang): metrics(y[langs == lang], probs[langs == lang, t], threshold)
                for lang in sorted(set(langs))}
    return result


def languages(texts: list[str], given: list[str | None]) -> list[str]:
    """Each line's language: its "lang" if given, else detected from its text."""
    from monitor.language import detect

    return [lang or detect(text) for text, lang in zip(texts, given, strict=True)]


