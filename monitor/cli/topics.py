"""A topic without code: `monitor topic add NAME --title ... --positive FILE --negative FILE`
writes the topic's examples beside the training data, trains, and writes the topic into
settings.toml with the threshold cross-validation suggests; `monitor review [TOPIC]` shows
recent items scored near a threshold, one at a time, and keeps the verdicts as labels for
the next training (`monitor label export` + `monitor train --with`).

Examples speak for their topic alone (`"only": [NAME]`): a positive is not thereby a
negative for the other topics, nor a negative a positive for any.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

from monitor import defaults
from monitor.cli.main import load
from monitor.errors import InputError
from monitor.limits import ITEM_TEXT_CHARS
from monitor.settings_types import NAME_RE

if TYPE_CHECKING:
    from monitor.store import Store

MIN_POSITIVES = 5  # cross-validation holds out a fifth: fewer positives leave a fold without one


def read_examples(paths: list[str]) -> list[str]:
    """Texts from JSON lines (`{"text": ...}`, with an optional "title"), a text file (one
    article), or a folder of .txt files (one article each)."""
    texts: list[str] = []
    for name in paths:
        path = Path(name)
        files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
        for file in files:
            texts += _texts(file)
    return texts


def _texts(path: Path) -> list[str]:
    from monitor.cli.analysis import read_input

    if path.suffix not in (".jsonl", ".json"):
        content = read_input(str(path))  # one article, cut as an item's text is
        return [content] if content.strip() else []
    from monitor.ingest.text import cut_at_word
    from monitor.model.dataset import read_input_file, text_lines

    # the whole file, each text cut: read as one item's text, a 185 KB file lost its lines
    lines = text_lines(read_input_file(path), path)  # past the first 20,000 characters
    out = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                row = json.loads(line)
                text = "\n".join(str(row[k]) for k in ("title", "text") if row.get(k))
            except (ValueError, TypeError, AttributeError, RecursionError):  # ValueError: JSON, or an
                # integer too long to convert; RecursionError: "[[[[..."
                raise InputError(f'{path}:{n}: expected {{"text": "..."}} (and optionally "title")') from None
            if text:
                out.append(cut_at_word(text, ITEM_TEXT_CHARS) if len(text) > ITEM_TEXT_CHARS else text)
    return out


def cmd_topic(args: argparse.Namespace) -> int:
    from monitor import wiring
    from monitor.cli import analysis, editor
    from monitor.model import train

    loaded = load(args)
    name = args.name
    if not NAME_RE.fullmatch(name):
        raise InputError(f"topic add: name {name!r} must match [a-z0-9_-]+")
    if name in loaded.settings.topics:
        raise InputError(f"{loaded.path}: topics.{name}: already exists")
    if args.threshold is not None and not 0 <= args.threshold <= 1:  # before minutes of training
        raise InputError(f"topic add: --threshold must be between 0 and 1 (got {args.threshold})")
    positives, negatives = read_examples(args.positive), read_examples(args.negative)
    if len(positives) < MIN_POSITIVES:
        raise InputError(f"topic add: {len(positives)} positive example(s); give at least {MIN_POSITIVES}")
    notify = args.notify or list(loaded.settings.channels)
    unknown = [c for c in notify if c not in loaded.settings.channels]
    if unknown:
        raise InputError(f"{loaded.path}: channels.{unknown[0]}: no such channel")
    data = loaded.model_path.parent / analysis.TOPICS_DIR / f"{name}.jsonl"
    data.parent.mkdir(parents=True, exist_ok=True)
    with data.open("w", encoding="utf-8") as handle:
        for text, topics in [(t, [name]) for t in positives] + [(t, []) for t in negatives]:
            handle.write(json.dumps({"text": text, "topics": topics, "only": [name]}, ensure_ascii=False) + "\n")
    print(f"wrote {len(positives)} positive and {len(negatives)} negative example(s) to {data}")
    try:
        report = train.train(analysis.training_files(loaded), loaded.model_path)
    except BaseException:  # refused or stopped: examples left behind would join every later train
        data.unlink(missing_ok=True)
        raise
    print(analysis.format_report(report))
    cv = report.metadata["cv"][name]
    threshold = args.threshold if args.threshold is not None else cv["suggested_threshold"]
    editor.add_topic(loaded.path, name, args.title, threshold, notify)
    row = next((r for r in cv["thresholds"] if abs(r["threshold"] - threshold) < 1e-9), None)
    measured = f" (cross-validated precision {row['precision']:.2f}, recall {row['recall']:.2f})" if row else ""
    print(f"topics.{name}.threshold = {threshold}{measured}; notify {', '.join(notify) or 'none'}")
    print(f"next: monitor score FILE, monitor review {name}, monitor tune {name}")
    wiring.load_classifier(loaded).require([name])  # what the service will load knows the topic
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from monitor import wiring
    from monitor.delivery.alerts import alert_id
    from monitor.items import Label
    from monitor.model import labels

    loaded = load(args)
    topics = [args.topic] if args.topic else list(loaded.settings.topics)
    if args.topic and args.topic not in loaded.settings.topics:
        raise InputError(f"{loaded.path}: topics.{args.topic}: no such topic")
    store = wiring.store(loaded)
    done = {label.id for label in labels.all_labels(store.redis, store.keys)}
    near = []
    for record in store.recent(defaults.RECENT_MAX):
        for topic in topics:
            threshold, score = loaded.settings.topics[topic].threshold, record.scores.get(topic, 0.0)
            key = alert_id(record.id, topic)
            if abs(score - threshold) <= args.margin and key not in done:
                near.append((abs(score - threshold), key, topic, record))
    near.sort(key=lambda row: row[0])
    if not near:
        print(f"nothing to review: no recent item within {args.margin} of a threshold that has no verdict yet")
        return 0
    kept = 0
    for _, key, topic, record in near[: args.n]:
        score, threshold = record.scores.get(topic, 0.0), loaded.settings.topics[topic].threshold
        print(f"\n{topic}: {score:.3f} (threshold {threshold:.2f}, {'alerts' if score >= threshold else 'silent'})"
              f"\n  {record.title}\n  {record.source} {record.url}\n  terms: {', '.join(record.terms.get(topic, ()))}")
        answer = _ask(f"  is it about {topic}? [y]es [n]o [s]kip [q]uit: ")
        if answer == "q":
            break
        if answer in ("y", "n"):
            labels.save(store.redis, store.keys, Label(key, topic, answer == "y", time.time(), record.title,
                                                       _alert_text(store, key), score),
                        keep=loaded.settings.alerts.labels_max)
            kept += 1
    print(f"\nkept {kept} verdict(s); train on them with: monitor label export labels.jsonl && "
          "monitor train --with labels.jsonl")
    return 0


def _alert_text(store: Store, key: str) -> str:
    """The text kept with the item's alert, when it alerted (a recent record keeps none)."""
    from monitor import codec
    from monitor.store import redis_errors

    with redis_errors(f"reading alert {key}"):
        raw = store.redis.get(store.keys.alert(key))
    return codec.decode_alert(cast(bytes, raw)).text if raw else ""


def _ask(prompt: str) -> str:
    print(prompt, end="", flush=True)
    line = sys.stdin.readline()
    if not line:
        return "q"  # end of input
    answer = line.strip().lower()[:1]
    return answer if answer in ("y", "n", "s", "q") else "s"
