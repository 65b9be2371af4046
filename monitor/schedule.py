"""The shared schedule: one sorted set in Redis, feed -> when it is next due, that every
worker takes due feeds from.

A worker asks once a tick for the feeds due now (one round trip for all of them, however
many feeds and workers there are); taking a feed moves it `hold` seconds ahead in the
same atomic step, so no other worker takes it meanwhile, and the poll's end puts it one
interval (plus jitter) after the poll began. A worker that dies holding feeds leaves
them due again once `hold` has passed. The feed's lease (store.py) still guards the
poll itself, so a feed taken twice (a hold that ran out mid-poll) is polled once.

New feeds are spread evenly over their first interval (`[monitor] spread`), so a start
with many feeds is not one burst; feeds already scheduled keep their time across restarts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import redis

from monitor import codec
from monitor.keys import Keys
from monitor.store import redis_errors

# Take up to ARGV[3] feeds due at ARGV[1], moving each to ARGV[2] (held) atomically.
#   KEYS: schedule   ARGV: now, hold until, limit
TAKE_LUA = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, name in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], name) end
return due
"""


def first_due(feeds: Sequence[tuple[str, float]], now: float, spread: bool) -> dict[str, float]:
    """When each feed is first due: spread evenly over its interval (in the order given),
    or all now."""
    if not spread:
        return {name: now for name, _ in feeds}
    return {name: now + interval * i / len(feeds) for i, (name, interval) in enumerate(feeds)}


class Schedule:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys
        self._take = client.register_script(TAKE_LUA)

    def sync(self, feeds: Sequence[tuple[str, float]], disabled: Sequence[str], now: float, spread: bool) -> None:
        """Add feeds not yet scheduled (existing ones keep their time); drop disabled ones."""
        with redis_errors("updating the schedule"):
            pipe = self.redis.pipeline(transaction=True)
            if feeds:
                pipe.zadd(self.keys.schedule, first_due(feeds, now, spread), nx=True)
            if disabled:
                pipe.zrem(self.keys.schedule, *disabled)
            pipe.execute()

    def take(self, now: float, hold: float, limit: int) -> list[str]:
        """Up to `limit` feeds due at `now`, held by this worker for `hold` seconds."""
        if limit <= 0:
            return []
        with redis_errors("taking due feeds"):
            names = self._take(keys=[self.keys.schedule], args=[now, now + hold, limit])
        return [codec.text(n) for n in names]

    def due_again(self, due: Sequence[tuple[str, float]]) -> list[None]:
        """Set when feeds are next due (a feed removed from the schedule meanwhile stays out)."""
        with redis_errors("rescheduling feeds"):
            pipe = self.redis.pipeline(transaction=False)
            for name, when in due:
                pipe.zadd(self.keys.schedule, {name: when}, xx=True)
            pipe.execute()
        return [None] * len(due)

    def due_times(self) -> dict[str, float]:
        with redis_errors("reading the schedule"):
            pairs = cast(list[tuple[bytes, float]], self.redis.zrange(self.keys.schedule, 0, -1, withscores=True))
        return {name.decode(): float(score) for name, score in pairs}
