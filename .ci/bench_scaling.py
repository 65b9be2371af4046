"""Per-feed cost flat in the number of feeds: `monitor bench` at two sizes (issue 16).

Runs the bench at SMALL and LARGE feeds (each in its own process, so each peak RSS is its
own), ROUNDS times each, alternating, and fails when the unchanged-poll CPU per feed at
LARGE exceeds RATIO times SMALL's, or when the peak RSS of the monitor's processes at LARGE
exceeds RSS_MB. Each bench's figure is the median of its unchanged passes, which together
poll at least 6,000 feeds at either size (monitor/bench/run.py). A whole run can be slowed
by the machine (three processes share two cores: medians of 0.335-0.453 ms per feed across
runs of the same code at 2,000 feeds), or sped: each size counts the median of its rounds
(the cheapest of three, as it was, read 0.336 ms at 200 feeds in one run and 0.452-0.511 in
its two others, 2026-12-04, and the ratio 1.536; 0.921 in the next run), and the RSS check
the largest one. Prints every run's figures.

    .venv/bin/python .ci/bench_scaling.py [--small 200] [--large 2000] [--known-miss rss]

`--known-miss cpu|rss` prints that check's miss as MISSED without failing (an open item,
measured in every run), as `monitor bench --known-miss` does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

RATIO = 1.2  # unchanged-poll CPU per feed, LARGE over SMALL
RSS_MB = 300.0  # peak RSS (service process + scoring worker) at LARGE
ROUNDS = 5  # runs per size, alternating small and large (a run at 2,000 feeds: ~30 s, --feed-passes-only)
MONITOR = Path(sys.executable).with_name("monitor")


def bench(feeds: int) -> dict:
    """One bench run's JSON figures: 5 items a feed, one fresh pass (a second added 3 minutes
    to CI at 2,000 feeds, and measures nothing here), and of the rest only the unchanged
    passes (`--feed-passes-only`: no anchors, one-new pass, article pages or near-dup index,
    48 s of a 78 s run at 2,000 feeds)."""
    out = subprocess.run([str(MONITOR), "bench", "--feeds", str(feeds), "--items", "5", "--fresh-passes", "1",
                          "--feed-passes-only"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--known-miss", action="append", default=[], choices=["cpu", "rss"])
    args = parser.parse_args()
    runs: dict[int, list[dict]] = {args.small: [], args.large: []}
    for _ in range(ROUNDS):
        for n in (args.small, args.large):
            r = bench(n)
            runs[n].append(r)
            p, m = r["passes"], r["redis_memory"]
            print(f"{n:>6} feeds: unchanged {p['unchanged']['cpu_ms_per_feed']:.3f} CPU ms/feed "
                  f"(median of {len(p['unchanged']['cpu_ms_per_feed_all'])} passes), fresh "
                  f"{p['fresh']['cpu_ms_per_feed']:.3f} CPU ms/feed, fresh p99 latency {r['latency_ms']['p99']} ms, "
                  f"peak RSS {r['peak_rss_mb']:.0f} MB, Redis {m['used_memory_per_item']:.0f} B/item "
                  f"(seen-set {m['seen_bytes_per_item']:.1f} B/item)", flush=True)
    small, large = (statistics.median(r["passes"]["unchanged"]["cpu_ms_per_feed"] for r in runs[n])
                    for n in (args.small, args.large))
    checks = [("cpu", f"unchanged-poll CPU per feed {args.large} / {args.small} feeds "
                      f"({large:.3f} / {small:.3f}, each the median of {ROUNDS} runs)", large / small, RATIO),
              ("rss", f"peak RSS at {args.large} feeds (MB, the largest of {ROUNDS} runs)",
               max(r["peak_rss_mb"] for r in runs[args.large]), RSS_MB)]
    failed = False
    for key, name, value, limit in checks:
        ok = value <= limit
        known = not ok and key in args.known_miss
        failed |= not ok and not known
        print(f"  {'ok    ' if ok else 'MISSED'} {name}: {value:.3f} <= {limit}"
              + (" (known miss, not failing the run)" if known else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
