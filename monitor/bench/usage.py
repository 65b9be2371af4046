"""What a process of the monitor has cost so far: CPU seconds and peak RSS.

The benchmark reads it in the service process and, through `BatchScorer.in_worker`, in
the scoring worker, so this module imports only the standard library: the worker imports
it to run it, and must not grow for being measured.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Usage:
    cpu_seconds: float  # this process's user + system CPU time
    peak_mb: float  # its peak resident set size

    @classmethod
    def none(cls) -> Usage:
        """What a process that does not exist has cost (no scoring worker)."""
        return cls(0.0, 0.0)


def usage() -> Usage:
    """This process's usage. The peak is read from /proc (VmHWM) where there is one: Linux
    carries ru_maxrss across exec, so a worker spawned by a 150 MB process would report
    that process's size."""
    try:
        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Usage(time.process_time(), peak / 1024)
