"""Redis memory of the bench's fresh pass: `used_memory` per item, what the seen-set and
the kept alerts cost each, and every key family's share (MEMORY USAGE of its keys), so the
per-item cost of state is measured with the workload, not guessed."""

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


def families(client: redis.Redis, keys: Keys) -> dict[str, dict[str, int]]:
    """Keys and bytes (MEMORY USAGE, every element counted) of each key family of keys.py
    (`alert:*`, `nd:rec2:*`; "?" for a key in none), largest first."""
    found: dict[str, dict[str, int]] = {}
    for raw in client.scan_iter(match=keys.named(""), count=1000):
        name = raw.decode() if isinstance(raw, bytes) else str(raw)
        kind = keys.family_of(name)
        entry = found.setdefault(kind.pattern if kind else "?", {"keys": 0, "bytes": 0})
        entry["keys"] += 1
        entry["bytes"] += int(client.memory_usage(raw, samples=0) or 0)
    return dict(sorted(found.items(), key=lambda kv: -kv[1]["bytes"]))


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
        "families": families(client, keys),  # bytes of each key family (the rest: Redis's own)
        # Buffers of the service's connections (one per Redis thread): Redis's own, not state.
        "client_buffers": int(client.memory_stats().get("clients.normal", 0)),
    }


def line(m: dict[str, Any]) -> str:
    items = max(1, m["items"])
    parts = ", ".join(f"{name} {f['bytes'] / items:.0f}" for name, f in m.get("families", {}).items()
                      if f["bytes"] / items >= 1)
    clients = m.get("client_buffers", 0) / items
    return (f"Redis after the first fresh pass ({m['items']} items, {m['alerts']} alerts): used_memory "
            f"+{m['used_memory_grown'] / 1e6:.1f} MB = {m['used_memory_per_item']:.0f} B per item "
            f"(everything: seen-set, near-dup index, recent, outbox, alerts); seen-set "
            f"{m['seen_bytes_per_item']:.1f} B per item; an alert:<id> key {m['alert_key_bytes_each']:.0f} B\n"
            f"  by key family, B per item (MEMORY USAGE): {parts}; connections' buffers {clients:.0f}")
