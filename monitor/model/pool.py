"""The scoring workers' process pool (scoring.py scores, and ingest/article.py extracts, in
it), with a deadline on every call.

A worker that dies (killed, out of memory) breaks the whole pool, and every later call
would fail: the pool is replaced, and the call made once more (a call that kills its worker
twice fails its polls alone). A worker that hangs rather than dies (a page that sends the
extractor into a loop, a lock never freed) held every later batch, and polls waited on it
for ever while health said OK: a call that runs longer than its allowance has its pool's
workers killed (a thread in them cannot be stopped) and fails with WorkerTimeout, not made
again (it would hang again); the pool's other calls fail with BrokenProcessPool and are made
again in a new pool.

    submit ─► waits its turn ─► among the first `workers` not done: its clock runs ─► done
                                        └── past its allowance: workers killed ─► WorkerTimeout

A pool's calls run in the order given, so a call's clock starts once it is among the first
`workers` of those given and not done (the executor's running() is true of the call next in
line too). Its allowance is `deadline`; each new pool's first calls, one per worker, are
`worker.ready` with START_SECONDS: the workers' start (a process, imports, ~2-10 s) is
theirs, not a batch's (the workers wait for each other at a barrier in their start, so
no call's clock runs while one still starts). `warm`, asked at each start, names what a
new worker does in its start before that barrier (scoring.py: load the model in force), so
the first batch after a restart does not do it under its deadline. Every caller waiting on
the pool, and every new call, looks for a running call past its allowance, so a stuck call
is ended even when its own caller was cancelled.

A pool cannot be told which worker takes a call; call_each reaches every worker all the
same (a reload loads its model in each before it is in force): the barrier the workers meet
at in their start is theirs for good, and each of the `workers` calls waits there once its
work is done, until all have been taken.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from monitor.errors import WorkerTimeout
from monitor.model import worker

log = logging.getLogger("monitor.scoring")

START_SECONDS = 120.0  # a new worker's start: a process, its imports and init, under a loaded host
CLOSE_GRACE = 5.0  # seconds close() lets a worker finish its call before it is killed
T = TypeVar("T")


class PoolClosed(Exception):
    """A call after close(), or cancelled by it: the service is stopping."""


@dataclass(slots=True)
class _Call:
    future: concurrent.futures.Future[Any]
    allowed: float  # seconds it may run
    since: float | None = None  # monotonic time it was first seen running


class WorkerPool:
    def __init__(self, workers: int, deadline: float) -> None:
        self.workers = workers
        self.deadline = deadline  # seconds a call may run (WorkerTimeout past it)
        self._executor: ProcessPoolExecutor | None = None
        self._calls: list[_Call] = []  # the executor's calls not known to be done, in order
        self._ended: weakref.WeakSet[concurrent.futures.Future[Any]] = weakref.WeakSet()  # timed out
        self._killed: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()  # for a call's time
        self._closed = False
        # what a new worker runs in its start, asked at each start (so never stale); None: nothing
        self.warm: Callable[[], Callable[[], object] | None] = lambda: None

    async def call(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` in a worker (`fn` must pickle: a module-level function)."""
        return (await self._attempt(1, self.deadline, fn, *args))[0]

    async def call_each(self, fn: Callable[..., T], *args: object) -> list[T]:
        """`fn(*args)` once in every worker (a reload's model load): the calls go in one after
        another, and each waits for the others at the workers' barrier before it ends
        (worker.each), so no worker takes two. They go after the calls already queued (the
        pool does not reorder them: BatchScorer keeps its page extractions out of the queue
        while a reload loads, and scoring.RUN_DEPTH per worker in it at most), and each is allowed the
        deadline and a start's time."""
        return await self._attempt(self.workers, self.deadline + START_SECONDS, worker.each, fn, *args)

    async def _attempt(self, count: int, allowed: float, fn: Callable[..., T], *args: object) -> list[T]:
        """`count` calls of `fn(*args)`, all made again in new workers when one dies."""
        deaths = 0
        while True:
            self._end_overdue()  # one no one waits on too (its caller was cancelled)
            executor = self._executor or self._start()
            futures: list[concurrent.futures.Future[T]] = []
            future: concurrent.futures.Future[T] | None = None
            try:  # a pool whose worker died refuses the call at once (BrokenProcessPool)
                futures = [self._submit(executor, allowed, fn, *args) for _ in range(count)]
                results = []
                for future in futures:
                    results.append(await self._within_deadline(future))
                return results
            except BrokenProcessPool:
                if any(f in self._ended for f in futures):  # another caller saw it run late and ended it
                    raise WorkerTimeout(self._late(allowed)) from None
                # Its other workers go too: one waiting at the barrier of a call_each (worker.each)
                # for the one that died waited for ever, its model held, and held the exit
                # (the executor's thread joins its workers; they ignore the SIGTERM it sends).
                self._drop(executor, kill=True)
                if executor not in self._killed:  # ended for another call's time: not a death
                    deaths += 1
                    log.error("a scoring worker died (attempt %d of this call): starting new ones", deaths)
                    if deaths == 2:
                        raise
            finally:  # an error's traceback holds this frame: a cycle that kept them (and a refused model)
                futures, future = [], None

    def _start(self) -> ProcessPoolExecutor:
        if self._closed:  # a call made again after close() killed its worker would start workers
            raise PoolClosed("the scoring workers were stopped")
        spawn = multiprocessing.get_context("spawn")
        # The barrier: no worker takes a call before every worker has started, so the first
        # ready calls hold the whole start, and no later call's clock runs while it waits
        # for a worker still starting.
        executor = ProcessPoolExecutor(self.workers, spawn, initializer=worker.init,
                                       initargs=(spawn.Barrier(self.workers), START_SECONDS, self.warm()))
        self._executor = executor
        for _ in range(self.workers):  # each submit starts a worker while none is idle
            self._submit(executor, START_SECONDS, worker.ready)
        return executor

    def _submit(self, executor: ProcessPoolExecutor, allowed: float, fn: Callable[..., T],
                *args: object) -> concurrent.futures.Future[T]:
        future = executor.submit(fn, *args)
        self._calls = [*self._pending(), _Call(future, allowed)]  # bounded by the calls in flight
        return future

    def _pending(self) -> list[_Call]:
        return [c for c in self._calls if not c.future.done()]

    async def _within_deadline(self, future: concurrent.futures.Future[T]) -> T:
        waiting = asyncio.wrap_future(future)
        try:
            while not (await asyncio.wait({waiting}, timeout=self.deadline / 4))[0]:
                late = self._end_overdue()
                if late is not None and late.future is future:
                    waiting.cancel()  # the pool's BrokenProcessPool has no one to read it
                    raise WorkerTimeout(self._late(late.allowed))
            if waiting.cancelled():  # by close(): not this task's cancellation
                raise PoolClosed("the scoring workers were stopped")
            return waiting.result()
        except asyncio.CancelledError:
            waiting.cancel()  # as run_in_executor's future would be: not started, not run
            raise
        finally:
            del future, waiting  # as in call()

    @staticmethod
    def _late(allowed: float) -> str:
        return f"a scoring worker ran one call for more than {allowed:g} s: ended, and new ones started"

    def _end_overdue(self) -> _Call | None:
        """The running call past its allowance, if any, its workers killed (its caller gets
        WorkerTimeout; the pool's other calls are made again)."""
        late = self._overdue()
        if late is not None and self._executor is not None:  # the calls watched are the current pool's
            log.error("a scoring worker ran one call for more than %g s: ending its workers", late.allowed)
            self._ended.add(late.future)
            self._killed.add(self._executor)
            self._drop(self._executor, kill=True)
        return late

    def _overdue(self) -> _Call | None:
        """The first running call past its allowance, if any; starts the clocks of those
        that run now."""
        now = time.monotonic()
        self._calls = self._pending()
        for call in self._calls[:self.workers]:
            call.since = call.since or now
            if now - call.since > call.allowed:
                return call
        return None

    def _drop(self, executor: ProcessPoolExecutor, kill: bool = False) -> None:
        """Let `executor` go (the next call starts a new one); `kill` ends its workers first."""
        if kill:
            for process in _processes(executor):  # no public way before 3.14's kill_workers
                process.kill()
        if self._executor is executor:
            self._executor, self._calls = None, []  # its calls fail with it
            executor.shutdown(wait=False, cancel_futures=not kill)  # killed: its calls fail, to be made again

    def close(self, grace: float = CLOSE_GRACE) -> None:
        """End the workers, for good: calls not started are dropped (PoolClosed), and a worker
        still in a call after `grace` seconds is killed (its result has no one to go to;
        waiting for a stuck one held the service's stop for ever)."""
        self._closed = True
        executor, self._executor, self._calls = self._executor, None, []
        if executor is None:
            return
        processes = _processes(executor)
        manager = cast(threading.Thread | None, executor._executor_manager_thread)  # typeshed has it wrong
        executor.shutdown(wait=False, cancel_futures=True)
        ends = time.monotonic() + grace
        for process in processes:
            process.join(max(0.0, ends - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        if manager is not None:  # the executor's own thread, which ends once its workers have
            manager.join(grace)

    @property
    def started(self) -> bool:
        return self._executor is not None

    def pids(self) -> list[int]:
        """The workers' process ids (tests kill them)."""
        return [p.pid for p in _processes(self._executor) if p.pid is not None] if self._executor else []


def _processes(executor: ProcessPoolExecutor) -> list[multiprocessing.process.BaseProcess]:
    return list((executor._processes or {}).values())
