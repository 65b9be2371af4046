"""Processes as /proc shows them, for the tests that check what a command leaves running
(hostile/test_processes.py, hostile/test_redis_forks.py) and for the kill harness
(kill_harness.py). Linux only."""

from __future__ import annotations

import os
import time
from pathlib import Path


def stat(pid: int) -> list[str] | None:
    """/proc/PID/stat's fields after the command name (state first), None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def alive(pid: int, started: str) -> bool:
    """The process that had this pid and start time still runs (a zombie has ended)."""
    fields = stat(pid)
    return fields is not None and fields[0] != "Z" and fields[19] == started


def descendants(pid: int) -> dict[int, str]:
    """Every process below `pid`, by pid, with its start time (to tell a reused pid)."""
    found: dict[int, str] = {}
    parents = {pid}
    while parents:
        children = {}
        for entry in os.listdir("/proc"):
            fields = stat(int(entry)) if entry.isdigit() else None
            if fields is not None and int(fields[1]) in parents and int(entry) not in found:
                children[int(entry)] = fields[19]
        found.update(children)
        parents = set(children)
    return found


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def redis_servers(data_dir: Path, forks: bool = True) -> list[int]:
    """redis-server processes serving a database in data_dir (the server's cwd is its dir);
    without `forks`, not the children a server forks to write its files in the background
    (BGSAVE, the append-only file's rewrite: named and placed like it, one server all the
    same). A child is known by its parent, in this listing or still running: a server that
    exits while it is listed leaves its child named by its pid for a moment."""
    found: dict[int, int] = {}  # pid -> parent pid
    for entry in os.listdir("/proc"):
        try:
            if (entry.isdigit() and is_redis_server(int(entry))
                    and Path(os.readlink(f"/proc/{entry}/cwd")) == data_dir.resolve()):
                found[int(entry)] = int((stat(int(entry)) or ["", "0"])[1])
        except (OSError, ValueError):
            continue
    return [pid for pid, parent in found.items()
            if forks or not (parent in found or is_redis_server(parent) or _titled_as_fork(pid))]


def _titled_as_fork(pid: int) -> bool:
    """A server's save or rewrite child names itself so (redis-rdb-bgsave, redis-aof-rewrite):
    told by that too, as one whose server has just exited has no redis-server parent (a CI
    run counted "2 redis-servers at once" with the data_dir lock in place)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().startswith((b"redis-rdb-", b"redis-aof-"))
    except OSError:
        return False


def is_redis_server(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "redis-server"
    except OSError:
        return False
