"""Peak memory of a command and every process it starts, read from /proc while it runs.

`ru_maxrss` (getrusage, wait4) gives the largest single process, not the sum of a parent
and its workers; so each process's own high-water mark (VmHWM in /proc/PID/status, which
only grows) is sampled while it lives, and the peaks are summed: an upper bound of the
whole tree's peak, so a bound asserted on it holds for the tree. Linux only.

A child caught between fork and exec (multiprocessing starting its resource tracker or a
worker) still runs its parent's program in its parent's pages: its RSS is the parent's
(99 MB seen once, beside the parent's 162), so it is not counted until it has exec'd, when
its memory and its high-water mark start afresh. It is told by its command line, the
parent's until exec.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE = 0.005  # seconds between samples; VmHWM keeps a peak reached between two


@dataclass(frozen=True)
class Peaks:
    returncode: int
    stdout: str
    stderr: str
    per_process: dict[int, int]  # pid -> peak RSS in bytes (the command is the first)
    largest: int  # ru_maxrss of the command and its reaped children, in bytes (exact)

    @property
    def total(self) -> int:
        return sum(self.per_process.values())


def run(cmd: Sequence[str], cwd: Path, timeout: float) -> Peaks:
    """Run `cmd` to its end, sampling the peak RSS of it and of all its descendants."""
    # Output goes to files, not pipes: nobody reads a pipe while sampling, and a full one would block.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, text=True)
        code, per_process, largest = _sample(proc, timeout)
        out.seek(0), err.seek(0)
        return Peaks(code, out.read(), err.read(), per_process, largest)


def _sample(proc: subprocess.Popen[str], timeout: float) -> tuple[int, dict[int, int], int]:
    peaks: dict[int, int] = {proc.pid: 0}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid, parent in [(proc.pid, None), *_descendants(proc.pid)]:
            if parent is None or _cmdline(pid) != _cmdline(parent):
                peaks[pid] = max(peaks.get(pid, 0), _hwm(pid))
        waited, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if waited:
            break
        time.sleep(SAMPLE)
    else:
        proc.kill()
        raise TimeoutError(f"{proc.args} ran past {timeout} s")
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen
    return proc.returncode, peaks, usage.ru_maxrss * 1024


def _descendants(root: int) -> list[tuple[int, int]]:
    """(pid, parent pid) of every process under root."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:  # gone meanwhile
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        parent = todo.pop()
        for child in children.get(parent, []):
            found.append((child, parent))
            todo.append(child)
    return found


def _cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def _hwm(pid: int) -> int:
    """The process's peak RSS so far, in bytes (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0
