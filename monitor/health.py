"""Whether Redis takes this worker's writes now: the Redis half of `/healthz`.

A PING says Redis answers, not that it takes writes: a Redis out of memory (maxmemory with
noeviction), a read-only replica, or one that cannot persist (MISCONF) answers PING and
refuses every claim and every enqueued alert. So the probe writes: a SET of this worker's
health key with a short TTL (keys.py). It runs on its own connection with a short timeout
and no retries (a probe that retries answers late), in its own thread (the Redis threads
of the polls may all be waiting on a frozen server), and the caller waits at most
`timeout`: `/healthz` answers within a second in every state of Redis. The answer is kept
for `cache` seconds, so a busy prober does not become load.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import redis

from monitor import defaults
from monitor.connection import NO_RETRY
from monitor.stopping import sleep_or_stop

log = logging.getLogger("monitor")

KEY_TTL = 60.0  # seconds the health key outlives its last probe (it is only ever overwritten)


def probe_client(redis_url: str, client: redis.Redis, timeout: float) -> redis.Redis:
    """A client of `client`'s server for the probe: its own connection, `timeout` on every
    socket call, and no retries (connection.NO_RETRY)."""
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout, **NO_RETRY}
    if redis_url:
        return redis.Redis.from_url(redis_url, **options)
    return redis.Redis(unix_socket_path=client.connection_pool.connection_kwargs["path"], **options)  # embedded


class HealthProbe:
    def __init__(self, client: redis.Redis, key: str, timeout: float = defaults.HEALTH_TIMEOUT,
                 cache: float = defaults.HEALTH_CACHE) -> None:
        self.client = client  # its own connection to the server, `timeout` on every socket call
        self.key = key
        self.timeout = timeout
        self.cache = cache
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="monitor-redis-health")
        self._running: Future[str | None] | None = None
        self._answer: tuple[float, str | None] | None = None  # (when, reason)

    async def check(self) -> str | None:
        """None when Redis took the write, else why not (one line)."""
        if self._answer is not None and time.monotonic() - self._answer[0] < self.cache:
            return self._answer[1]
        if self._running is None or self._running.done():  # a probe still stuck is not doubled
            self._running = self._thread.submit(self._write)
        try:
            reason = await asyncio.wait_for(asyncio.wrap_future(self._running), self.timeout)
        except TimeoutError:
            reason = self._late()
        self._answer = (time.monotonic(), reason)
        return reason

    def _write(self) -> str | None:
        try:
            self.client.set(self.key, f"{time.time():.3f}", px=int(KEY_TTL * 1000))
        except redis.TimeoutError:
            return self._late()
        except redis.ConnectionError as exc:
            return f"Redis unreachable: {_line(exc)}"
        except redis.ResponseError as exc:  # OOM, READONLY, MISCONF, NOPERM...
            return f"Redis refuses writes: {_code(exc)}{_line(exc)}"
        except (redis.RedisError, OSError) as exc:
            return f"Redis unavailable: {_line(exc)}"
        return None

    def _late(self) -> str:
        return f"Redis did not answer a write within {self.timeout:g} s (frozen or overloaded)"

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
        self.client.close()


# redis-py drops the error code from these replies' text (it is in the class): put back.
CODES = ((redis.exceptions.OutOfMemoryError, "OOM"), (redis.exceptions.ReadOnlyError, "READONLY"),
         (redis.exceptions.NoPermissionError, "NOPERM"))


def _code(exc: redis.ResponseError) -> str:
    return next((f"{code} " for cls, code in CODES if isinstance(exc, cls)), "")


def _line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


EMBEDDED_LOST = 60.0  # seconds the embedded Redis may fail before the monitor exits to be restarted
EMBEDDED_CHECK = 5.0  # seconds between two checks


async def wait_until_lost(probe: HealthProbe, stop: asyncio.Event, lost: float = EMBEDDED_LOST,
                          every: float = EMBEDDED_CHECK) -> bool:
    """True once the probe has failed for `lost` seconds in a row; False when `stop` is set
    first. For the embedded Redis: nothing restarts its server if it dies (killed when
    memory ran out), and polls and sends would fail until someone stepped in; the monitor
    then stops with exit code 1, so the service manager (systemd's Restart=, compose's
    restart:) starts both again."""
    failing_since: float | None = None
    while not stop.is_set():
        reason = await probe.check()
        if reason is None:
            failing_since = None
        elif failing_since is None:
            failing_since = time.monotonic()
        elif time.monotonic() - failing_since >= lost:
            log.error("the embedded Redis has failed for %.0f s (%s): exiting to be restarted with it",
                      time.monotonic() - failing_since, reason)
            return True
        await sleep_or_stop(stop, every)
    return False
