"""A channel's Retry-After, shared by every sender through Redis.

A channel that answers 429 (or 503) with Retry-After is paused for that long (sender.py).
Each sender kept the pause to itself, so with several workers each one sent, and was
refused, once more before it paused too: N workers, N refusals, where the channel asked
for none after the first. The time the channel asked to wait until is a field of the
channel's hash (keys.Keys.channel: one per channel, pruned with it), read by every sender
before a send it has no pause of its own for.
"""

from __future__ import annotations

from monitor.delivery.outbox import Outbox
from monitor.store import redis_errors

PAUSED_UNTIL = "paused_until"  # field of the channel's hash: the wall-clock time its pause ends


def pause(outbox: Outbox, channel: str, until: float) -> None:
    """Pause `channel` for every sender until `until` (the channel's latest answer decides)."""
    with redis_errors("pausing a channel"):
        outbox.redis.hset(outbox.keys.channel(channel), PAUSED_UNTIL, f"{until:.3f}")


def paused_until(outbox: Outbox, channel: str) -> float:
    """When the channel's pause ends (0: it has none)."""
    with redis_errors("reading a channel's pause"):
        until = outbox.redis.hget(outbox.keys.channel(channel), PAUSED_UNTIL)
    return float(until) if until is not None else 0.0
