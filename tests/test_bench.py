"""`monitor bench` as CI runs it, on a tiny workload: it runs the real pipeline and reports.

Speed is not asserted here (a busy test machine would make that flaky); CI runs
`monitor bench --check` on a larger workload for the targets. One bench run (~12 s) is
shared by the tests of its report; the stage arithmetic is tested on its own below.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from monitor.bench import report as bench_report
from monitor.bench.neardup import _texts
from monitor.bench.observers import Interval, Intervals, wall_seconds
from monitor.bench.usage import usage
from monitor.dedup import terms

pytestmark = pytest.mark.slow  # one whole bench run (~12 s)

ROOT = Path(__file__).resolve().parent.parent


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "monitor.cli", "--settings", str(ROOT / "settings.toml"), "bench",
           "--feeds", "3", "--items", "5", "--neardup-items", "300", "--article-pages", "8", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=100, cwd=ROOT)


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """The JSON report of one whole bench run, through the command line."""
    result = bench("--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_bench_json_reports_every_pass_stage_anchor_and_target(report: dict[str, Any]) -> None:
    assert {"workload", "passes", "stages", "anchors", "latency_ms", "peak_rss_mb", "neardup",
            "targets", "errors"} <= set(report)
    assert report["errors"] == 0
    passes = report["passes"]
    assert passes["fresh"]["outcomes"] == {"ok": 3} and passes["fresh"]["new"] == 15
    # two fresh passes, each on 15 new items; the faster counts (as the faster anchor run does)
    runs = passes["fresh"]["runs"]
    assert [run["new"] for run in runs] == [15, 15]
    assert passes["fresh"]["items_per_second"] == max(run["items_per_second"] for run in runs)
    assert passes["unchanged"]["outcomes"] == {"not_modified": 3}  # the ETag was honoured
    assert passes["one_new"]["outcomes"] == {"ok": 3} and passes["one_new"]["new"] == 3
    assert set(report["stages"]) == {"fetch", "parse", "seen", "classify", "neardup", "claim", "surge"}
    assert report["stages"]["parse"]["items"] == 15 and report["stages"]["claim"]["items"] == 15
    assert report["anchors"]["feedparser"]["items"] == report["anchors"]["lxml"]["items"] == 15
    assert report["latency_ms"]["n"] == 15 and report["latency_ms"]["p99"] >= report["latency_ms"]["p50"] > 0
    assert report["neardup"]["items_indexed"] == 300
    # timed with the bench and its own embedded Redis on one CPU, then a round as scheduled
    assert report["neardup"]["one_cpu"] == 1.0 and report["neardup"]["scheduled_p99_ms"] > 0
    names = [t["name"] for t in report["targets"]]
    pages = report["articles"]  # the article part, where the article-extraction corpus is
    assert len(names) == (8 if pages else 6) and all("ok" in t and "value" in t for t in report["targets"])
    assert "near-dup bytes per indexed item" in names and report["neardup"]["bytes_per_item"] > 0
    if pages:
        assert pages["pages"] == 8 and pages["failed"] == 0 and 0.5 < pages["f1"] <= 1.0
        assert "article extraction token F1" in names and pages["bare"]["pages_per_second"] > 0
    assert "measured with 3 feeds" in report["targets"][3]["note"]
    assert 0 < report["redis_memory"]["seen_bytes_per_item"] and report["redis_memory"]["used_memory_per_item"] > 0


def test_feed_passes_only_reports_the_fresh_and_unchanged_passes_alone() -> None:
    """The passes alone (.ci/bench_scaling.py's benches, paced: the test below), and none of
    the other parts; as many unchanged passes as --unchanged-polls asks for (below 200
    feeds, as many as 200 feeds take)."""
    result = bench("--feed-passes-only", "--fresh-passes", "1", "--unchanged-polls", "1001")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert set(found["passes"]) == {"fresh", "unchanged"} and found["errors"] == 0
    assert found["passes"]["unchanged"]["outcomes"] == {"not_modified": 3}
    assert len(found["passes"]["unchanged"]["cpu_ms_per_feed_all"]) == 6  # 1,001 polls of 200 feeds
    assert found["passes"]["fresh"]["new"] == 15 and found["peak_rss_mb"] > 0
    assert found["anchors"] is None and found["articles"] is None and "neardup" not in found


def test_bench_stages_have_wall_and_busy_time_within_the_pass(report: dict[str, Any]) -> None:
    fresh = report["passes"]["fresh"]
    assert report["stages"] == fresh["stages"]
    for name in ("fetch", "parse", "seen", "classify", "claim"):  # near-dup runs only if one alerts
        s = report["stages"][name]
        assert 0 < s["wall_seconds"] <= s["busy_seconds"], name
        assert s["wall_seconds"] <= fresh["seconds"], name  # the union fits in the pass; the sum need not
        # items per WALL second (both figures rounded: 4 decimals, 1 decimal)
        rate = s["items_per_wall_second"]
        assert abs(rate * s["wall_seconds"] - s["items"]) <= rate * 5e-5 + 0.05 * s["wall_seconds"], name
    assert report["stages"]["fetch"]["items"] == report["stages"]["seen"]["items"] == 15
    assert report["passes"]["unchanged"]["stages"]["parse"] == {
        "items": 0, "wall_seconds": 0.0, "busy_seconds": 0.0, "items_per_wall_second": None}


def test_bench_text_names_each_target_and_explains_the_stage_columns(report: dict[str, Any]) -> None:
    text = bench_report.text(report)
    assert "targets:" in text and "fresh end-to-end / bare feedparser" in text
    assert "near-dup check+index p99" in text and "peak RSS" in text
    assert "near-dup at 300 items (the bench and its Redis on one CPU)" in text
    assert "in a round as the host schedules them" in text
    assert "wall s = time during which at" in text and "busy s = the sum" in text
    fetch = report["stages"]["fetch"]
    line = next(line.split() for line in text.splitlines() if line.startswith("  fetch "))
    assert line == ["fetch", "15", f"{fetch['wall_seconds']:.3f}", f"{fetch['busy_seconds']:.3f}",
                    f"{fetch['items_per_wall_second']:.0f}"]


def test_near_dup_targets_compare_the_larger_index_with_the_stated_size() -> None:
    def nd(items: int, p99: float, size: float) -> dict[str, Any]:
        return {"items_indexed": items, "p99_ms": p99, "bytes_per_item": size}

    one = bench_report._neardup_targets({"neardup": nd(100_000, 1.5, 700.0)})
    assert [(t["name"], t["key"], t["ok"]) for t in one] == [("near-dup bytes per indexed item", "near-dup-memory",
                                                               True)]
    base = nd(100_000, 1.5, 700.0)
    both = bench_report._neardup_targets({"neardup": nd(1_000_000, 2.0, 900.0), "neardup_base": base})
    assert [t["ok"] for t in both] == [False, False]  # 900 B > 800 B; 2.0 / 1.5 = 1.33x > 1.3x
    # its own key: the 2 ms p99 printed as a known miss leaves the growth enforced
    assert both[1]["value"] == round(2.0 / 1.5, 4) and both[1]["key"] == "near-dup-growth"
    assert bench_report._neardup_targets({"neardup": nd(1_000_000, 1.9, 700.0), "neardup_base": base})[1]["ok"]


def test_wall_time_is_the_union_of_a_stages_intervals() -> None:
    def spans(*pairs: tuple[float, float]) -> list[Interval]:
        return [Interval(a, b, 0) for a, b in pairs]

    assert wall_seconds([]) == 0.0
    assert wall_seconds(spans((0, 1), (2, 3))) == 2.0  # apart
    assert wall_seconds(spans((2, 5), (0, 3))) == 5.0  # overlapping, told out of order
    assert wall_seconds(spans((0, 10), (1, 2), (3, 4))) == 10.0  # nested
    assert wall_seconds(spans((0, 1), (1, 2), (5, 6))) == 3.0  # touching


def test_stage_table_counts_items_told_or_parsed_and_rates_them_per_wall_second() -> None:
    seen = Intervals()
    for started, ended, items in ((0.0, 2.0, 10), (1.0, 3.0, 20)):  # two claims at once
        seen.stage("claim", started, ended, items)
    seen.stage("fetch", 0.0, 4.0, 0)  # timed before its items are known: they are the pass's
    table = seen.table(items_parsed=40)
    assert table["claim"] == {"items": 30, "wall_seconds": 3.0, "busy_seconds": 4.0, "items_per_wall_second": 10.0}
    assert table["fetch"] == {"items": 40, "wall_seconds": 4.0, "busy_seconds": 4.0, "items_per_wall_second": 10.0}
    assert table["neardup"] == {"items": 0, "wall_seconds": 0.0, "busy_seconds": 0.0, "items_per_wall_second": None}


def test_usage_reads_this_process_cpu_and_peak_rss() -> None:
    before = usage()
    sum(i * i for i in range(200_000))  # some CPU
    after = usage()
    assert after.cpu_seconds > before.cpu_seconds
    assert 10 < before.peak_mb <= after.peak_mb  # any Python process with pytest is over 10 MB


def test_the_near_dup_bench_texts_carry_enough_names_for_the_rewording_test() -> None:
    # The script runs the rewording test only with MIN_SHARED_NAMES names on each side;
    # texts without names (the bench's until 2026-11-28) timed a check that skipped it.
    sketches = [terms.sketch(text) for text in _texts(50, seed=3)]
    assert min(len(s.names) for s in sketches) >= terms.MIN_SHARED_NAMES


def test_paced_benches_run_the_unchanged_passes_they_are_given_in_turns() -> None:
    """.ci/bench_scaling.py's conductor: each bench runs as many unchanged passes as it is
    told, when it is told, and reports them as `--feed-passes-only` does."""
    from monitor.bench.paced import Conductor

    with Conductor((6, 3), ROOT / "settings.toml") as conductor:
        conductor.start()
        for _ in range(2):
            conductor.passes(6, 1)
            conductor.passes(3, 2)
        reports = {n: json.loads(text) for n, text in conductor.finish().items()}
    for feeds, passes in ((6, 2), (3, 4)):
        found = reports[feeds]
        assert found["workload"]["feeds"] == feeds and found["errors"] == 0
        assert len(found["passes"]["unchanged"]["cpu_ms_per_feed_all"]) == passes
        assert found["passes"]["unchanged"]["outcomes"] == {"not_modified": feeds}
        assert found["passes"]["fresh"]["new"] == 5 * feeds and found["peak_rss_mb"] > 0
    assert all(not p.is_alive() for p in conductor.processes)


def test_a_paced_bench_that_fails_fails_its_conductor_instead_of_hanging_it(tmp_path: Path) -> None:
    from monitor.bench.paced import Conductor

    with Conductor((3,), tmp_path / "absent.toml") as conductor:
        with pytest.raises(RuntimeError, match=r"^error: .*absent\.toml"):
            conductor.start()
    assert conductor.processes[0].exitcode not in (0, None)
