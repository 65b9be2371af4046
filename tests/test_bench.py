"""`monitor bench` as CI runs it, on a tiny workload: it runs the real pipeline and reports.

Speed is not asserted here (a busy test machine would make that flaky); CI runs
`monitor bench --check` on a larger workload for the targets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "monitor.cli", "--settings", str(ROOT / "settings.toml"), "bench",
           "--feeds", "3", "--items", "5", "--neardup-items", "300", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=100, cwd=ROOT)


def test_bench_json_reports_every_pass_stage_anchor_and_target() -> None:
    result = bench("--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"workload", "passes", "stages", "anchors", "latency_ms", "peak_rss_mb", "neardup",
            "targets", "errors"} <= set(report)
    assert report["errors"] == 0
    passes = report["passes"]
    assert passes["fresh"]["outcomes"] == {"ok": 3} and passes["fresh"]["new"] == 15
    assert passes["unchanged"]["outcomes"] == {"not_modified": 3}  # the ETag was honoured
    assert passes["one_new"]["outcomes"] == {"ok": 3} and passes["one_new"]["new"] == 3
    assert set(report["stages"]) == {"fetch", "parse", "seen", "classify", "neardup", "claim"}
    assert report["stages"]["parse"]["items"] == 15 and report["stages"]["claim"]["items"] == 15
    assert report["anchors"]["feedparser"]["items"] == report["anchors"]["lxml"]["items"] == 15
    assert report["latency_ms"]["n"] == 15 and report["latency_ms"]["p99"] >= report["latency_ms"]["p50"] > 0
    assert report["neardup"]["items_indexed"] == 300
    names = [t["name"] for t in report["targets"]]
    assert len(names) == 4 and all("ok" in t and "value" in t for t in report["targets"])
    assert "measured with 3 feeds" in report["targets"][3]["note"]


def test_bench_text_names_each_target() -> None:
    result = bench()
    assert result.returncode == 0, result.stderr
    assert "targets:" in result.stdout and "fresh end-to-end / bare feedparser" in result.stdout
    assert "near-dup check+index p99" in result.stdout and "peak RSS" in result.stdout
