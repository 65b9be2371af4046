"""The sessions' cap on idle keep-alive connections (monitor/ingest/pool.py), against a real
aiohttp.web server on 127.0.0.1 reached under many host names: a resolver of the test's
answers 127.0.0.1 for every name, and the guard allows that address at the server's port
only, so each name is a host of its own to aiohttp's pool.

Coroutines run with asyncio.run inside plain test functions (no pytest-asyncio).
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from monitor.ingest import deadline, fetch
from monitor.ingest.addresses import Guard
from monitor.ingest.fetch import FetchLimits, FetchResult, Validators, make_session
from monitor.ingest.pool import IdleCapped
from monitor.limits import IDLE_CONNECTIONS

CONCURRENCY = 10
LIMITS = FetchLimits(connect_timeout=5.0, read_timeout=5.0, max_bytes=100_000, max_redirects=3,
                     concurrency=CONCURRENCY, user_agent="monitor-test")


class Server:
    """Answers every path; records, per request, the Host and the client's port (one port
    is one connection)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[tuple[str, int]] = []
        self.app = web.Application()
        self.app.router.add_get("/{tail:.*}", self.page)
        self.runner = web.AppRunner(self.app)

    async def page(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.requests.append((request.host.split(":")[0], peer[1] if peer else 0))
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(text="<html><body>a page</body></html>", content_type="text/html")

    def ports(self, host: str) -> list[int]:
        return [port for name, port in self.requests if name == host]

    def open_connections(self) -> int:
        assert self.runner.server is not None
        return len(self.runner.server.connections)


class AnyName(AbstractResolver):
    """Every name is 127.0.0.1."""

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        pass


@asynccontextmanager
async def session_on(server: Server) -> AsyncIterator[tuple[aiohttp.ClientSession, int]]:
    """The server on a free port, and a session of make_session allowed to reach it there."""
    await server.runner.setup()
    site = web.TCPSite(server.runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    guard = Guard(allowed=frozenset({("127.0.0.1", port)}))
    try:
        async with make_session(LIMITS, guard=guard, resolver=AnyName()) as session:
            yield session, port
    finally:
        await server.runner.cleanup()


async def get(session: aiohttp.ClientSession, host: str, port: int) -> FetchResult:
    result = await fetch.fetch(session, "x", f"http://{host}:{port}/p", Validators(), LIMITS)
    assert result.outcome == "ok", result.error
    return result


async def settled(count: Callable[[], int], at_most: int) -> int:
    """`count()` once it is at most `at_most`, or after 2 s: the server hears of a
    connection the client closed a turn or two of the loop later."""
    for _ in range(200):
        if count() <= at_most:
            break
        await asyncio.sleep(0.01)
    return count()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())


def test_idle_connections_to_many_hosts_are_capped() -> None:
    """Fault: aiohttp's `limit` counts connections in use, and idle ones were kept 15-30 s
    whatever their number: after 300 hosts, 300 sockets stayed open (after 10,000 hosts in
    13 s, 9,720, past systemd's 1,024 open files). Now at most IDLE_CONNECTIONS idle ones,
    and every fetch still succeeds."""
    hosts = 3 * IDLE_CONNECTIONS
    server = Server()

    async def body() -> None:
        before = open_fds()
        async with session_on(server) as (session, port):
            await asyncio.gather(*(get(session, f"h{i}.example", port) for i in range(hosts)))
            open_now = await settled(server.open_connections, IDLE_CONNECTIONS)
            grown = open_fds() - before  # the client's sockets and the server's ends of them
        assert len(server.requests) == hosts
        assert open_now == IDLE_CONNECTIONS
        assert grown <= 2 * (IDLE_CONNECTIONS + CONCURRENCY)

    run(body)


def test_a_hosts_pages_reuse_one_connection_while_it_is_among_the_recent() -> None:
    """Kept: a poll's pages of one host, read one after another while other fetches go on,
    reuse one connection, as long as fewer than IDLE_CONNECTIONS others were used since."""
    server = Server()
    others = IDLE_CONNECTIONS // 2

    async def body() -> None:
        async with session_on(server) as (session, port):
            for page in range(5):
                await get(session, "news.example", port)
                await asyncio.gather(*(get(session, f"o{page}-{i}.example", port) for i in range(others)))
        assert len(set(server.ports("news.example"))) == 1

    run(body)


def test_the_least_recently_used_connection_is_closed_first() -> None:
    """Past the cap the oldest idle connection goes (before, every one was kept 15-30 s): a
    host unused while IDLE_CONNECTIONS others were used connects anew, a recent one does not."""
    server = Server()

    async def body() -> None:
        async with session_on(server) as (session, port):
            await get(session, "old.example", port)
            await get(session, "recent.example", port)
            for i in range(IDLE_CONNECTIONS - 1):  # old.example is now the 101st most recent
                await get(session, f"o{i}.example", port)
            await get(session, "recent.example", port)
            await get(session, "old.example", port)
        assert len(set(server.ports("recent.example"))) == 1
        assert len(set(server.ports("old.example"))) == 2

    run(body)


def test_connections_in_use_are_never_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """With as few idle connections kept as in use (ten) and 40 slow fetches, ten at a time,
    releases close idle connections all the time: none of those in use is among them."""
    monkeypatch.setattr(fetch, "IDLE_CONNECTIONS", 1)  # the cap is then `concurrency`
    server = Server(delay=0.02)

    async def body() -> None:
        async with session_on(server) as (session, port):
            assert isinstance(session.connector, IdleCapped) and session.connector.idle_max == CONCURRENCY
            for _ in range(3):
                results = await asyncio.gather(*(get(session, f"s{i}.example", port) for i in range(40)))
                assert {r.outcome for r in results} == {"ok"}
            assert await settled(server.open_connections, CONCURRENCY) == CONCURRENCY

    run(body)


def test_the_cap_is_the_concurrency_when_that_is_more() -> None:
    async def body() -> None:
        for concurrency, cap in ((20, IDLE_CONNECTIONS), (IDLE_CONNECTIONS + 50, IDLE_CONNECTIONS + 50)):
            async with make_session(replace(LIMITS, concurrency=concurrency)) as session:
                assert isinstance(session.connector, IdleCapped) and session.connector.idle_max == cap

    run(body)


def test_a_connection_taken_from_the_pool_is_no_longer_counted_idle() -> None:
    """Pins the aiohttp behaviour pool.py is built on: `connect` hands out a pooled
    connection (it leaves `idle`) and its release callback puts it back, once; and the
    sessions' one trace (deadline.py) does not listen to on_connection_reuseconn, so nothing
    awaits between aiohttp taking a connection from its pool and `connect` taking it out of
    `idle`."""
    server = Server()

    async def body() -> None:
        async with session_on(server) as (session, port):
            connector = session.connector
            assert isinstance(connector, IdleCapped)
            await get(session, "a.example", port)
            first = list(connector.idle)
            await get(session, "a.example", port)
            assert list(connector.idle) == first and len(first) == 1
            assert len(set(server.ports("a.example"))) == 1

    run(body)
    assert not deadline.trace().on_connection_reuseconn
