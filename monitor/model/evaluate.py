"""Measure a loaded classifier on labelled JSON lines, at given per-topic thresholds.

Each line is `{"text": "...", "topics": [...]}`; a line is a negative for every topic it
does not list (an empty list: negative for all), except that a line with `"only": [...]`
counts for those topics alone, as in training. A topic the model lacks is refused. Per
topic: items, positives, confusion counts, precision, recall, F1, false-positive rate at
the threshold, and average precision (threshold-free; undefined when the data holds no
positive). When the file holds more than one language (a line's optional "lang", else
monitor/language.py's guess), each topic also gets the same measures per language under
"by_language" (issue 14: one threshold should mean the same in every language, and this
is where that is seen).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score

from monitor.errors import InputError
from monitor.model.classify import Classifier
from monitor.model.dataset import read_input_file
from monitor.model.train import parse_row, text_lines

BATCH = 256  # documents scored at once: bounds memory on large files


@dataclass(frozen=True)
class Labelled:
    """A labelled file's lines: text, topics, optional "lang" and "only" (None: absent)."""

    texts: list[str]
    labels: list[set[str]]
    langs: list[str | None]
    only: list[frozenset[str] | None]


def read_labelled(path: Path, topics: Sequence[str]) -> Labelled:
    """The file's lines; InputError naming file:line for a bad line or one that names a
    topic not among `topics` (the model's): a misspelt name would count for nothing."""
    raw = read_input_file(Path(path))
    out = Labelled([], [], [], [])
    for n, line in enumerate(text_lines(raw, path), 1):
        if line.strip():
            row = parse_row(line, f"{path}:{n}")
            unknown = sorted(set(row["topics"]).union(row.get("only", ())) - set(topics))
            if unknown:
                raise InputError(f"{path}:{n}: topic {unknown[0]!r} is not one of the model's "
                                 f"({', '.join(topics)})")
            out.texts.append(row["text"])
            out.labels.append(set(row["topics"]))
            out.langs.append(row.get("lang") or None)
            out.only.append(frozenset(row["only"]) if "only" in row else None)
    if not out.texts:
        raise InputError(f"{path}: no labelled lines")
    return out


def scores_of(classifier: Classifier, texts: list[str]) -> np.ndarray:
    """Calibrated probabilities, documents x topics, without explanations."""
    out = [classifier.probabilities(texts[i:i + BATCH])[1] for i in range(0, len(texts), BATCH)]
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
    """Metrics per topic of the model on the labelled file at the given thresholds; a line
    with "only" counts for those topics alone, as in training (label feedback on one topic)."""
    data = read_labelled(path, classifier.topics)
    probs = scores_of(classifier, data.texts)
    langs = np.array(languages(data.texts, data.langs))
    result = {}
    for t, topic in enumerate(classifier.topics):
        said = np.array([o is None or topic in o for o in data.only], dtype=bool)
        y = np.array([topic in lab for lab in data.labels], dtype=bool)[said]
        p, lang = probs[said, t], langs[said]
        threshold = thresholds.get(topic, classifier.suggested_threshold(topic))
        result[topic] = metrics(y, p, threshold)
        if len(set(langs)) > 1:
            result[topic]["by_language"] = {str(code): metrics(y[lang == code], p[lang == code], threshold)
                                            for code in sorted(set(lang))}
    return result


def languages(texts: list[str], given: list[str | None]) -> list[str]:
    """Each line's language: its "lang" if given, else detected from its text."""
    from monitor.language import detect

    return [lang or detect(text) for text, lang in zip(texts, given, strict=True)]


