"""Cross-validated precision, recall and false-positive rate at each candidate threshold, and
the threshold `monitor train` suggests from them (stored in the model's metadata; `monitor
tune` reads them)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score

THRESHOLDS = tuple(round(0.30 + 0.05 * i, 2) for i in range(14))  # 0.30 .. 0.95
RECALL_FLOOR = 0.80  # the suggested threshold keeps at least this cross-validated recall


def threshold_table(y: np.ndarray, probs: np.ndarray) -> list[dict[str, float]]:
    """Precision, recall and false-positive rate at each threshold of THRESHOLDS."""
    rows = []
    for t in THRESHOLDS:
        hit = probs >= t
        tp, fp = int(np.sum(hit & (y == 1))), int(np.sum(hit & (y == 0)))
        fn, tn = int(np.sum(~hit & (y == 1))), int(np.sum(~hit & (y == 0)))
        rows.append({"threshold": t, "precision": tp / (tp + fp) if tp + fp else 1.0,
                     "recall": tp / (tp + fn) if tp + fn else 0.0,
                     "fpr": fp / (fp + tn) if fp + tn else 0.0})
    return rows


def topic_metrics(y: np.ndarray, probs: np.ndarray) -> dict[str, Any]:
    table = threshold_table(y, probs)
    return {"positives": int(y.sum()), "documents": len(y),
            "average_precision": round(float(average_precision_score(y, probs)), 4),
            "suggested_threshold": suggest(table), "thresholds": table}


def suggest(table: list[dict[str, float]]) -> float:
    """The highest threshold whose cross-validated recall still reaches RECALL_FLOOR: the
    most precise setting that keeps the recall target of issue 3 (else the best F1)."""
    kept = [r["threshold"] for r in table if r["recall"] >= RECALL_FLOOR]
    if kept:
        return max(kept)

    def f1(r: dict[str, float]) -> float:
        p, q = r["precision"], r["recall"]
        return 2 * p * q / (p + q) if p + q else 0.0
    return max(table, key=lambda r: (round(f1(r), 4), r["threshold"]))["threshold"]
