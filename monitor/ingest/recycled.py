"""A thread for lxml's work, replaced after every `budget` bytes of documents it was given.

lxml keeps each element and attribute name a thread parses in that thread's dictionary
(libxml2's string dictionary, one a thread) until the thread ends, and feeds and pages name
what they like. A hostile 1.1 MB feed of ever-new names (20 items, each with 1,000
extension elements and HTML of 400 elements and 400 attributes) left 1.7 MB a poll in the
thread that parsed it, 68 MB after 40 polls, and never gave it back: the threads of
asyncio's default executor live as long as the service. A thread's dictionary goes with it,
so here a new thread takes over once the old one has had `budget` bytes; the old one ends
as soon as its work is done.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from lxml import etree

from monitor.malloc import cap_arenas

P = ParamSpec("P")
T = TypeVar("T")


class RecycledThread:
    """Runs each call in one thread at a time, a new one every `budget` bytes of input."""

    def __init__(self, budget: int, name: str, renewed: Callable[[], None] | None = None) -> None:
        self.budget = budget
        self.name = name
        self.renewed = renewed  # called as a new thread takes over (to drop other caches with it)
        self._pool: ThreadPoolExecutor | None = None
        self._given = 0  # bytes handed to the thread in use
        self._lock = threading.Lock()  # callers may be threads (extraction without a scoring worker)

    def submit(self, size: int, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """`fn(*args)` for a document of `size` bytes, in the caller's context (as
        asyncio.to_thread runs it)."""
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        with self._lock:  # the pool is not shut down between its choice and the submit
            if self._pool is None or self._given >= self.budget:
                self.close()
                # Threads started one after another would each take a new arena of glibc's
                # while the last one's is not yet free, up to 8 a core, each keeping its
                # peak (60 MB after a page of 10,000 elements): two in all (malloc.py).
                cap_arenas()
                self._pool = ThreadPoolExecutor(1, thread_name_prefix=self.name, initializer=_own_dictionary)
                if self.renewed is not None:
                    self.renewed()
            self._given += size
            return self._pool.submit(call)

    def run(self, size: int, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.submit(size, fn, *args, **kwargs).result()

    async def run_async(self, size: int, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.wrap_future(self.submit(size, fn, *args, **kwargs))

    def close(self) -> None:
        """Let the thread end once its work is done (its names go with it)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        self._pool, self._given = None, 0


def _own_dictionary() -> None:
    """Give the new thread a dictionary of its own. A thread takes, as its dictionary, that
    of the parser that first parses in it: a parser kept for the process (trafilatura's, the
    item HTML's) would hand every new thread the one dictionary it has kept since its first
    parse, and the names would outlive the threads. A new parser has a new one."""
    etree.fromstring(b"<x/>", etree.XMLParser())
