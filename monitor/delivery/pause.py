"""A channel's Retry-After, shared by every sender through Redis.

A channel that answers 429 (or 503) with Retry-After is paused for that long (sender.py).
Each sender kept the pause to itself, so with several workers each one sent, and was
refused, once more before it paused too: N workers, N refusals, where the channel asked
for none after the first. The time the channel asked to wait until is a field of the
channel's hash (keys.Keys.channel: one per channel, pruned with it), read by every sender
before a send it has no pause of its own for.

A pause ends at most RETRY_AFTER_MAX after the clock that set it (transport.py caps the
wait), and that clock is at most CLOCK_SKEW ahead of any other worker's. One that ends
later was set by a clock since set back (an NTP step, a VM resumed) and is over: read as
it is, a clock 3 h ahead paused its channel 3 h longer than asked.
"""

from __future__ import annotations

from monitor.defaults import RETRY_AFTER_MAX
from monitor.delivery.outbox import Outbox
from monitor.seen import latest_stamp
from monitor.store import redis_errors

PAUSED_UNTIL = "paused_until"  # field of the channel's hash: the wall-clock time its pause ends


def holds(until: float, now: float) -> bool:
    """Whether a pause ending at `until` still holds the channel at `now`."""
    return now < until <= latest_stamp(now, RETRY_AFTER_MAX)


def pause(outbox: Outbox, channel: str, until: float) -> None:
    """Pause `channel` for every sender until `until` (the channel's latest answer decides)."""
    with redis_errors("pausing a channel"):
        outbox.redis.hset(outbox.keys.channel(channel), PAUSED_UNTIL, f"{until:.3f}")


def paused_until(outbox: Outbox, channel: str, now: float) -> float:
    """When the channel's pause ends (0: it has none that holds at `now`)."""
    with redis_errors("reading a channel's pause"):
        until = outbox.redis.hget(outbox.keys.channel(channel), PAUSED_UNTIL)
    return float(until) if until is not None and holds(float(until), now) else 0.0
