"""Every alert that waits, read from the outbox's Redis state without changing it: queued
in the stream, being sent, held in a channel's digest (by its mode, rate limit or quiet
hours, with when it will go), scheduled for a retry, and dead. For `monitor outbox` and
the held count of `monitor status`.

A retry due later than seen.latest_stamp(now, the longest wait a sender gives) was put back
by a clock since set back: the sender releases it at its next round (outbox.release_due),
so it is read as `stamped_ahead`, its stored due kept.

When a held alert goes is worked out with the sender's own rule (policy.digest_due),
stepped forward a minute at a time from now, with the channel's recorded sends ageing out
of the hour as they will.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis

from monitor import spans
from monitor.delivery.entries import readable_or_none  # None: a newer version's entry, counted, not listed
from monitor.delivery.outbox_digest import hour_span
from monitor.delivery.policy import ChannelPolicy, digest_due, hour_full, in_quiet_hours
from monitor.items import Alert, Digest, Queued
from monitor.keys import DIGEST_SINCE, LAST_DIGEST, OUTBOX_GROUP, Keys
from monitor.seen import latest_stamp
from monitor.store import redis_errors

State = Literal["queued", "sending", "held", "retrying", "dead"]
STATES: tuple[State, ...] = ("queued", "sending", "held", "retrying", "dead")
LOOK_AHEAD = 8 * 86400.0  # a held alert's send time is searched this far (a weekly gap is not a schedule)
STEP = 60.0  # seconds between the moments tried (digest times are whole minutes)
READ_MAX = 1000  # entries read per state; the counts are exact


@dataclass(frozen=True)
class Waiting:
    """One alert (or digest) that has not been delivered yet."""

    state: State
    queued: Queued
    channel: str
    due: float | None  # when it goes: the retry's time, the held digest's; None: as soon as a sender can
    why: str  # what holds it: the policy, or the last failure
    stamped_ahead: bool = False  # a retry `due` by a clock since set back: it goes at the next round


def read(client: redis.Redis, keys: Keys, policies: Mapping[str, ChannelPolicy], now: float,
         longest: float) -> tuple[list[Waiting], dict[State, int]]:
    """Every waiting alert (up to READ_MAX per state) and the count of each state; `longest`:
    the longest wait a sender puts an alert back for (loops.longest_wait)."""
    with redis_errors("reading the outbox"):
        entries = cast(list[Any], client.xrange(keys.outbox, count=READ_MAX))
        sending = _pending_ids(client, keys)
        retries = cast(list[tuple[bytes, float]], client.zrange(keys.retry, 0, READ_MAX - 1, withscores=True))
        dead = cast(list[bytes], client.lrange(keys.dead, 0, READ_MAX - 1))
        counts = _counts(client, keys, policies, len(sending))
        held = [w for name, policy in policies.items() for w in _held(client, keys, name, policy, now)]
    out = [Waiting("sending" if entry_id in sending else "queued", q, q.alert.channel, None, "")
           for entry_id, q in _decoded(entries)]
    out += [Waiting("retrying", q, q.alert.channel, due, q.last_error or "its channel asked to wait",
                    due > latest_stamp(now, longest))
            for q, due in ((readable_or_none(raw), float(score)) for raw, score in retries) if q is not None]
    out += held
    out += [Waiting("dead", q, q.alert.channel, None, q.last_error)
            for q in map(readable_or_none, dead) if q is not None]
    return out, counts


def held_count(client: redis.Redis, keys: Keys, channels: Sequence[str]) -> int:
    """Alerts held in the channels' digests (the outbox's depth does not count them)."""
    with redis_errors("measuring the digests"):
        pipe = client.pipeline(transaction=False)
        for name in channels:
            pipe.llen(keys.digest(name))
        return sum(int(n) for n in pipe.execute())


def _decoded(entries: Sequence[Any]) -> list[tuple[bytes, Queued]]:
    found = [(entry_id, readable_or_none(fields[b"alert"]))
             for entry_id, fields in entries if fields and b"alert" in fields]
    return [(entry_id, q) for entry_id, q in found if q is not None]


def _pending_ids(client: redis.Redis, keys: Keys) -> set[bytes]:
    try:
        rows = client.xpending_range(keys.outbox, OUTBOX_GROUP, "-", "+", READ_MAX)
    except redis.ResponseError:  # no group yet: nothing was ever enqueued
        return set()
    return {cast(bytes, row["message_id"]) for row in rows}


def _counts(client: redis.Redis, keys: Keys, policies: Mapping[str, ChannelPolicy],
            sending: int) -> dict[State, int]:
    pipe = client.pipeline(transaction=False)
    pipe.xlen(keys.outbox)
    pipe.zcard(keys.retry)
    pipe.llen(keys.dead)
    for name in policies:
        pipe.llen(keys.digest(name))
    stream, retry, dead, *held = pipe.execute()
    return {"queued": int(stream) - sending, "sending": sending, "held": sum(map(int, held)),
            "retrying": int(retry), "dead": int(dead)}


def _held(client: redis.Redis, keys: Keys, channel: str, policy: ChannelPolicy, now: float) -> list[Waiting]:
    raws = client.lrange(keys.digest(channel), 0, READ_MAX - 1)
    if not raws:
        return []
    last, since = client.hmget(keys.channel(channel), [LAST_DIGEST, DIGEST_SINCE])  # as outbox.digest_clock
    sends = [float(s) for _, s in cast(list[tuple[bytes, float]],
                                       client.zrangebyscore(keys.sent(channel), *hour_span(now), withscores=True))]
    due = next_send(policy, now, float(last) if last else now, sends, float(since) if since else None)
    why = hold_reason(policy, now, len(sends))
    return [Waiting("held", q, channel, due, why) for q in (readable_or_none(raw) for raw in raws)
            if q is not None]


def next_send(policy: ChannelPolicy, now: float, last_digest: float, sends: Sequence[float],
              waiting_since: float | None = None) -> float | None:
    """When the channel's held alerts go out as a digest (None: not within LOOK_AHEAD)."""
    moment = now
    while moment <= now + LOOK_AHEAD:
        in_hour = sum(1 for s in sends if s >= moment - 3600)  # as Outbox.sent_last_hour counts
        if digest_due(policy, moment, last_digest, in_hour, waiting_since):
            return moment
        moment += STEP
    return None


def hold_reason(policy: ChannelPolicy, now: float, sent_last_hour: int) -> str:
    """Why a channel holds its alerts now, in the words of its settings."""
    if policy.mode == "digest":
        full = f"; rate limit of {policy.max_per_hour} per hour" if hour_full(policy, sent_last_hour) else ""
        if policy.digest_at:
            return "digest at " + ", ".join(f"{m // 60:02d}:{m % 60:02d}" for m in policy.digest_at) + full
        return f"digest every {spans.setting(policy.digest_every or 0)}{full}"
    if in_quiet_hours(policy, now) and policy.quiet is not None:
        start, end = policy.quiet
        return f"quiet hours {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d} {policy.zone}"
    if hour_full(policy, sent_last_hour):
        return f"rate limit of {policy.max_per_hour} per hour"
    return "folded earlier; the digest goes at the sender's next turn"


def title_of(queued: Queued) -> str:
    alert = queued.alert
    if isinstance(alert, Digest):
        return f"digest of {len(alert.alerts)} alert(s)"
    return alert.title


def topic_of(queued: Queued) -> str:
    return queued.alert.topic if isinstance(queued.alert, Alert) else "-"
