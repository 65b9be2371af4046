"""Unchanged passes taken in turns by benches in other processes (.ci/bench_scaling.py).

The per-feed cost check compares two sizes of the monitor, each in its own process. Run one
after the other, they sampled different moments of a machine whose speed drifts by up to
half over seconds, and the ratio of one code read 0.94-1.16 across runs. Here each size runs its
start and fresh pass, then waits: a conductor tells one process at a time to poll, so blocks
of the two sizes alternate about a second apart and each pair of neighbours sees the same
machine. A waiting process is blocked in a pipe's read, using no CPU.

The protocol, over a multiprocessing Pipe: the bench sends "ready" before each unchanged
pass and runs it on "go"; on "stop" it finishes (no more passes) and sends its JSON figures.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

ITEMS = 5  # items a feed, as the check has used since issue 16


def bench(conn: Connection, feeds: int, settings: Path | None) -> None:
    """A process's target: `monitor bench --feeds N --feed-passes-only --fresh-passes 1`,
    with its unchanged passes paced by `conn`; sends the JSON report, or the error."""
    # Imported here, not at the top: the scoring worker this bench spawns imports the main
    # module again, the conductor's script, which imports this module; importing the bench
    # from there made every scoring worker 48 MB larger (163.9 MB against 115.2).
    from monitor.bench import run

    def more() -> bool:
        conn.send("ready")
        return bool(conn.recv() == "go")

    try:
        out, code = run.run_bench(settings, feeds, ITEMS, True, False, 0, fresh_passes=1, passes_only=True,
                                  more=more)
    except Exception as exc:  # the conductor waits on this pipe: tell it rather than hang it
        conn.send(f"error: {type(exc).__name__}: {exc}")
        raise
    conn.send(out if code == 0 else f"error: the bench at {feeds} feeds counted failed polls")


class Conductor:
    """One bench per size, in processes of their own, whose unchanged passes it paces."""

    def __init__(self, sizes: tuple[int, ...], settings: Path | None = None) -> None:
        self.sizes, self.settings = sizes, settings
        self.pipes: dict[int, Connection] = {}
        self.processes: list[BaseProcess] = []

    def __enter__(self) -> Conductor:
        return self

    def __exit__(self, *exc: object) -> None:
        """Benches still running when the conductor stops (done, or failed) are told to stop,
        so each cleans up as `run_bench` does (its embedded Redis, its temporary files);
        one that does not end within a minute is killed."""
        for pipe in self.pipes.values():
            with contextlib.suppress(OSError):
                pipe.send("stop")
        for process in self.processes:
            process.join(60)
            if process.is_alive():
                process.kill()
                process.join(10)

    def start(self) -> None:
        """Start the benches one at a time, each once the one before has run its fresh pass,
        as `monitor bench` runs alone: started at once, their fresh passes shared the two
        cores, and each process's peak RSS read 6-29 MB higher in one comparison."""
        ctx = multiprocessing.get_context("spawn")  # a fresh interpreter each, as `monitor bench` is
        for feeds in self.sizes:
            ours, theirs = ctx.Pipe()
            # Not daemonic: a daemonic process may not start the scoring worker's pool.
            process = ctx.Process(target=bench, args=(theirs, feeds, self.settings))
            process.start()
            theirs.close()
            self.pipes[feeds] = ours
            self.processes.append(process)
            self._expect(feeds, "ready")

    def passes(self, feeds: int, count: int) -> None:
        """Let the bench of `feeds` run `count` unchanged passes, and wait until they are done."""
        for _ in range(count):
            self._send(feeds, "go")
            self._expect(feeds, "ready")

    def finish(self) -> dict[int, str]:
        """Stop every bench; their JSON reports, by size."""
        reports = {}
        for feeds in self.pipes:
            self._send(feeds, "stop")
            reports[feeds] = self._reply(feeds)
            if reports[feeds].startswith("error:"):
                raise RuntimeError(reports[feeds])
        return reports

    def _expect(self, feeds: int, word: str) -> None:
        got = self._reply(feeds)
        if got != word:
            raise RuntimeError(got if got.startswith("error:") else f"bench at {feeds} feeds said {got[:80]!r}")

    def _send(self, feeds: int, word: str) -> None:
        try:
            self.pipes[feeds].send(word)
        except OSError:  # the process is gone
            raise RuntimeError(f"the bench at {feeds} feeds ended without a report") from None

    def _reply(self, feeds: int) -> str:
        try:
            return str(self.pipes[feeds].recv())
        except EOFError:  # the process died without a word (killed, or out of memory)
            raise RuntimeError(f"the bench at {feeds} feeds ended without a report") from None
