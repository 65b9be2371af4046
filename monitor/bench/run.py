"""`monitor bench`: the real pipeline on a synthetic workload, with its anchors and targets.

One run, one process: N feeds of M items (monitor/bench/workload.py) are served from a
local HTTP server and polled three times through the real Runtime (fetch, parse, seen,
classify, near-dup, claim and enqueue) against a fresh embedded Redis (or `redis_url`
under a bench-only key prefix): fresh, unchanged (304) and with one new item per feed.
The same bytes are then parsed by bare feedparser and by lxml, and the near-duplicate
index is timed at `neardup_items` items. Targets are ratios within the run, so they hold
on a noisy machine; absolute numbers are printed for the README.
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import feedparser
import numpy as np
import redis
from lxml import etree

from monitor import pipeline, settings, wiring
from monitor.bench.neardup import bench_neardup
from monitor.bench.usage import Usage, usage
from monitor.bench.workload import FeedServer, Workload
from monitor.metrics import Metrics
from monitor.model.classify import Classifier
from monitor.runtime import Runtime

STAGES = ("fetch", "parse", "seen", "classify", "neardup", "claim")
RSS_FEEDS = 1000  # the peak-RSS target is stated for this many feeds
NEARDUP_TARGET_ITEMS = 100_000  # the near-dup p99 target is stated at this index size


_FETCH_STARTED: ContextVar[float] = ContextVar("fetch_started")
"""When the current feed poll's fetch started: each poll is a task with its own context,
which its Redis steps in threads carry along (asyncio.to_thread copies it)."""


@dataclass
class Latencies:
    """An observer of the pipeline: each new item's time from its feed's fetch to its claim."""

    seconds: list[float] = field(default_factory=list)

    def stage(self, name: str, started: float, ended: float, items: int) -> None:
        if name == "fetch":
            _FETCH_STARTED.set(started)
        elif name == "claim":  # one batch per feed: one latency per item claimed in it
            self.seconds += [ended - _FETCH_STARTED.get()] * items


def run_bench(settings_path: Path | None, feeds: int, items: int, as_json: bool, check: bool,
              neardup_items: int, known_misses: Sequence[str] = ()) -> tuple[str, int]:
    """Run the benchmark; returns the report (text or JSON) and the exit code."""
    base = _base_settings(settings_path)
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
        report = _measure(Path(tmp), base, feeds, items, neardup_items)
    report["targets"] = _targets(report, feeds, neardup_items)
    for target in report["targets"]:  # printed as missed, not failing --check: an open issue
        target["known_miss"] = target["key"] in known_misses and not target["ok"]
    missed = [t for t in report["targets"] if not t["ok"] and not t["known_miss"]]
    failed = report["errors"] > 0
    text = json.dumps(report, indent=2) if as_json else _text(report)
    return text, 1 if failed or (check and missed) else 0


def _base_settings(path: Path | None) -> settings.Loaded | None:
    """The given settings (their model, topics and redis_url), else ./settings.toml if any."""
    if path is None and not settings.default_path().is_file():
        return None
    return settings.load(path)


def _settings_file(tmp: Path, base: settings.Loaded | None, server: FeedServer, names: list[str]) -> Path:
    model = base.model_path if base else Path(__file__).resolve().parent.parent / "models" / "topics.skops"
    topics = base.settings.topics if base else {}
    lines = ["[monitor]", f'data_dir = "{tmp / "data"}"', f'model = "{model}"',
             f'key_prefix = "bench-{uuid.uuid4().hex[:8]}:"']
    if base and base.redis_url:
        lines.append(f"redis_url = {json.dumps(base.redis_url)}")
    if base:  # the same use of cores as the service would make
        lines.append(f"score_workers = {base.settings.monitor.score_workers}")
    for name in names:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{server.url(name)}"']
    if not topics:
        lines += ["[topics.turkey_russia_syria]", 'title = "Turkey-Russia-Syria"', "threshold = 0.6",
                  'notify = ["console"]']
    for name, topic in topics.items():
        lines += [f"[topics.{name}]", f"title = {json.dumps(topic.title)}",
                  f"threshold = {topic.threshold}", 'notify = ["console"]']
    lines += ["[channels.console]", f'url = "console://?jsonl={tmp / "alerts.jsonl"}"']
    path = tmp / "settings.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _measure(tmp: Path, base: settings.Loaded | None, feeds: int, items: int,
             neardup_items: int) -> dict[str, Any]:
    workload = Workload(tmp / "feeds", feeds, items)
    bodies = workload.bodies()
    bytes_per_item = round(sum(map(len, bodies)) / max(1, feeds * items))
    anchors = _best(_anchors(bodies), _anchors(bodies))  # on a busy machine the best counts
    del bodies  # the bench's copy of the feeds is not the pipeline's memory
    with FeedServer(workload.root) as server:
        loaded = settings.load(_settings_file(tmp, base, server, workload.names))
        t0 = time.perf_counter()
        classifier = Classifier.load(loaded.model_path)
        model_seconds = time.perf_counter() - t0
        passes, latencies, errors, worker_rss = asyncio.run(_passes(loaded, classifier, workload))
    report: dict[str, Any] = {
        "workload": {"feeds": feeds, "items_per_feed": items, "items": feeds * items,
                     "bytes_per_item": bytes_per_item,
                     "on_topic": workload.on_topic, "copies": workload.copies},
        "model_load_seconds": round(model_seconds, 3),
        "passes": passes, "stages": passes["fresh"]["stages"], "errors": errors,
        "latency_ms": _percentiles(latencies),
        "anchors": anchors,
    }
    # Measured before the near-dup bench, whose 100,000 synthetic texts are not the pipeline's.
    # The monitor's memory: this (service) process and its scoring worker, added.
    service = usage().peak_mb  # read as the worker's is
    report["peak_rss_mb"] = round(service + worker_rss, 1)
    report["peak_rss_parts_mb"] = {"service": round(service, 1), "scoring_worker": round(worker_rss, 1)}
    client = redis.Redis.from_url(loaded.redis_url) if loaded.redis_url else None
    samples = min(2000, max(200, neardup_items))
    report["neardup"] = bench_neardup(neardup_items, samples=samples, client=client)
    return report


async def _passes(loaded: settings.Loaded, classifier: Classifier,
                  workload: Workload) -> tuple[dict[str, Any], list[float], int, float]:
    rt = wiring.runtime(loaded, classifier)
    observed = Latencies()
    rt.observers.append(observed)
    passes: dict[str, Any] = {}
    errors = 0
    try:
        async with rt:
            # The unchanged pass runs three times and the cheapest counts: at ~0.5 ms per feed
            # it is the most exposed to a busy machine (as the anchors, which run twice).
            for name in ("fresh", "unchanged", "unchanged", "unchanged", "one_new"):
                if name == "one_new":
                    workload.add_item(random.Random(11))
                rt.metrics = Metrics()  # stage histograms per pass
                started, cpu = time.perf_counter(), time.process_time() + (await _worker_usage(rt)).cpu_seconds
                results = await pipeline.poll_once(rt)
                numbers = _pass_numbers(rt, results, time.perf_counter() - started)
                used = time.process_time() + (await _worker_usage(rt)).cpu_seconds - cpu  # this process and its scorer
                numbers["cpu_ms_per_feed"] = round(1000 * used / len(results), 3)
                numbers["stages"] = _stages(rt)
                errors += numbers["errors"]
                if name not in passes or numbers["cpu_ms_per_feed"] < passes[name]["cpu_ms_per_feed"]:
                    passes[name] = numbers
                if name == "fresh":  # later passes add only their few new items
                    latencies = list(observed.seconds)
            worker_rss = (await _worker_usage(rt)).peak_mb
    finally:
        _clean(rt, loaded)
    return passes, latencies, errors, worker_rss


async def _worker_usage(rt: Runtime) -> Usage:
    found = await rt.scorer.in_worker(usage)
    return found if found is not None else Usage.none()


def _pass_numbers(rt: Runtime, results: list[pipeline.PollResult], wall: float) -> dict[str, Any]:
    outcomes: dict[str, int] = {}
    for r in results:
        outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
    parsed = sum(r.items for r in results if r.outcome == "ok")
    return {
        "seconds": round(wall, 4), "feeds": len(results), "outcomes": outcomes,
        "items_parsed": parsed, "new": sum(r.new for r in results),
        "alerts": sum(r.alerts for r in results),
        "ms_per_feed": round(1000 * wall / max(1, len(results)), 3),
        "items_per_second": round(parsed / wall, 1) if parsed else 0.0,
        "errors": sum(r.outcome in ("error", "store_error") for r in results),
    }


def _stages(rt: Runtime) -> dict[str, Any]:
    """Per stage: items through it, seconds spent in it (summed over feeds), items/s.

    Fetches overlap (up to `concurrency` at once) and wait on the event loop, so the fetch
    figure is per fetch-second, not a limit of the pipeline. The near-dup check and the
    claim run in threads, several at once, which also share this process with parsing."""
    reg = rt.metrics.registry

    def sample(name: str, stage: str = "", label: str = "stage") -> float:
        return reg.get_sample_value(name, {label: stage}) or 0.0

    fetched, new = sample("monitor_items_total", "fetched"), sample("monitor_items_total", "new")
    out = {}
    for stage in STAGES:
        seconds = sample("monitor_stage_seconds_sum", stage)
        count = sample("monitor_stage_seconds_count", stage)
        n = {"fetch": fetched, "parse": fetched, "seen": fetched, "classify": new, "claim": new,
             "neardup": sample("monitor_items_total", "neardup")}.get(stage, count)
        out[stage] = {"items": int(n), "seconds": round(seconds, 4),
                      "items_per_second": round(n / seconds, 1) if seconds else None}
    return out


def _clean(rt: Runtime, loaded: settings.Loaded) -> None:
    """Leave nothing behind: stop the embedded server, or delete the bench's own keys."""
    client = rt.store.redis
    if not loaded.redis_url:
        try:
            client.shutdown(nosave=True)
        except redis.ConnectionError:
            pass  # the server closed the connection as it exited: the success case
        return
    for key in client.scan_iter(match=f"{loaded.settings.monitor.key_prefix}*", count=1000):
        client.delete(key)


