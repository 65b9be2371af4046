"""Redis memory of the bench's fresh pass: `used_memory` per item, and what the seen-set
and the kept alerts cost each (MEMORY USAGE of their keys), so the per-item cost of state
is measured with the workload, not guessed."""

from __future__ import annotations

from typing import Any

import redis

from monitor.keys import Keys


def used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def _usage(client: redis.Redis, pattern: str) -> tuple[int, int]:
    """(keys, bytes) of the keys matching `pattern` (SAMPLES 0: every element counted)."""
    count = total = 0
    for key in client.scan_iter(match=pattern, count=1000):
        count += 1
        total += int(client.memory_usage(key, samples=0) or 0)
    return count, total


def figures(client: redis.Redis, keys: Keys, before: int, items: int, alerts: int) -> dict[str, Any]:
    """Redis memory after the fresh pass, against `before` (used_memory before it)."""
    _, seen_bytes = _usage(client, keys.seen_buckets + "*")
    legacy_keys, legacy_bytes = _usage(client, keys.seen("*"))  # none unless an earlier layout wrote them
    alert_keys, alert_bytes = _usage(client, keys.alert("*"))
    grown = used_memory(client) - before
    return {
        "used_memory_grown": grown,
        "used_memory_per_item": round(grown / max(1, items), 1),
        "seen_bytes_per_item": round((seen_bytes + legacy_bytes) / max(1, items), 1),
        "alert_key_bytes_each": round(alert_bytes / max(1, alert_keys), 1),
        "items": items, "alerts": alerts,
    }


def line(m: dict[str, Any]) -> str:
    return (f"Redis after the fresh pass ({m['items']} items, {m['alerts']} alerts): used_memory "
            f"+{m['used_memory_grown'] / 1e6:.1f} MB = {m['used_memory_per_item']:.0f} B per item "
            f"(everything: seen-set, near-dup index, recent, outbox, alerts); seen-set "
            f"{m['seen_bytes_per_item']:.1f} B per item; an alert:<id> key {m['alert_key_bytes_each']:.0f} B")
