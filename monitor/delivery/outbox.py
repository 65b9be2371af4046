"""The alert outbox in Redis: a stream with a consumer group, a retry schedule, dead letters.

An alert's life: `store.claim` XADDs it to the stream. A sender reads it through the
consumer group (so it sits in the group's pending list while being sent). Then exactly one
of three atomic steps ends that delivery:
  - sent:   XACK + XDEL                       (gone)
  - failed: XACK + XDEL + ZADD retry (due)    (back in the stream when due, by `release_due`)
  - failed `send_attempts` times: XACK + XDEL + RPUSH dead
A sender that dies holding an alert leaves it pending; another sender (or itself after a
restart) takes it over with XAUTOCLAIM after `claim_timeout`. The only way to send twice
is a crash between a successful send and its XACK (or Redis refusing that XACK for longer
than `claim_timeout`: the sender keeps trying until then), and then the copy is sent once
more. An entry this version cannot decode goes to the dead letters as it is.
Each step is safe to run twice, as a client that sends a command again when its reply is
lost would (the monitor's do not: connection.NO_RETRY): the ones that push to a list do so
only when their XACK ends the entry (END_INTO_LIST_LUA), the others set what they set the
first time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, cast

import redis
from redis.client import Pipeline

from monitor import codec, defaults
from monitor.delivery.entries import Delivery, decoded, readable_or_none
from monitor.delivery.outbox_digest import END_INTO_LIST_LUA, DigestParts, hour_span, transaction
from monitor.delivery.stream_trim import forget_consumers, trim_before_unended
from monitor.items import Alert, Digest, Queued
from monitor.keys import OUTBOX_GROUP, Keys
from monitor.seen import latest_stamp
from monitor.store import redis_errors

log = logging.getLogger("monitor.outbox")

# Move every retry that is due back into the stream, atomically, so that two workers
# releasing at once cannot both re-enqueue the same alert. One due later than ARGV[3] (now +
# the longest wait a sender gives + CLOCK_SKEW) is due too: a clock since set back stamped it.
#   KEYS: retry, outbox   ARGV: now, limit, latest due   Returns the count moved.
RELEASE_LUA = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #due < tonumber(ARGV[2]) then
  local late = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[3], '+inf', 'LIMIT', 0, ARGV[2] - #due)
  for _, payload in ipairs(late) do due[#due + 1] = payload end
end
for _, payload in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'alert', payload)
  redis.call('ZREM', KEYS[1], payload)
end
return #due
"""

# Take one of the hour's `max_per_hour` places for an alert before it is sent, so two
# senders cannot both see room for one (the place is the entry id `done` records; a held
# place is kept, as after a crash between reserving and sending). Places stamped past
# now + CLOCK_SKEW go first: a clock since set back took them (outbox_digest.hour_span).
#   KEYS: sent   ARGV: entry id, now, max_per_hour, now + CLOCK_SKEW   Returns 1: may be sent.
RESERVE_LUA = """
local hour = tonumber(ARGV[2]) - 3600
redis.call('ZREMRANGEBYSCORE', KEYS[1], '(' .. ARGV[4], '+inf')
local mine = redis.call('ZSCORE', KEYS[1], ARGV[1])
if mine and tonumber(mine) >= hour then return 1 end
if redis.call('ZCOUNT', KEYS[1], hour, ARGV[4]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', hour)
return 1
"""


RESEND_BATCH = 500  # dead letters moved back per transaction by `outbox retry`
# XAUTOCLAIM calls one reclaim may make. Each looks at no more than ten times its count of
# pending entries and says where it stopped: a dead sender's alerts behind a thousand that
# live senders hold (and keep fresh) were never reached when every call began at 0-0.
RECLAIM_CALLS = 100


