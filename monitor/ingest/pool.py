"""The connector every HTTP session is made with (fetch.make_session): aiohttp's
TCPConnector, keeping at most `idle_max` idle connections, the least recently used
closed first (limits.IDLE_CONNECTIONS, or `concurrency` if more).

aiohttp's `limit` counts connections in use, not the idle ones it pools for reuse, and it
keeps each of those keepalive_timeout (15 s) to twice that: fetches from 10,000 hosts in
13 s left 9,720 sockets open 16 s later, and a service under systemd's 1,024 open files
got "Too many open files" for its feeds, its pages and Redis alike.

Why a cap on their number rather than
- a shorter keepalive_timeout: that bounds their time, not their number (at 2 s, the same
  10,000 hosts still left 4,831 sockets open), and a faster network leaves more;
- closing the pool's idle connections as a poll ends: up to 100 polls are in flight at
  once, so each would close connections the others are about to reuse, and aiohttp has no
  public call that closes only idle connections.
The cap keeps the most recently released, so a poll's pages of one host, read one after
another, go on reusing one connection (tests/test_pool.py): 1,000 feeds polled 80 at a
time, each then 10 pages of its host, made 1,632-1,792 connections (1,601-1,624 uncapped)
and kept 120 sockets open at most (1,601-1,624).

Built on no private name of aiohttp's: `connect` hands out each connection, pooled or new
(one taken from the pool is in use again), and a callback of `Connection.add_callback`
runs as it is released, just before aiohttp pools it or closes it. One past the cap is
aborted by its transport, as if its server had closed it; aiohttp drops a closed
connection from its pool when it meets it. In use, a connection is never among `idle`:
`connect` takes it out in the same turn of the loop as aiohttp takes it from its pool
(nothing awaits between the two unless a trace listens to `on_connection_reuseconn`, and
none of ours does); and were one closed as it went back into use, aiohttp retries a GET
whose reused connection was closed under it, once, on a new one.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from aiohttp.connector import Connection
    from aiohttp.tracing import Trace


class IdleCapped(aiohttp.TCPConnector):
    """aiohttp's connector, with at most `idle_max` idle connections (the module's docstring)."""

    def __init__(self, *, idle_max: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.idle_max = idle_max
        # Released transports, least recently first: idle in aiohttp's pool, unless aiohttp
        # closed one as it was released (or its server did since): those are closing, and
        # leave as they come first. So `idle` counts the idle ones, or more, never fewer.
        self.idle: OrderedDict[asyncio.Transport, None] = OrderedDict()

    async def connect(self, req: aiohttp.ClientRequest, traces: list[Trace],
                      timeout: aiohttp.ClientTimeout) -> Connection:
        conn = await super().connect(req, traces, timeout)
        transport = conn.transport
        if transport is not None:
            self.idle.pop(transport, None)  # taken from the pool: in use again
            conn.add_callback(partial(self._went_idle, transport))
        return conn

    def _went_idle(self, transport: asyncio.Transport) -> None:
        self.idle[transport] = None
        while len(self.idle) > self.idle_max:
            oldest, _ = self.idle.popitem(last=False)
            # Aborted, not closed: an idle connection has nothing left to say, and asyncio
            # would keep a TLS one open up to 30 s for the server to answer its close
            # (aiohttp, too, aborts its TLS connections as its session closes).
            oldest.abort()
