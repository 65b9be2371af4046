"""Bounds on the health and metrics endpoint's connections (metrics.start_http).

aiohttp's server keeps a connection open for as long as its client takes to send a request,
and holds any number of them: 200 clients sending their headers a byte at a time stayed
open for minutes, and past the service's 1,024 file descriptors the monitor could open no
feed, no Redis connection and no settings file (a reload failed with "Too many open files").
Each connection here lives at most HTTP_CONNECTION_SECONDS (a scrape takes milliseconds,
and a client that keeps its connection alive opens another), and past HTTP_CONNECTIONS_MAX
open ones a new connection is closed at once. One client address holds at most
HTTP_PER_CLIENT_MAX of them, and a connection whose first request's headers have not come
within HTTP_HEADER_SECONDS is closed: 64 half-sent requests from one host held every place
for 30 s, and the liveness probe (systemd's, Prometheus's) failed meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

HTTP_CONNECTIONS_MAX = 64
HTTP_CONNECTION_SECONDS = 30.0
HTTP_PER_CLIENT_MAX = 8
HTTP_HEADER_SECONDS = 2.0


class _Guarded(asyncio.Protocol):
    """aiohttp's protocol for one connection, closed when too many are open or after its time."""

    def __init__(self, inner: Any, open_now: set[_Guarded]) -> None:
        self.inner = inner
        self.open_now = open_now
        self.timer: asyncio.TimerHandle | None = None
        self.headers_due: asyncio.TimerHandle | None = None  # until the first request's headers end
        self.tail = b""  # the last bytes received before they did
        self.client = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self.client = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if (len(self.open_now) >= HTTP_CONNECTIONS_MAX
                or sum(c.client == self.client for c in self.open_now) >= HTTP_PER_CLIENT_MAX):
            self.inner = None
            transport.close()
            return
        self.open_now.add(self)
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(HTTP_CONNECTION_SECONDS, transport.close)
        self.headers_due = loop.call_later(HTTP_HEADER_SECONDS, transport.close)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.headers_due is not None:
            seen = self.tail + data
            if b"\r\n\r\n" in seen:
                self.headers_due.cancel()
                self.headers_due = None
            self.tail = seen[-3:]
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.open_now.discard(self)
        for timer in (self.timer, self.headers_due):
            if timer is not None:
                timer.cancel()
        if self.inner is not None:
            self.inner.connection_lost(exc)


class GuardedSite(web.TCPSite):
    """web.TCPSite whose connections are bounded (the module's docstring)."""

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner, as TCPSite does
        server = self._runner.server
        assert server is not None
        open_now: set[_Guarded] = set()
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Guarded(server(), open_now), self._host, self._port, backlog=self._backlog)
