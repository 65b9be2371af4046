"""Trimming a consumer group's stream of the entries it has finished with.

Ended deliveries delete their own entry (XDEL); this bounds what a crash between XACK and
XDEL, or a writer outside the group, could leave: it drops the entries before the oldest one
not yet ended (XTRIM MINID), so entries still pending or not yet read are never touched.
"""

from __future__ import annotations

import redis

from monitor.codec import text


def trim_before_unended(client: redis.Redis, stream: str, group_name: str) -> int:
    """XTRIM `stream` to its oldest entry that `group_name` has not read or not yet
    acknowledged; returns the entries removed (0 with no stream or group yet)."""
    try:
        groups = client.xinfo_groups(stream)
        pending = client.xpending(stream, group_name)
    except redis.ResponseError:  # no stream or group yet: nothing to trim
        return 0
    group = next((g for g in groups if text(g["name"]) == group_name), None)
    if group is None:
        return 0
    floor = _next_id(text(group["last-delivered-id"]))  # every entry at or after it is unread
    if pending["pending"]:
        floor = min(floor, _parse_id(text(pending["min"])))
    return int(client.xtrim(stream, minid=f"{floor[0]}-{floor[1]}", approximate=False))


def _parse_id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _next_id(entry_id: str) -> tuple[int, int]:
    ms, seq = _parse_id(entry_id)
    return ms, seq + 1