class Outbox(DigestParts):
    def __init__(self, client: redis.Redis, keys: Keys, consumer: str, dead_max: int = defaults.DEAD_MAX) -> None:
        self.redis = client
        self.keys = keys
        self.consumer = consumer
        self.dead_max = dead_max  # `[alerts] dead_max`: the oldest dead letters go past it
        self._release = client.register_script(RELEASE_LUA)
        self._reserve = client.register_script(RESERVE_LUA)
        self._end_into_list = client.register_script(END_INTO_LIST_LUA)

    def ensure_group(self) -> None:
        with redis_errors("creating the outbox consumer group"):
            try:
                self.redis.xgroup_create(self.keys.outbox, OUTBOX_GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def enqueue(self, alert: Alert | Digest) -> None:
        with redis_errors("enqueueing an alert"):
            self.redis.xadd(self.keys.outbox, {"alert": codec.encode_queued(Queued(alert))})

    def take(self, count: int, block_ms: int | None = None, own_pending: bool = False) -> list[Delivery]:
        """New alerts for this sender; with own_pending, those it took before and never ended."""
        with redis_errors("reading the outbox"):
            reply = self.redis.xreadgroup(
                OUTBOX_GROUP, self.consumer, {self.keys.outbox: "0" if own_pending else ">"},
                count=count, block=block_ms,
            )
        streams = cast(list[tuple[bytes, list[Any]]], reply or [])  # [(stream, entries)]
        return self._readable([entry for _, entries in streams for entry in entries])

    def reclaim(self, min_idle_ms: int, count: int = 100) -> list[Delivery]:
        """Up to `count` alerts another sender took and did not end within min_idle_ms (it
        died), from anywhere in the pending list (RECLAIM_CALLS)."""
        entries: list[Any] = []
        cursor: bytes | str = "0-0"
        with redis_errors("reclaiming stale alerts"):
            for _ in range(RECLAIM_CALLS):
                reply = self.redis.xautoclaim(self.keys.outbox, OUTBOX_GROUP, self.consumer, min_idle_ms,
                                              cursor, count=count - len(entries))
                cursor = reply[0]
                entries += reply[1]
                if len(entries) >= count or cursor in (b"0-0", "0-0"):
                    break
        return self._readable(entries)

    def _readable(self, entries: list[Any]) -> list[Delivery]:
        """The entries as deliveries; one this version cannot read (written by a newer one
        during an upgrade, or by hand) goes to the dead letters as it is, with the reason,
        so that it neither stops the sender nor comes back to it at every take."""
        deliveries, unreadable = decoded(entries)
        if unreadable:
            with redis_errors("moving unreadable alerts to the dead letters"):
                for entry_id, payload, _ in unreadable:  # rare: one call each
                    self.end_into_list(entry_id, payload, self.keys.dead, self.dead_max)
            for entry_id, _, error in unreadable:
                log.error("outbox entry %s cannot be read (%s): moved to the dead letters", entry_id.decode(), error)
        return deliveries

    def touch(self, entry_ids: list[bytes]) -> None:
        """Reset the idle time of alerts this sender still holds, so nobody takes them over."""
        if entry_ids:
            with redis_errors("renewing held alerts"):
                self.redis.xclaim(self.keys.outbox, OUTBOX_GROUP, self.consumer, 0,
                                  list[Any](entry_ids), justid=True)

    def done(self, delivery: Delivery, channel: str, now: float) -> None:
        """The send succeeded: end the delivery and count it against the channel's hour."""
        sent, (hour, ahead) = self.keys.sent(channel), hour_span(now)
        with redis_errors("acknowledging a sent alert"):
            pipe = self.redis.pipeline(transaction=True)
            pipe.xack(self.keys.outbox, OUTBOX_GROUP, delivery.entry_id)
            pipe.xdel(self.keys.outbox, delivery.entry_id)
            pipe.zadd(sent, {delivery.entry_id: now})
            pipe.zremrangebyscore(sent, "-inf", hour)
            pipe.zremrangebyscore(sent, f"({ahead!r}", "+inf")  # stamped by a clock since set back
            pipe.execute()

    def sent_last_hour(self, channel: str, now: float) -> int:
        with redis_errors("counting recent sends"):
            return int(self.redis.zcount(self.keys.sent(channel), *hour_span(now)))

    def reserve(self, delivery: Delivery, channel: str, now: float, max_per_hour: int) -> bool:
        """Take a place in the channel's hour for this alert, atomically; False: none left."""
        args: list[bytes | float] = [delivery.entry_id, now, max_per_hour, hour_span(now)[1]]
        with redis_errors("reserving a send"):
            return bool(self._reserve(keys=[self.keys.sent(channel)], args=args))

    def unreserve(self, delivery: Delivery, channel: str) -> None:
        """Give back the place of an alert whose send failed."""
        with redis_errors("releasing a reserved send"):
            self.redis.zrem(self.keys.sent(channel), delivery.entry_id)

    # -- channel health --------------------------------------------------------------------

    def channel_failed(self, channel: str) -> int:
        """Count one more failed send in a row; returns the count."""
        with redis_errors("recording a failed send"):
            return int(self.redis.hincrby(self.keys.channel(channel), "failures", 1))

    def channel_ok(self, channel: str) -> int:
        """Reset the failure count after a success; returns what it was."""
        with redis_errors("recording a send"):
            pipe = self.redis.pipeline(transaction=True)
            pipe.hget(self.keys.channel(channel), "failures")
            pipe.hset(self.keys.channel(channel), "failures", 0)
            before, _ = pipe.execute()
        return int(before or 0)

    def retry_later(self, delivery: Delivery, due: float, error: str) -> None:
        queued = Queued(delivery.alert, delivery.attempts + 1, error)
        with redis_errors("scheduling a retry"):
            pipe = self.redis.pipeline(transaction=True)
            pipe.xack(self.keys.outbox, OUTBOX_GROUP, delivery.entry_id)
            pipe.xdel(self.keys.outbox, delivery.entry_id)
            pipe.zadd(self.keys.retry, {codec.encode_queued(queued): due})
            pipe.execute()

    def defer(self, delivery: Delivery, due: float) -> None:
        """Put an alert back until `due` without counting an attempt (its channel asked to wait)."""
        self.defer_many([delivery], due)

    def defer_many(self, deliveries: Sequence[Delivery], due: float) -> None:
        """`defer` for several alerts, in one step (their channel holds as many as it may)."""
        with redis_errors("deferring an alert"):
            pipe = self.redis.pipeline(transaction=True)
            for delivery in deliveries:
                pipe.xack(self.keys.outbox, OUTBOX_GROUP, delivery.entry_id)
                pipe.xdel(self.keys.outbox, delivery.entry_id)
                pipe.zadd(self.keys.retry, {codec.encode_queued(delivery.queued): due})
            pipe.execute()

    def bury(self, delivery: Delivery, error: str) -> int:
        """Move the alert to the dead letters; returns how many of the oldest went past
        `dead_max` to make room (logged: they are the only alerts ever let go)."""
        queued = Queued(delivery.alert, delivery.attempts + 1, error)
        with redis_errors("moving an alert to the dead letters"):  # bound: dead_max (keys.py)
            length = self.end_into_list(delivery.entry_id, codec.encode_queued(queued), self.keys.dead,
                                        self.dead_max)
        dropped = max(0, length - self.dead_max)
        if dropped:
            log.error("dead letters: more than [alerts] dead_max = %d; the oldest %d dropped "
                      "(`monitor outbox retry` sends them again while they are kept)", self.dead_max, dropped)
        return dropped

    def release_due(self, now: float, longest: float, limit: int = 500) -> int:
        """Move the retries due by `now` back into the stream, and those due more than
        `longest` (the longest wait a sender puts an alert back for) + CLOCK_SKEW after it:
        a clock since set back stamped them (an alert deferred by a clock 3 h ahead waited
        the 3 h). Returns how many."""
        args = [now, limit, latest_stamp(now, longest)]
        with redis_errors("releasing due retries"):
            return int(self._release(keys=[self.keys.retry, self.keys.outbox], args=args))

    def depth(self) -> dict[str, int]:
        """Alerts waiting (stream), being sent (pending), scheduled for retry, and dead."""
        with redis_errors("measuring the outbox"):
            pipe = self.redis.pipeline(transaction=False)
            pipe.xlen(self.keys.outbox)
            pipe.zcard(self.keys.retry)
            pipe.llen(self.keys.dead)
            queued, retry, dead = pipe.execute()
            try:
                pending = self.redis.xpending(self.keys.outbox, OUTBOX_GROUP)["pending"]
            except redis.ResponseError:  # no group yet: nothing was ever enqueued
                pending = 0
        return {"queued": int(queued), "sending": int(pending), "retry": int(retry), "dead": int(dead)}

    def dead_letters(self, limit: int = defaults.DEAD_SHOWN) -> list[Queued]:
        """The oldest `limit` dead letters (a bounded read, however long the list)."""
        with redis_errors("reading the dead letters"):
            raws = self.redis.lrange(self.keys.dead, 0, limit - 1)
        return [q for q in map(readable_or_none, raws) if q is not None]  # depth() counts them all

    def resend_dead(self, batch: int = RESEND_BATCH) -> int:
        """Put every dead letter back in the outbox with a fresh attempt count, `batch` at
        a time (so no read is unbounded); returns how many."""
        # WATCH/MULTI per batch: a crash or a concurrent resend can neither lose nor duplicate one.
        def move(pipe: Pipeline) -> int:
            dead = pipe.lrange(self.keys.dead, 0, batch - 1)
            pipe.multi()
            for raw in dead:  # the last error stays with it, as a note of what happened
                queued = readable_or_none(raw)  # one this version cannot read goes back as it is
                again = raw if queued is None else codec.encode_queued(replace(queued, attempts=0))
                pipe.xadd(self.keys.outbox, {"alert": again})
            pipe.ltrim(self.keys.dead, len(dead), -1)
            return len(dead)

        total = 0
        with redis_errors("resending dead letters"):
            while moved := transaction(self.redis, move, self.keys.dead):
                total += moved
        return total

    def trim_delivered(self) -> int:
        """Drop delivered entries from the stream, never an unread or pending one
        (stream_trim.py); returns the entries removed."""
        with redis_errors("trimming the outbox"):
            return trim_before_unended(self.redis, self.keys.outbox, OUTBOX_GROUP)

    def forget_gone(self, min_idle_ms: int) -> int:
        """Delete the consumers of senders gone for `min_idle_ms` and holding nothing (each
        process reads under its own name, which Redis keeps until deleted); the count."""
        with redis_errors("forgetting gone senders"):
            return forget_consumers(self.redis, self.keys.outbox, OUTBOX_GROUP, self.consumer, min_idle_ms)

    def leave(self) -> None:
        """At a clean exit: delete this sender's consumer, unless it still holds alerts
        (those wait for the next sender to take them over after `claim_timeout`)."""
        with redis_errors("leaving the outbox group"):
            forget_consumers(self.redis, self.keys.outbox, OUTBOX_GROUP, self.consumer, -1)
