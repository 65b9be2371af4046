"""How the service calls Redis from its event loop: in threads, never on the loop itself.

The Store, Outbox and NearDupIndex are synchronous redis-py classes (the command line uses
them as they are). The service runs each of their calls in `RedisThreads`, one bounded
pool of threads owned by the runtime and shared with the sender; redis-py's connection
pool gives each thread its own connection. A Redis across a network then delays only the
call that waits for it, never the fetches and parses of other feeds in flight.

`Batched` goes one step further for the per-feed steps that every poll makes at the same
moments (taking leases, saving state): requests made in the same turn of the loop travel
together, in one thread hop and one Redis round trip.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")

# Enough that the Redis steps of many feeds polled at once overlap (16 round trips in
# flight: 16,000 a second with Redis 1 ms away; a fresh pass of 200 feeds is as fast as
# with 64), and few, since each thread holds a connection, with its buffers in Redis
# (~19 KB each) and in this process (16 MB less resident after a fresh pass of 2,000
# feeds than with 64 threads; issue 16).
REDIS_THREADS = 16


class Offload(Protocol):
    """Runs a blocking call off the event loop and awaits its result (`asyncio.to_thread`
    is one; `RedisThreads` is the service's)."""

    def __call__(self, step: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]: ...


class RedisThreads:
    """A bounded pool of threads for blocking Redis calls, apart from the loop's default
    executor (which resolves hostnames and sends alerts), so a slow Redis never starves
    those. As with `asyncio.to_thread`, a call runs in a copy of the caller's context:
    context variables set by the calling task are seen by the step."""

    def __init__(self, threads: int = REDIS_THREADS) -> None:
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._running: set[Future[Any]] = set()  # calls under way, their callers gone or not

    async def __call__(self, step: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        if self._pool is None:  # threads start on demand, up to `threads`
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="monitor-redis")
        call = functools.partial(contextvars.copy_context().run, step, *args, **kwargs)
        future = self._pool.submit(call)
        self._running.add(future)
        future.add_done_callback(self._running.discard)
        return await asyncio.wrap_future(future)

    async def close(self, within: float | None = None) -> bool:
        """Let running calls end and stop the threads; a call after this starts a new pool.
        With `within`, wait at most that many seconds: a call still blocked then (on a frozen
        Redis, until its socket timeout) is left to its thread, which the caller must not
        wait for (serve.py exits past it). True when every call ended."""
        pool, self._pool = self._pool, None
        if pool is None:
            return True
        running = [asyncio.wrap_future(f) for f in list(self._running)]
        if running:
            await asyncio.wait(running, timeout=within)
        if self._running:
            pool.shutdown(wait=False, cancel_futures=True)
            return False
        await asyncio.to_thread(pool.shutdown, wait=True)  # idle threads: at once
        return True


class Batched(Generic[A, R]):
    """Requests made in the same turn of the event loop, run together by `run_many` (one
    reply per request, in order) in one offloaded call. A failure fails every request of
    its batch alike. The batch runs in its own context, not its callers'."""

    def __init__(self, io: Offload, run_many: Callable[[list[A]], Sequence[R]]) -> None:
        self._io = io
        self._run_many = run_many
        self._pending: list[tuple[A, asyncio.Future[R]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def __call__(self, request: A) -> R:
        loop = asyncio.get_running_loop()
        if not self._pending:  # the batch leaves once every task ready in this turn has run
            loop.call_soon(self._flush)
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((request, future))
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._sending.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[A, asyncio.Future[R]]]) -> None:
        try:
            replies = await self._io(self._run_many, [request for request, _ in batch])
            for (_, future), reply in zip(batch, replies, strict=True):
                if not future.done():  # its caller may have been cancelled meanwhile
                    future.set_result(reply)
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        finally:
            for _, future in batch:  # cancelled itself (the loop is closing): so are they
                future.cancel()
