"""`monitor surge --replay`: dated items through the scorer and the surge detector (imported
only when the command runs)."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from monitor import connection, wiring
from monitor.cli.main import load
from monitor.defaults import DAY
from monitor.delivery.surge_body import duration
from monitor.errors import InputError
from monitor.keys import Keys
from monitor.model.classify import Classifier
from monitor.settings import Loaded
from monitor.surge import replay
from monitor.surge.counter import SurgeCounter
from monitor.surge.detector import SurgeDetector
from monitor.surge.model import SurgeConfig, sparkline

SPARK_DAYS = 7  # days the status sparkline shows, four bars a day


def cmd_surge(args: argparse.Namespace) -> int:
    loaded = load(args)
    configs = wiring.surge_configs(loaded, every_topic=True)
    if args.topic is not None:
        if args.topic not in configs:
            raise InputError(f"--topic {args.topic}: no such topic in {loaded.path.name}")
        configs = {args.topic: configs[args.topic]}
    items = replay.read_items(Path(args.replay))

    def scorer(docs: Sequence[str]) -> list[dict[str, float]]:  # the model is loaded only when needed
        model = Classifier.load(loaded.model_path)
        model.require(configs)
        return [{t: s.score for t, s in r.items()} for r in model.score(docs, explain=False)]

    scores = replay.score_all(items, scorer)
    with tempfile.TemporaryDirectory(prefix="monitor-replay-") as tmp:
        client = connection.connect("", Path(tmp))  # the replay's own Redis, never the monitor's
        try:
            detector = SurgeDetector(SurgeCounter(client, Keys()), configs)
            result = replay.replay(items, scores, detector, wiring.neardup_config(loaded))
        finally:
            connection.stop_embedded()
    if args.plot:
        from monitor.surge.plot import plot  # matplotlib: the plot extra

        plot(result, Path(args.plot))
    print(json.dumps(replay.as_json(result), indent=2, ensure_ascii=False) if args.json
          else text(result, configs))
    return 0


def text(result: replay.Replay, configs: Mapping[str, SurgeConfig]) -> str:
    data = replay.as_json(result)
    lines = [f"replayed {result.items} item(s); over the threshold: "
             + (", ".join(f"{t} {n}" for t, n in result.on_topic.items()) or "none")]
    for o, s in zip(result.surges, data["surges"], strict=True):
        cfg = configs[o.verdict.topic]
        when = datetime.fromtimestamp(o.verdict.now, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"surge {s['topic']} {when}: {s['stories']} stories from {s['sources']} sources in "
                     f"{duration(cfg.window_buckets * cfg.bucket)} (usually {s['expected']:.1f}, "
                     f"p={s['p_value']:.2g})")
        lines += [f"    - {t['title']} ({', '.join(t['sources'])})" for t in s["top"]]
    lines.append(f"{len(result.surges)} surge(s)")
    return "\n".join(lines)


# -- status ---------------------------------------------------------------------------------


def status_rows(loaded: Loaded, client: redis.Redis, keys: Keys, now: float) -> list[dict[str, Any]]:
    """Each topic's window now against its usual rate, with its last days as a sparkline."""
    configs = wiring.surge_configs(loaded, every_topic=True)
    detector = SurgeDetector(SurgeCounter(client, keys), configs)
    rows = []
    for o in detector.status(now):
        cfg, v = configs[o.verdict.topic], o.verdict
        counts = detector.counter.counts(cfg)
        rows.append({"topic": v.topic, "state": o.state if loaded.settings.topics[v.topic].surge else "off",
                     "window": duration(cfg.window_buckets * cfg.bucket), "stories": v.stories,
                     "sources": v.sources, "usual": None if v.learning else round(v.expected, 3),
                     "p_value": None if v.learning else float(f"{v.p_value:.3g}"),
                     "history_days": round(v.history / DAY, 2), "min_history_days": round(cfg.min_history / DAY, 2),
                     "last_days": sparkline(counts, cfg, now, SPARK_DAYS)})
    return rows


def status_lines(rows: Sequence[dict[str, Any]]) -> list[str]:
    lines = []
    for r in rows:
        usual = (f"usually {r['usual']:.1f} (p={r['p_value']:.2g})" if r["usual"] is not None else
                 f"too little history to tell ({r['history_days']:.1f} of {r['min_history_days']:g} days)")
        lines.append(f"topic {r['topic']}: {r['state']}, {r['stories']} stories from {r['sources']} sources in "
                     f"the last {r['window']}, {usual}; last {SPARK_DAYS} days {r['last_days']}")
    return lines
