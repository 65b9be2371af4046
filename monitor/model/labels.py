"""Feedback on sent alerts: verdicts recorded in Redis, exported as training data, and the
threshold table `monitor tune` shows.

Every alert carries a short id. `monitor label ID relevant|irrelevant` looks the alert up
(kept for `[dedup] seen_ttl`) and records the verdict with the alert's text, so that
`monitor label export FILE` can write `{"text", "topics"}` lines for `monitor train --with`.
A verdict speaks for the alert's topic alone: its line carries `"only": [topic]`, so
training reads it as a positive (relevant) or a negative (irrelevant) for that topic and
learns nothing from it for the others. Verdicts are kept per (item, topic): one given with
`--topic` for another topic stands beside the one for the alert's own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from monitor import codec, defaults
from monitor.defaults import TUNE_MIN_HISTORY
from monitor.delivery.alerts import alert_id
from monitor.errors import InputError
from monitor.items import Alert, Label
from monitor.keys import Keys
from monitor.store import redis_errors

VERDICTS = {"relevant": True, "irrelevant": False}

# A label is stored with its time in the order set; past `keep` labels the oldest go, in
# the same atomic step, so the labels hash stays within `[alerts] labels_max`.
#   KEYS: labels, labels order   ARGV: short id, label JSON, time, keep
RECORD_LUA = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
  redis.call('HDEL', KEYS[1], unpack(old))
end
return over
"""


def record(client: redis.Redis, keys: Keys, short_id: str, verdict: str, topic: str | None = None,
           keep: int = defaults.LABELS_MAX) -> Label:
    if verdict not in VERDICTS:
        raise InputError(f"label: verdict must be 'relevant' or 'irrelevant', not {verdict!r}")
    with redis_errors(f"reading alert {short_id}"):
        raw = client.get(keys.alert(short_id))
    if raw is None:
        raise InputError(f"label: no alert with id {short_id!r} (alerts are kept for [dedup] seen_ttl)")
    alert = codec.decode_alert(raw)
    label = Label(id=label_key(short_id, alert, topic), topic=topic or alert.topic, relevant=VERDICTS[verdict],
                  time=time.time(), title=alert.title, text=alert.text, score=alert.score)
    save(client, keys, label, keep)
    return label


def label_key(short_id: str, alert: Alert, topic: str | None) -> str:
    """Where a verdict is kept: one per (item, topic), as `monitor review` keys them, so a
    verdict for another topic (`--topic`) keeps the one for the alert's own. The alert's own
    topic keeps its short id (what labels recorded before were keyed by)."""
    if topic is None or topic == alert.topic or not alert.item_id:
        return short_id
    return alert_id(alert.item_id, topic)


def save(client: redis.Redis, keys: Keys, label: Label, keep: int = defaults.LABELS_MAX) -> None:
    """Keep a verdict (also one given without an alert: `monitor review`), the oldest
    going past `keep` labels."""
    with redis_errors("recording a label"):
        client.eval(RECORD_LUA, 2, keys.labels, keys.labels_order, label.id, codec.encode_label(label),
                    label.time, keep)


def all_labels(client: redis.Redis, keys: Keys) -> list[Label]:
    """Every label (at most `[alerts] labels_max`), read a few hundred at a time."""
    with redis_errors("reading labels"):
        return [codec.decode_label(raw) for _, raw in client.hscan_iter(keys.labels, count=500)]


def export(labels: Iterable[Label], out: Path) -> int:
    """Write labels as training lines; returns how many. InputError naming `out` when it
    cannot be written (no such folder, a folder, no permission, disk full)."""
    count = 0
    try:
        with out.open("w", encoding="utf-8") as handle:
            for label in labels:
                text = f"{label.title}\n{label.text}".strip()
                topics = [label.topic] if label.relevant else []
                line = {"text": text, "topics": topics, "only": [label.topic]}
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
    except OSError as exc:
        raise InputError(f"label export: {out}: cannot write: {exc.strerror or exc}") from None
    return count


@dataclass(frozen=True)
class TuneRow:
    threshold: float
    cv_precision: float | None
    cv_recall: float | None
    alerts_per_day: float | None  # how many alerts the recent items would have produced


def tune_rows(cv: Mapping[str, Any] | None, recent_scores: list[tuple[float, float]]) -> list[TuneRow]:
    """Threshold table from the model's cross-validation and the recent items' scores.

    `recent_scores` are (time, score) of recently scored items for the topic.
    """
    table = {round(r["threshold"], 2): r for r in (cv or {}).get("thresholds", [])}
    thresholds = sorted(table) or [round(0.05 * i, 2) for i in range(2, 20)]
    days = _span_days([t for t, _ in recent_scores])
    rows = []
    for threshold in thresholds:
        cv_row = table.get(threshold, {})
        hits = sum(score >= threshold for _, score in recent_scores)
        rows.append(TuneRow(threshold, cv_row.get("precision"), cv_row.get("recall"),
                            hits / days if days else None))
    return rows


def sent_precision(labels: Iterable[Label], topic: str) -> tuple[int, int]:
    """(labelled alerts, relevant ones) for one topic."""
    mine = [label for label in labels if label.topic == topic]
    return len(mine), sum(label.relevant for label in mine)


def _span_days(times: list[float]) -> float:
    """Days the recent items span; 0 (no rate) when shorter than TUNE_MIN_HISTORY."""
    span = max(times) - min(times) if times else 0.0
    return span / 86400 if span >= TUNE_MIN_HISTORY else 0.0
