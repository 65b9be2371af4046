"""Per-feed cost flat in the number of feeds: `monitor bench` at two sizes (issue 16).

Runs the bench at SMALL and LARGE feeds, each in its own process (so each peak RSS is its
own), PAIRS times, and fails when the unchanged-poll CPU per feed at LARGE exceeds RATIO
times SMALL's, or when the peak RSS of the monitor's processes at LARGE exceeds RSS_MB.

Both processes of a pair start and run their fresh pass, then take turns (bench/paced.py):
a block of unchanged passes at SMALL, then one at LARGE, each polling BLOCK_POLLS feeds
(10 passes of 200, 1 of 2,000; ~1 s), TURNS times. Each turn's ratio is LARGE's block over
SMALL's block just before it, and the figure is the median of all turns' ratios (the first
turn of each pair is dropped: it follows the other size's start, with the pool's kept
connections timed out).

Why turns: the machine's speed drifts over seconds. In one process of 200 feeds, six
stretches of 20 passes (~1.6 s each) read 0.385-0.584 ms per feed (2026-12-04). Run one
after the other, each size sampled other moments of the machine: with three runs a size and
the median of all passes, the ratio of one code read 1.044, 1.053, 0.940, 1.044 and 1.158
(the last with its three runs' ratios at 1.01, 1.23 and 1.17), and one run of five 1.203.
Neighbouring blocks see the same machine. Prints each pair's figures.

    .venv/bin/python .ci/bench_scaling.py [--small 200] [--large 2000] [--known-miss rss]

`--known-miss cpu|rss` prints that check's miss as MISSED without failing (an open item,
measured in every run), as `monitor bench --known-miss` does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from monitor.bench.paced import Conductor

RATIO = 1.2  # unchanged-poll CPU per feed, LARGE over SMALL
RSS_MB = 300.0  # peak RSS (service process + scoring worker) at LARGE
PAIRS = 2  # pairs of processes, one after the other (a pair: ~35 s of start and fresh pass at 2,000 feeds)
TURNS = 26  # turns of a pair, the first dropped
BLOCK_POLLS = 2000  # feed polls of one size's block in a turn


def pair(small: int, large: int) -> tuple[list[float], dict, dict]:
    """One pair's turn ratios, and each size's JSON figures."""
    blocks = {n: -(-BLOCK_POLLS // n) for n in (small, large)}
    with Conductor((large, small)) as conductor:
        conductor.start()
        for _ in range(TURNS):
            for n in (small, large):
                conductor.passes(n, blocks[n])
        reports = {n: json.loads(text) for n, text in conductor.finish().items()}
    cpu = {n: reports[n]["passes"]["unchanged"]["cpu_ms_per_feed_all"] for n in reports}
    per_turn = {n: [statistics.mean(cpu[n][t * blocks[n]:(t + 1) * blocks[n]]) for t in range(TURNS)]
                for n in cpu}
    ratios = [per_turn[large][t] / per_turn[small][t] for t in range(1, TURNS)]
    return ratios, reports[small], reports[large]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--known-miss", action="append", default=[], choices=["cpu", "rss"])
    args = parser.parse_args()
    ratios: list[float] = []
    rss: list[float] = []
    for _ in range(PAIRS):
        turns, small, large = pair(args.small, args.large)
        ratios += turns
        rss.append(large["peak_rss_mb"])
        for n, r in ((args.small, small), (args.large, large)):
            p, m = r["passes"], r["redis_memory"]
            print(f"{n:>6} feeds: unchanged {p['unchanged']['cpu_ms_per_feed']:.3f} CPU ms/feed "
                  f"(median of {len(p['unchanged']['cpu_ms_per_feed_all'])} passes), fresh "
                  f"{p['fresh']['cpu_ms_per_feed']:.3f} CPU ms/feed, fresh p99 latency {r['latency_ms']['p99']} ms, "
                  f"peak RSS {r['peak_rss_mb']:.0f} MB, Redis {m['used_memory_per_item']:.0f} B/item "
                  f"(seen-set {m['seen_bytes_per_item']:.1f} B/item)", flush=True)
        print(f"  turns' ratios {args.large} / {args.small}: median {statistics.median(turns):.3f}, "
              f"range {min(turns):.3f}-{max(turns):.3f}", flush=True)
    checks = [("cpu", f"unchanged-poll CPU per feed {args.large} / {args.small} feeds (the median of "
                      f"{len(ratios)} turns' ratios over {PAIRS} pairs of processes)",
               statistics.median(ratios), RATIO),
              ("rss", f"peak RSS at {args.large} feeds (MB, the larger of {PAIRS} runs)", max(rss), RSS_MB)]
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
