"""Trimming a consumer group's stream of the entries it has finished with.

Ended deliveries delete their own entry (XDEL); this bounds what a crash between XACK and
XDEL, or a writer outside the group, could leave: it drops the entries before the oldest one
not yet ended (XTRIM MINID), so entries still pending or not yet read are never touched.
And the group's consumers: every process reads under a name of its own (host-pid), which
Redis keeps until it is deleted, so each restart or `poll --once` would leave one behind.
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


# Delete the group's consumers that hold nothing and have been idle past ARGV[3] ms (or
# ARGV[2], this process's own, when ARGV[3] is -1), in one step: a consumer whose pending
# list is read empty here cannot take an entry before it goes (XGROUP DELCONSUMER drops a
# consumer's pending entries, so one holding any is never deleted).
#   KEYS: stream   ARGV: group, own name, min idle ms (-1: only the own one)
FORGET_LUA = """
local gone = 0
for _, row in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local c = {}
  for i = 1, #row, 2 do c[row[i]] = row[i + 1] end
  local mine = c['name'] == ARGV[2]
  local min_idle = tonumber(ARGV[3])
  if c['pending'] == 0 and ((min_idle < 0 and mine) or (min_idle >= 0 and not mine and c['idle'] > min_idle)) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], c['name'])
    gone = gone + 1
  end
end
return gone
"""


def forget_consumers(client: redis.Redis, stream: str, group_name: str, own: str, min_idle_ms: int) -> int:
    """Delete the consumers of `group_name` that hold no entry and have been idle longer
    than `min_idle_ms` (other processes', gone), or with -1 only `own` if it holds none (a
    clean exit); returns how many went (0 with no stream or group yet)."""
    try:
        return int(client.eval(FORGET_LUA, 1, stream, group_name, own, min_idle_ms))
    except redis.ResponseError as exc:
        if "no such key" in str(exc).lower() or "NOGROUP" in str(exc):
            return 0
        raise


def _parse_id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _next_id(entry_id: str) -> tuple[int, int]:
    ms, seq = _parse_id(entry_id)
    return ms, seq + 1
