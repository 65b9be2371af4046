"""`monitor tune`: the threshold table of a topic (cross-validated precision and recall,
alerts a day on the recent items, precision of sent alerts from labels), its plot, and
`--set`, which writes the threshold into settings.toml."""

from __future__ import annotations

import argparse

from monitor import defaults, spans
from monitor.cli.main import load
from monitor.errors import InputError
from monitor.model import labels


def cmd_tune(args: argparse.Namespace) -> int:
    from monitor import wiring
    from monitor.cli import editor

    loaded = load(args)
    topics = [args.topic] if args.topic else list(loaded.settings.topics)
    unknown = [t for t in topics if t not in loaded.settings.topics]
    if unknown:
        raise InputError(f"{loaded.path}: topics.{unknown[0]}: no such topic")
    if args.set is not None:
        if not args.topic or not 0 <= args.set <= 1:
            raise InputError("tune --set: name one topic and a threshold between 0 and 1")
        editor.set_threshold(loaded.path, args.topic, args.set)
        print(f"topics.{args.topic}.threshold = {args.set}")
        return 0
    cv = wiring.load_classifier(loaded).metadata.get("cv", {})
    store = wiring.store(loaded)
    recent = store.recent(defaults.RECENT_MAX)
    verdicts = labels.all_labels(store.redis, store.keys)
    for topic in topics:
        scores = [(r.seen_at, r.scores.get(topic, 0.0)) for r in recent]
        current = loaded.settings.topics[topic].threshold
        labelled, relevant = labels.sent_precision(verdicts, topic)
        sent = (f"{relevant / labelled:.2f} ({relevant} of {labelled} labelled alerts relevant)"
                if labelled else "no labels yet")
        print(f"{topic}: threshold {current}; precision of sent alerts: {sent}")
        print(f"  alerts/day: {_history(scores)}")
        print(f"  {'threshold':>9} {'cv precision':>12} {'cv recall':>9} {'alerts/day':>10}")
        for row in labels.tune_rows(cv.get(topic), scores):
            mark = " <- current" if abs(row.threshold - current) < 1e-9 else ""
            print(f"  {row.threshold:>9.2f} {_num(row.cv_precision):>12} {_num(row.cv_recall):>9} "
                  f"{_num(row.alerts_per_day, 1):>10}{mark}")
        if args.plot:
            print("\n".join(plot(labels.tune_rows(cv.get(topic), scores), current)))
    return 0


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _history(scores: list[tuple[float, float]]) -> str:
    """What the alerts/day column is measured on."""
    if not scores:
        return "no recent items yet"
    span = max(t for t, _ in scores) - min(t for t, _ in scores)
    rate = "" if span >= defaults.TUNE_MIN_HISTORY else (
        f"; under {spans.span(defaults.TUNE_MIN_HISTORY)}, too short for a daily rate")
    return f"from {len(scores)} recent item(s) over {spans.span(span)}{rate}"


BAR = 40  # characters of a full bar in --plot


def plot(rows: list[labels.TuneRow], current: float) -> list[str]:
    """Cross-validated precision (P) and recall (R) by threshold, as bars a terminal shows."""
    out = [f"  {'thr':>5}  precision (P) and recall (R), 0 .. 1"]
    for row in rows:
        mark = " <- current" if abs(row.threshold - current) < 1e-9 else ""
        for name, value in (("P", row.cv_precision), ("R", row.cv_recall)):
            bar = "#" * round((value or 0.0) * BAR)
            head = f"{row.threshold:5.2f}" if name == "P" else " " * 5
            out.append(f"  {head}  {name} {bar:<{BAR}} {_num(value)}{mark if name == 'P' else ''}")
    return out
