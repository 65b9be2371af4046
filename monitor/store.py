"""Redis state: per-feed state and leases, the seen-set, the atomic claim, recent items,
and the helpers every Redis user shares (errors in one line, pipelined scripts). The
connection itself is `connection.py`'s. Key names come from `keys.py` only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import redis
from redis.client import Pipeline
from redis.commands.core import Script

from monitor import codec, defaults, seen
from monitor.connection import describe
from monitor.errors import StoreError
from monitor.items import Recent
from monitor.keys import Keys
from monitor.store_lua import ACQUIRE_LUA, CLAIM_LUA, RENEW_LUA, SAVE_LUA


@contextmanager
def redis_errors(what: str) -> Iterator[None]:
    """Turn redis-py's errors into one StoreError line saying what was being done."""
    try:
        yield
    except (redis.RedisError, OSError) as exc:
        raise StoreError(f"Redis unavailable while {what}: {describe(exc)}") from None


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
    recent: dict[str, Any]  # codec.recent_fields of its Recent record
    alerts: tuple[tuple[str, str], ...] = ()  # (short id, codec.encode_alert of the alert as sent)
    kept: tuple[str, ...] = ()  # each alert whole, for alert:<id> (labels); empty: as sent


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
    # digests of the items of the last poll that read the feed, each to its headline's
    # (seen.listing): an item it still lists is not new, though the seen-set forgets it
    # after seen_ttl, unless its headline changed (pipeline.py)
    listed: Mapping[str, str | None] = field(default_factory=dict)
    url: str = ""  # digest of the URL this state is of ('': saved before it was kept; moved.py)

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
            listed=seen.parse_listing(data.get("listed", "")),
            url=data.get("url", ""),
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
        self._unseen = client.register_script(seen.UNSEEN_LUA)

    def ping(self) -> None:
        with redis_errors("checking the connection"):
            self.redis.ping()

    def memory(self) -> dict[str, int]:
        """What the Redis server holds: used_memory, its peak, and the keys of the database
        (every monitor's and anyone else's sharing it), in one round trip; for `status` and
        `/metrics`, so months of state can be watched grow or settle."""
        with redis_errors("reading the server's memory"):
            pipe = self.redis.pipeline(transaction=False)
            pipe.info("memory")
            pipe.dbsize()
            info, keys = pipe.execute()
        return {"used_memory": int(info["used_memory"]), "used_memory_peak": int(info["used_memory_peak"]),
                "keys": int(keys)}

    # -- feeds ---------------------------------------------------------------------------

    def feed_state(self, name: str) -> FeedState:
        with redis_errors(f"reading the state of feed '{name}'"):
            raw = cast(dict[bytes, bytes], self.redis.hgetall(self.keys.feed(name)))  # replies are not decoded
        return FeedState.from_hash(raw)

    def feed_states(self, names: Sequence[str]) -> dict[str, FeedState]:
        """`feed_state` of many feeds in one pipelined round trip (metrics, status)."""
        with redis_errors(f"reading the state of {len(names)} feed(s)"):
            pipe = self.redis.pipeline(transaction=False)
            for name in names:
                pipe.hgetall(self.keys.feed(name))
            raws = cast(list[dict[bytes, bytes]], pipe.execute())
        return {name: FeedState.from_hash(raw) for name, raw in zip(names, raws, strict=True)}

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
        # Encoded here, what UTF-8 cannot encode as "?": one field a server made (fetch._header)
        # would fail the whole batch, other feeds' saves with it (redis-py encodes strictly).
        values = [x for k, v in update.fields.items() if v is not None
                  for x in (k, str(v).encode("utf-8", "replace"))]
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

    def forget_feed(self, name: str) -> None:
        """Delete a feed's state (prune.py does it for every feed gone at a start or reload;
        this, for one whose poll under way saved it again after)."""
        with redis_errors(f"deleting the state of removed feed '{name}'"):
            self.redis.delete(self.keys.feed(name))

    def renew_lease(self, name: str, owner: str, ttl: float) -> bool:
        with redis_errors(f"renewing the lease of feed '{name}'"):
            return bool(self._renew(keys=[self.keys.lease(name)], args=[owner, int(ttl * 1000)]))

    def release_lease(self, name: str, owner: str) -> None:
        self.update_feed(name, {}, release=owner)

    # -- items ---------------------------------------------------------------------------

    def unseen(self, item_ids: Sequence[str], ttl: float = defaults.SEEN_TTL) -> list[bool]:
        """For each id, True when it was not processed within `ttl` (one round trip for
        the batch; seen.py)."""
        if not item_ids:
            return []
        args = seen.lookup_args(self.keys.seen_buckets, [self.keys.seen(i) for i in item_ids], item_ids,
                                time.time(), ttl)
        with redis_errors("checking seen items"):
            return [not found for found in self._unseen(keys=[self.keys.seen_latest], args=args)]

    def claim_many(self, claims: Sequence[Claim], ttl: float, recent_max: int,
                   checked_at: float | None = None) -> list[bool]:
        """Mark items seen, record them as recent and enqueue their alerts: one script
        run for the batch, so all or nothing (a crash before it leaves every item to be
        processed again). False for an item another worker claimed first (nothing was
        enqueued for it). The recent record, each alert enqueued and each alert kept under
        alert:<id> (for labels) are stored compressed (codec.compress). `checked_at`: when
        `unseen` found these items new, so that the claim's own check reads only the days
        since (seen.claim_days); None: every day of the window.
        """
        if not claims:
            return []
        now = time.time()
        first, last = seen.claim_days(now, ttl, checked_at)
        keys = [self.keys.outbox, self.keys.recent, self.keys.seen_latest]
        day = seen.today(now)
        args: list[str | bytes | int] = [max(1, int(ttl)), f"{now:.3f}", recent_max, self.keys.seen_buckets,
                                         first, last, day, seen.expires_at(day, ttl), seen.farthest(now, ttl),
                                         seen.latest_kept(ttl)]
        for claim in claims:
            keys += [self.keys.alert(short_id) for short_id, _ in claim.alerts]
            args += [len(claim.alerts), self.keys.seen(claim.item_id), *seen.record(claim.item_id),
                     codec.stored_recent(claim.recent)]
            kept = claim.kept or tuple(payload for _, payload in claim.alerts)
            for (_, payload), whole in zip(claim.alerts, kept, strict=True):
                packed = codec.compress(payload)  # the same text is compressed once
                args += [packed, packed if whole == payload else codec.compress(whole)]
        with redis_errors(f"claiming {len(claims)} item(s)"):
            return [bool(done) for done in self._claim(keys=keys, args=args)]

    def recent(self, count: int) -> list[Recent]:
        with redis_errors("reading recent items"):
            entries = cast(list[tuple[bytes, dict[bytes, bytes]]], self.redis.xrevrange(self.keys.recent, count=count))
        return [codec.decode_recent(fields[b"item"]) for _, fields in entries]


def _feeds(names: Sequence[str]) -> str:
    return f"feed '{names[0]}'" if len(names) == 1 else f"{len(names)} feeds"


def _leased_state(flat: list[bytes] | None) -> FeedState | None:
    """The acquire script's reply: the feed's state as a flat HGETALL, or None (not leased)."""
    return None if flat is None else FeedState.from_hash(dict(zip(flat[::2], flat[1::2], strict=True)))