def _percentiles(seconds: list[float]) -> dict[str, float | None]:
    if not seconds:
        return {"p50": None, "p99": None, "max": None, "n": 0}
    ms = np.array(seconds) * 1000
    return {"p50": round(float(np.percentile(ms, 50)), 2), "p99": round(float(np.percentile(ms, 99)), 2),
            "max": round(float(ms.max()), 2), "n": len(seconds)}


def _anchors(bodies: list[bytes]) -> dict[str, Any]:
    """Bare feedparser (default options) and lxml on the very bytes the pipeline fetched."""
    out = {}
    for name, parse_one in (("feedparser", lambda b: len(feedparser.parse(io.BytesIO(b)).entries)),
                            ("lxml", lambda b: len(etree.fromstring(b).findall("channel/item")))):
        started = time.perf_counter()
        n = sum(parse_one(body) for body in bodies)
        seconds = time.perf_counter() - started
        out[name] = {"items": n, "seconds": round(seconds, 4), "items_per_second": round(n / seconds, 1)}
    return out


def _best(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The faster of two runs of each anchor: other work on the machine is less likely to
    slow both, and a faster anchor makes the ratio err against the pipeline."""
    return {name: max(a[name], b[name], key=lambda r: r["items_per_second"]) for name in a}


def _target(name: str, value: float, limit: float, higher: bool, unit: str, note: str = "") -> dict[str, Any]:
    ok = value >= limit if higher else value <= limit
    return {"name": name, "key": name.split()[0], "value": round(value, 4), "limit": limit, "ok": bool(ok),
            "rule": (">= " if higher else "<= ") + f"{limit}{unit}", "note": note}


def _targets(r: dict[str, Any], feeds: int, neardup_items: int) -> list[dict[str, Any]]:
    p = r["passes"]
    fp = r["anchors"]["feedparser"]["items_per_second"]
    rss_note = "" if feeds >= RSS_FEEDS else f"measured with {feeds} feeds; the target is for {RSS_FEEDS}"
    nd_note = ("" if neardup_items >= NEARDUP_TARGET_ITEMS
               else f"measured at {neardup_items} items; the target is for {NEARDUP_TARGET_ITEMS}")
    return [
        _target("fresh end-to-end / bare feedparser", p["fresh"]["items_per_second"] / fp, 1.0, True, "x"),
        # CPU of the monitor (service process and scoring worker): wall time of a 304 is
        # mostly the bench's own feed server answering, not a cost of the monitor.
        _target("unchanged poll / fresh parsing poll (CPU per feed)",
                p["unchanged"]["cpu_ms_per_feed"] / p["fresh"]["cpu_ms_per_feed"], 0.05, False, "",
                f"wall time: {p['unchanged']['ms_per_feed'] / p['fresh']['ms_per_feed']:.3f}; CPU vs a poll "
                f"with one new item: {p['unchanged']['cpu_ms_per_feed'] / p['one_new']['cpu_ms_per_feed']:.3f}"),
        _target("near-dup check+index p99", r["neardup"]["p99_ms"], 2.0, False, " ms", nd_note),
        _target("peak RSS", r["peak_rss_mb"], 300.0, False, " MB", rss_note),
    ]


def _text(r: dict[str, Any]) -> str:
    w, p, a = r["workload"], r["passes"], r["anchors"]
    lines = [f"workload: {w['feeds']} feeds x {w['items_per_feed']} items, ~{w['bytes_per_item']} B/item, "
             f"{w['on_topic']} on topic, {w['copies']} cross-feed copies (model loaded in "
             f"{r['model_load_seconds']:.2f}s)", "", "stage (fresh pass)   items  seconds   items/s"]
    for stage, s in r["stages"].items():
        rate = f"{s['items_per_second']:>9.0f}" if s["items_per_second"] else "        -"
        lines.append(f"  {stage:<18} {s['items']:>6} {s['seconds']:>8.3f} {rate}")
    lines += ["", "pass        seconds  ms/feed  cpu ms/feed   items/s  new  alerts  outcomes"]
    for name, s in p.items():
        lines.append(f"  {name:<9} {s['seconds']:>8.3f} {s['ms_per_feed']:>8.3f} {s['cpu_ms_per_feed']:>12.3f} "
                     f"{s['items_per_second']:>9.0f} "
                     f"{s['new']:>4} {s['alerts']:>7}  {s['outcomes']}")
    lat, nd = r["latency_ms"], r["neardup"]
    lines += ["", f"anchors on the same bytes: feedparser {a['feedparser']['items_per_second']:.0f} items/s, "
                  f"lxml {a['lxml']['items_per_second']:.0f} items/s",
              f"latency fetch -> claimed and enqueued (fresh pass, {lat['n']} items): "
              f"p50 {lat['p50']} ms, p99 {lat['p99']} ms",
              f"near-dup at {nd['items_indexed']} items: p50 {nd['p50_ms']:.3f} ms, p99 {nd['p99_ms']:.3f} ms "
              f"({nd['copies_caught']}/{nd['copies_checked']} copies caught; best of rounds with p99 "
              f"{', '.join(f'{v:.3f}' for v in nd.get('round_p99_ms', []))} ms)",
              f"peak RSS {r['peak_rss_mb']:.0f} MB: service process {r['peak_rss_parts_mb']['service']:.0f} MB "
              f"+ scoring worker {r['peak_rss_parts_mb']['scoring_worker']:.0f} MB (the embedded Redis is "
              "another process)",
              "", "targets:"]
    for t in r.get("targets", []):
        note = f"  ({t['note']})" if t["note"] else ""
        known = " (known miss, not enforced by --check)" if t["known_miss"] else ""
        lines.append(f"  {'ok    ' if t['ok'] else 'MISSED'} {t['name']}: {t['value']:.4g} {t['rule']}{note}{known}")
    if r["errors"]:
        lines.append(f"ERROR: {r['errors']} poll(s) failed; see the log")
    return "\n".join(lines)
