"""Per-feed cost flat in the number of feeds: `monitor bench` at two sizes (issue 16).

Runs the bench at SMALL and LARGE feeds (each in its own process, so each peak RSS is its
own), ROUNDS times each, alternating, and fails when the unchanged-poll CPU per feed at
LARGE exceeds RATIO times SMALL's, or when the peak RSS of the monitor's processes at LARGE
exceeds RSS_MB. Each size's figure is the median of all its unchanged passes, which
together poll POLLS feeds a run at either size (150 passes of 200 feeds, 15 of 2,000).

Why so many: the machine's speed drifts over seconds. In one process of 200 feeds, the
medians of six stretches of 20 passes (~1.6 s each) read 0.385-0.584 ms per feed, and
whole runs of 30 passes 0.35-0.64 in one CI run (2026-12-04). With five rounds of 6,000
polls (3 passes at 2,000 feeds, ~3 s of passes) each size sampled ~15 s of the machine,
and the ratio of one code read 0.960, 1.072 and 1.203 in three CI runs, the last over
RATIO. Three rounds of POLLS sample ~40 s a size in the same time (a run at 2,000 feeds
is ~30 s of fresh pass and start; its 15 passes ~15 s). A busy moment moves either size,
so the figure of all passes, not the cheapest, counts; the RSS check the largest run.
Prints every run's figures.

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
ROUNDS = 3  # runs per size, alternating small and large (a run at 2,000 feeds: ~43 s, --feed-passes-only)
POLLS = 30_000  # feed polls of a run's unchanged passes, at either size
MONITOR = Path(sys.executable).with_name("monitor")


def bench(feeds: int) -> dict:
    """One bench run's JSON figures: 5 items a feed, one fresh pass (a second added 3 minutes
    to CI at 2,000 feeds, and measures nothing here), and of the rest only the unchanged
    passes (`--feed-passes-only`: no anchors, one-new pass, article pages or near-dup index,
    48 s of a 78 s run at 2,000 feeds)."""
    out = subprocess.run([str(MONITOR), "bench", "--feeds", str(feeds), "--items", "5", "--fresh-passes", "1",
                          "--feed-passes-only", "--unchanged-polls", str(POLLS)],
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
    passes = {n: [cpu for r in runs[n] for cpu in r["passes"]["unchanged"]["cpu_ms_per_feed_all"]] for n in runs}
    small, large = (statistics.median(passes[n]) for n in (args.small, args.large))
    checks = [("cpu", f"unchanged-poll CPU per feed {args.large} / {args.small} feeds ({large:.3f} / {small:.3f}, "
                      f"each the median of {len(passes[args.large])} / {len(passes[args.small])} passes "
                      f"over {ROUNDS} runs)", large / small, RATIO),
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
