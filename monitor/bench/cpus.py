"""One CPU for a request and its answer: the near-dup bench's timed checks.

A check is a request to Redis and a wait for its answer, so the bench process and the
server never run at once. Left to the scheduler on a 2-CPU virtual machine they run on
different CPUs, and every request and every answer wakes a CPU that was idle: a wake-up
goes through the hypervisor, and its tail, not the check's work, was most of the p99
(PING round trips on this project's machine, 2026-12-01: p50 44 us, p99 1.66 ms as the
host scheduled them; p99 0.86 ms on two pinned CPUs; p99 0.13 ms both on one). Pinned to
one CPU, the two hand over by a context switch, and the time measured is the work.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


@contextmanager
def one_cpu(pids: Sequence[int]) -> Iterator[bool]:
    """Run this process and `pids` on one CPU until the block ends, then restore each
    one's CPUs. Yields whether it pinned (not where the OS has no CPU affinity, as macOS,
    nor when a process refuses it)."""
    if not hasattr(os, "sched_setaffinity"):
        yield False
        return
    everyone = [os.getpid(), *pids]
    try:
        saved = {pid: os.sched_getaffinity(pid) for pid in everyone}
    except OSError:  # a process that has exited, or is not ours to read
        yield False
        return
    cpu = max(saved[os.getpid()])  # the last: a VM's first CPU takes most device interrupts
    try:
        for pid in everyone:
            os.sched_setaffinity(pid, {cpu})
    except OSError:  # some pinned, one refused: none stays pinned, so False is the truth
        _restore(saved)
        yield False
        return
    try:
        yield True
    finally:
        _restore(saved)


def _restore(saved: dict[int, set[int]]) -> None:
    for pid, cpus in saved.items():
        try:
            os.sched_setaffinity(pid, cpus)
        except OSError:
            pass  # the process has exited: nothing to restore
