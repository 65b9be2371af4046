"""`monitor bench`: the real pipeline on a synthetic workload, with its anchors and targets.

One run, one process: N feeds of M items (monitor/bench/workload.py) are served from a
local HTTP server and polled through the real Runtime (fetch, parse, seen,
classify, near-dup, claim and enqueue) against a fresh embedded Redis (or `redis_url`
under a bench-only key prefix): fresh, unchanged (304), with one new item per feed, and
fresh again on as many new items (the faster fresh pass counts, as the faster anchor run does).
The same bytes are then parsed by bare feedparser and by lxml, and the near-duplicate
index is timed at `neardup_items` items (and, when that is more than 100,000, at 100,000
too, in rounds alternating with it: near-dup cost must not grow with the index). Targets
are ratios within the run, so they hold on a noisy machine; absolute numbers are printed
for the README.

The bench sees the pipeline only as any observer of the Runtime does (observers.py: each
stage interval and item latency); report.py holds the targets and the text report.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import redis

from monitor import pipeline, settings, wiring
from monitor.bench import articles, memory, report
from monitor.bench.anchors import anchors_apart
from monitor.bench.neardup import bench_neardup, bench_sizes
from monitor.bench.observers import Intervals, Latencies
from monitor.bench.usage import Usage, usage
from monitor.bench.workload import FeedServer, Workload
from monitor.malloc import freeze_startup
from monitor.model.classify import Classifier
from monitor.runtime import Runtime

UNCHANGED_POLLS = 6000  # feed polls each unchanged-pass figure rests on (_unchanged_passes)


def run_bench(settings_path: Path | None, feeds: int, items: int, as_json: bool, check: bool,
              neardup_items: int, known_misses: Sequence[str] = (),
              article_pages: int | None = None, fresh_passes: int = 2, passes_only: bool = False,
              unchanged_polls: int = UNCHANGED_POLLS, more: Callable[[], bool] | None = None) -> tuple[str, int]:
    """Run the benchmark; returns the report (text or JSON) and the exit code. With
    `passes_only`, the fresh and unchanged passes alone, as JSON without targets (the
    per-feed cost at several sizes: .ci/bench_scaling.py, which reads nothing else; at
    2,000 feeds the anchors, the one-new pass and the near-dup part took 48 s of 78).
    `more`, called before each unchanged pass, says whether to run it (default: as many
    as make `unchanged_polls` feed polls; bench/paced.py: when another process says so)."""
    base = _base_settings(settings_path)
    if more is None:
        more = iter([True] * _unchanged_passes(feeds, unchanged_polls) + [False]).__next__
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
        figures = _measure(Path(tmp), base, feeds, items, neardup_items, 0 if passes_only else article_pages,
                           fresh_passes, more, passes_only)
    if passes_only:
        return json.dumps(figures, indent=2), 1 if figures["errors"] > 0 else 0
    figures["targets"] = report.targets(figures, feeds, neardup_items)
    for target in figures["targets"]:  # printed as missed, not failing --check: an open issue
        target["known_miss"] = target["key"] in known_misses and not target["ok"]
    missed = [t for t in figures["targets"] if not t["ok"] and not t["known_miss"]]
    failed = figures["errors"] > 0
    out = json.dumps(figures, indent=2) if as_json else report.text(figures)
    return out, 1 if failed or (check and missed) else 0


def _base_settings(path: Path | None) -> settings.Loaded | None:
    """The given settings (their model, topics and redis_url), else ./settings.toml if any."""
    if path is None and not settings.default_path().is_file():
        return None
    return settings.load(path)


def _settings_file(tmp: Path, base: settings.Loaded | None, server: FeedServer, names: list[str]) -> Path:
    model = base.model_path if base else Path(__file__).resolve().parent.parent / "models" / "topics.skops"
    topics = base.settings.topics if base else {}
    lines = ["[monitor]", f'data_dir = "{tmp / "data"}"', f'model = "{model}"',
             f'key_prefix = "bench-{uuid.uuid4().hex[:8]}:"',
             "allow_private = true",  # its feed server is on 127.0.0.1
             'backlog = "0s"',  # its items are dated 2026-01-01: the fresh pass scores them all
             # Every synthetic item has 74+ words: with articles "auto" each is checked and
             # none needs its page (the fresh pass measures items that need none; the
             # article part measures pages).
             "article_below_words = 60"]
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
             neardup_items: int, article_pages: int | None, fresh_passes: int,
             more: Callable[[], bool], passes_only: bool = False) -> dict[str, Any]:
    workload = Workload(tmp / "feeds", feeds, items)
    paths = [workload.path(n) for n in workload.names]
    bytes_per_item = round(sum(path.stat().st_size for path in paths) / max(1, feeds * items))
    anchors = None if passes_only else anchors_apart([str(path) for path in paths])
    with FeedServer(workload.root) as server:
        loaded = settings.load(_settings_file(tmp, base, server, workload.names))
        model_seconds = _load_seconds(loaded.model_path)
        classifier = wiring.polling_classifier(loaded)  # as the service holds it
        pages = (f"http://127.0.0.1:{server.port}/{{}}.html", article_pages)
        passes, latencies, errors, rss, extraction, redis_memory = asyncio.run(
            _passes(loaded, classifier, workload, pages, fresh_passes, more, one_new=not passes_only))
    figures: dict[str, Any] = {
        "workload": {"feeds": feeds, "items_per_feed": items, "items": feeds * items,
                     "bytes_per_item": bytes_per_item,
                     "on_topic": workload.on_topic, "copies": workload.copies},
        "model_load_seconds": round(model_seconds, 3),
        "passes": passes, "stages": passes["fresh"]["stages"], "errors": errors,
        "latency_ms": _percentiles(latencies),
        "anchors": anchors,
        "articles": extraction,  # None without the corpus
        "redis_memory": redis_memory,
    }
    service, worker_rss = rss
    figures["peak_rss_mb"] = round(service + worker_rss, 1)
    figures["peak_rss_parts_mb"] = {"service": round(service, 1), "scoring_worker": round(worker_rss, 1)}
    if passes_only:  # no near-dup part (run_bench)
        return figures
    client = redis.Redis.from_url(loaded.redis_url) if loaded.redis_url else None
    samples = min(2000, max(200, neardup_items))
    if neardup_items > report.NEARDUP_TARGET_ITEMS:  # the size the cost must stay flat from
        figures["neardup_base"], figures["neardup"] = bench_sizes(
            [report.NEARDUP_TARGET_ITEMS, neardup_items], samples=samples, client=client)
    else:
        figures["neardup"] = bench_neardup(neardup_items, samples=samples, client=client)
    return figures


def _load_seconds(path: Path) -> float:
    """Seconds to load the model, timed in a process of its own: loaded here, its peak
    would count in the service's peak RSS, which the service itself never reaches when it
    scores in workers (wiring.runtime)."""
    code = ("import sys, time; from pathlib import Path; from monitor.model.classify import Classifier; "
            "t = time.perf_counter(); Classifier.load(Path(sys.argv[1])); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


async def _passes(loaded: settings.Loaded, classifier: Classifier, workload: Workload,
                  pages: tuple[str, int | None], fresh_passes: int, more: Callable[[], bool], one_new: bool = True,
                  ) -> tuple[dict[str, Any], list[float], int, tuple[float, float], dict[str, Any] | None,
                             dict[str, Any]]:
    """The fresh, unchanged and one-new passes; their fresh latencies, errors, the peak
    RSS of the service process and of its scoring worker; then the article part (after the
    RSS: it is the monitor's memory on items that need no page, as the target states)."""
    rt = wiring.runtime(loaded, classifier)
    observed = Latencies()
    rt.observers.append(observed)
    passes: dict[str, Any] = {}
    errors = 0
    try:
        async with rt:
            freeze_startup()  # as the service does once started (malloc.py)
            before = memory.used_memory(rt.store.redis)
            passes["fresh"] = await _pass(rt)
            latencies = list(observed.seconds)  # later passes add only their few new items
            redis_memory = memory.figures(rt.store.redis, rt.store.keys, before, passes["fresh"]["new"],
                                          passes["fresh"]["alerts"])
            unchanged: list[dict[str, Any]] = []
            while more():
                unchanged.append(await _pass(rt))
            if one_new:
                workload.add_item(random.Random(11))
                passes["one_new"] = await _pass(rt)
            errors += sum(p["errors"] for p in (*passes.values(), *unchanged))
            passes["unchanged"] = _median_pass(unchanged)
            fresh = [passes["fresh"]]
            for round_ in range(1, fresh_passes):  # each on as many new items
                workload.renew(random.Random(12 + round_), round_)
                fresh.append(await _pass(rt))
                errors += fresh[-1]["errors"]
            passes["fresh"] = _fastest(fresh)
            # Read before the near-dup bench, whose 100,000 synthetic texts are not the
            # pipeline's. The monitor's memory: this (service) process and its scoring worker.
            rss = usage().peak_mb, (await _worker_usage(rt)).peak_mb
            extraction = await articles.bench_articles(rt, workload.root, *pages)
    finally:
        _clean(rt, loaded)
    return passes, latencies, errors, rss, extraction, redis_memory


def _fastest(fresh: list[dict[str, Any]]) -> dict[str, Any]:
    """Of the fresh passes (each after the first on as many new items, with the earlier ones'
    in Redis), the fastest, with every rate: the anchors are the faster of two runs too
    (anchors.py), and one pass of a few seconds moved by 0.83-1.38x in CI as other work
    loaded the machine."""
    chosen = dict(max(fresh, key=lambda p: p["items_per_second"]))
    chosen["runs"] = [{"items_per_second": p["items_per_second"], "new": p["new"]} for p in fresh]
    return chosen


def _unchanged_passes(feeds: int, polls: int = UNCHANGED_POLLS) -> int:
    """How many unchanged passes to run: at ~0.35 ms per feed a pass of 200 feeds takes
    70 ms, and one busy moment of the machine moves it by 15 %. So every size from 200 feeds
    up polls at least `polls` feeds in all (at least three passes; below 200 feeds, as many
    passes as at 200), and each size's per-feed figure rests on the same amount of work."""
    return max(3, -(-polls // max(200, feeds)))


def _median_pass(passes: list[dict[str, Any]]) -> dict[str, Any]:
    """The pass of median CPU per feed, with the spread of all of them: unlike the cheapest,
    the median of 30 short passes and of 3 long ones estimate the same thing."""
    if not passes:  # a paced bench stopped before its first (its conductor failed: paced.py)
        return {"cpu_ms_per_feed_all": []}
    ranked = sorted(passes, key=lambda p: p["cpu_ms_per_feed"])
    chosen = dict(ranked[len(ranked) // 2])
    chosen["cpu_ms_per_feed_all"] = [p["cpu_ms_per_feed"] for p in passes]
    return chosen


async def _pass(rt: Runtime) -> dict[str, Any]:
    """One poll of every feed: its figures, its CPU and its stages' intervals."""
    intervals = Intervals()
    rt.observers.append(intervals)
    try:
        started, cpu = time.perf_counter(), await _cpu(rt)
        results = await pipeline.poll_once(rt)
        wall = time.perf_counter() - started
        used = await _cpu(rt) - cpu
    finally:
        rt.observers.remove(intervals)
    numbers = _pass_numbers(results, wall)
    numbers["cpu_ms_per_feed"] = round(1000 * used / len(results), 3)
    numbers["stages"] = intervals.table(numbers["items_parsed"])
    return numbers


async def _cpu(rt: Runtime) -> float:
    """CPU seconds of the monitor so far: this (service) process and its scoring worker."""
    return time.process_time() + (await _worker_usage(rt)).cpu_seconds


async def _worker_usage(rt: Runtime) -> Usage:
    found = await rt.scorer.in_worker(usage)
    return found if found is not None else Usage.none()


def _pass_numbers(results: list[pipeline.PollResult], wall: float) -> dict[str, Any]:
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
