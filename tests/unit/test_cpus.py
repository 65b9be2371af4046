"""The near-dup bench's one CPU (monitor/bench/cpus.py), on real processes."""

from __future__ import annotations

import os
import subprocess
import sys

from monitor.bench.cpus import one_cpu


def _affinity(pid: int) -> frozenset[int]:
    return frozenset(os.sched_getaffinity(pid))


def test_one_cpu_puts_this_process_and_another_on_one_cpu_and_gives_each_its_own_back() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        os.sched_setaffinity(child.pid, {min(os.sched_getaffinity(0))})  # its own CPUs differ from ours
        before = _affinity(0), _affinity(child.pid)
        with one_cpu([child.pid]) as pinned:
            inside = _affinity(0), _affinity(child.pid)
        assert pinned
        assert inside[0] == inside[1] and len(inside[0]) == 1
        assert inside[0] == {max(before[0])}  # the last CPU, not the one a VM's interrupts go to
        assert (_affinity(0), _affinity(child.pid)) == before
    finally:
        child.kill()
        child.wait()


def test_one_cpu_pins_nothing_for_a_process_that_has_exited() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    before = _affinity(0)
    with one_cpu([child.pid]) as pinned:
        assert not pinned and _affinity(0) == before
    assert _affinity(0) == before
