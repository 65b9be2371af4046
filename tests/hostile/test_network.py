"""Hostile feeds and redirects that aim the monitor at internal addresses (SSRF).

Every request goes through monitor.ingest.fetch.make_session, whose connector refuses
loopback, private, link-local (the cloud metadata address), shared, multicast, reserved and
unspecified addresses at connect time, on every redirect hop, after DNS resolution, unless
`allow_private` is set for the monitor or the feed. Servers here are real (aiohttp.web and
http.server on 127.0.0.1); names are resolved by a resolver the test controls.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from monitor import settings, wiring
from monitor.ingest.addresses import Guard, GuardedResolver, Refused, address_class
from monitor.ingest.fetch import FetchLimits, FetchResult, Validators, fetch, make_session
from monitor.pipeline import PollResult, poll_once
from tests.articles import ON_TOPIC, rss

FEED = rss([("t1", *ON_TOPIC[0])]).encode()
ALLOW_HINT = "(set allow_private = true to allow)"
LIMITS = FetchLimits(connect_timeout=2.0, read_timeout=2.0, max_bytes=100_000, max_redirects=3,
                     concurrency=4, user_agent="monitor-test")


# -- real parts -------------------------------------------------------------------------


class Server:
    """A feed server that serves FEED at /feed, redirects /redirect?to=URL, and counts hits."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.app = web.Application()
        self.app.router.add_get("/feed", self.feed)
        self.app.router.add_get("/redirect", self.redirect)

    async def feed(self, request: web.Request) -> web.Response:
        self.hits.append(request.path_qs)
        return web.Response(body=FEED, content_type="application/rss+xml")

    async def redirect(self, request: web.Request) -> web.Response:
        self.hits.append(request.path_qs)
        raise web.HTTPFound(request.query["to"])


@asynccontextmanager
async def serving(server: Server) -> AsyncIterator[int]:
    """Serve on 127.0.0.1 at a free port; yield the port."""
    runner = web.AppRunner(server.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


class Hosts(AbstractResolver):
    """A resolver the test controls, as DNS an attacker controls would be: name -> address."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        address = self.names[host]
        kind = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [{"hostname": host, "host": address, "port": port, "family": kind, "proto": 0,
                 "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        pass


def spy_on_connects() -> list[str]:
    """Every address this event loop is asked to connect a socket to (aiohttp connects
    through loop.sock_connect), so a test can show that none was attempted."""
    loop = asyncio.get_running_loop()
    attempts: list[str] = []
    real = loop.sock_connect

    async def sock_connect(sock: socket.socket, address: Any) -> None:
        attempts.append(address[0])
        await real(sock, address)

    loop.sock_connect = sock_connect  # type: ignore[method-assign]
    return attempts


def get(session: aiohttp.ClientSession, url: str) -> Awaitable[FetchResult]:
    return fetch(session, "x", url, Validators(), LIMITS)


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())


def poll(path: Path) -> dict[str, PollResult]:
    """One `poll --once` of every feed, in process, as the service polls."""
    loaded = settings.load(path)

    async def go() -> list[PollResult]:
        async with wiring.runtime(loaded) as rt:
            return await poll_once(rt)

    return {r.feed: r for r in asyncio.run(go())}


# -- the address classes ------------------------------------------------------------------


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd12::1", "private"),
    ("fec0::1", "private"),
    ("169.254.169.254", "link-local (the cloud metadata address)"), ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"), ("fd00:ec2::254", "private (the cloud metadata address)"),
    ("100.64.0.1", "shared"), ("100.100.100.200", "shared"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("192.0.2.1", "reserved"), ("2001:db8::1", "reserved"),
    # IPv6 forms that reach an IPv4 address are judged by it
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local (the cloud metadata address)"),
    ("64:ff9b::a00:1", "private"), ("::7f00:1", "loopback"),
    ("2002:a9fe:a9fe::", "link-local (the cloud metadata address)"),
    ("8.8.8.8", None), ("2606:4700::1111", None), ("::ffff:8.8.8.8", None), ("64:ff9b::808:808", None),
])
def test_every_non_public_address_class_is_named(address: str, kind: str | None) -> None:
    """Attack: reach an internal service through any address form that gets there,
    including IPv6 spellings of an IPv4 address (mapped, NAT64, compatible, 6to4)."""
    assert address_class(ipaddress.ip_address(address)) == kind


# -- end to end: settings, wiring, poll ---------------------------------------------------


def test_feed_on_loopback_is_refused_without_the_key(feed_server, make_settings, caplog) -> None:
    """Attack: a feed URL pointing at a service on the monitor's own host (127.0.0.1)."""
    feed_server.set("/a.xml", FEED)
    path = make_settings({"a": feed_server.url("/a.xml")}, allow_private=False)
    with caplog.at_level(logging.WARNING, logger="monitor"):
        result = poll(path)["a"]
    expected = f"refused http://127.0.0.1:{feed_server.port}/: 127.0.0.1 is loopback {ALLOW_HINT}"
    assert (result.outcome, result.error) == ("error", expected)
    assert feed_server.requests == []  # not one request reached it
    assert f"feed 'a': {expected}" in caplog.text  # one log line naming the feed and the class


def test_name_resolving_to_loopback_is_refused(feed_server, make_settings) -> None:
    """Attack: a host name (not an IP literal) whose DNS answer is a loopback address."""
    feed_server.set("/a.xml", FEED)
    path = make_settings({"a": f"http://localhost:{feed_server.port}/a.xml"}, allow_private=False)
    result = poll(path)["a"]
    assert result.outcome == "error" and result.error
    assert result.error.startswith(f"refused http://localhost:{feed_server.port}/: ")
    assert result.error.endswith(f"is loopback {ALLOW_HINT}")  # 127.0.0.1 or ::1, whichever came first
    assert feed_server.requests == []


def test_allow_private_on_one_feed_allows_that_feed_only(feed_server, make_settings) -> None:
    """Operator's choice: one feed is an intranet feed; the others stay guarded."""
    feed_server.set("/intranet.xml", FEED)
    feed_server.set("/other.xml", FEED)
    path = make_settings({"intranet": feed_server.url("/intranet.xml"), "other": feed_server.url("/other.xml")},
                         allow_private=False)
    text = path.read_text().replace('/intranet.xml"\n', '/intranet.xml"\nallow_private = true\n', 1)
    path.write_text(text, encoding="utf-8")
    results = poll(path)
    assert (results["intranet"].outcome, results["intranet"].items) == ("ok", 1)
    assert results["other"].outcome == "error" and "127.0.0.1 is loopback" in (results["other"].error or "")
    assert [r["path"] for r in feed_server.requests] == ["/intranet.xml"]


def test_monitor_wide_allow_private_allows_every_feed(feed_server, make_settings) -> None:
    """Operator's choice: `[monitor] allow_private = true` (as every other test sets it)."""
    feed_server.set("/a.xml", FEED)
    result = poll(make_settings({"a": feed_server.url("/a.xml")}, allow_private=True))["a"]
    assert (result.outcome, result.items) == ("ok", 1)


# -- the connector: names, literals, redirect hops -------------------------------------------


def test_public_looking_name_resolving_to_loopback_is_refused_after_resolution() -> None:
    """Attack: DNS the attacker controls answers 127.0.0.1 for a public-looking name; the
    address checked is the one the connector was given, so no later answer can differ."""
    server = Server()
    hosts = Hosts({"feeds.example.com": "127.0.0.1"})

    async def body() -> None:
        async with serving(server) as port:
            url = f"http://feeds.example.com:{port}/feed"
            async with make_session(LIMITS, resolver=hosts) as guarded:
                refused = await get(guarded, url)
            async with make_session(LIMITS, allow_private=True, resolver=hosts) as open_:
                allowed = await get(open_, url)  # the same name, resolved the same way, when allowed
        assert refused.error == f"refused http://feeds.example.com:{port}/: 127.0.0.1 is loopback {ALLOW_HINT}"
        assert (allowed.outcome, allowed.body) == ("ok", FEED)
        assert server.hits == ["/feed"]  # only the allowed fetch reached the server

    run(body)


def test_ipv4_mapped_ipv6_literal_is_refused() -> None:
    """Attack: 127.0.0.1 spelt as an IPv6 literal, [::ffff:127.0.0.1], which aiohttp does
    not resolve and a check of IPv4 forms only would let through."""
    server = Server()

    async def body() -> None:
        async with serving(server) as port, make_session(LIMITS) as session:
            result = await get(session, f"http://[::ffff:127.0.0.1]:{port}/feed")
        assert result.error == (f"refused http://[::ffff:7f00:1]:{port}/: "
                                f"::ffff:7f00:1 (127.0.0.1) is loopback {ALLOW_HINT}")
        assert server.hits == []

    run(body)


def test_redirect_hop_to_another_local_port_is_refused() -> None:
    """Attack: an allowed feed server redirects to an internal service on another port. The
    guard here allows exactly the feed server's address and port, so the first hop passes
    and the redirect hop meets the check."""
    feed, internal = Server(), Server()

    async def body() -> None:
        async with serving(feed) as feed_port, serving(internal) as internal_port:
            guard = Guard(allowed=frozenset({("127.0.0.1", feed_port)}))
            async with make_session(LIMITS, guard=guard) as session:
                direct = await get(session, f"http://127.0.0.1:{feed_port}/feed")
                target = f"http://127.0.0.1:{internal_port}/feed"
                hop = await get(session, f"http://127.0.0.1:{feed_port}/redirect?to={target}")
        assert direct.outcome == "ok"
        assert hop.error == f"refused http://127.0.0.1:{internal_port}/: 127.0.0.1 is loopback {ALLOW_HINT}"
        assert internal.hits == []
        assert feed.hits == ["/feed", f"/redirect?to={target}"]

    run(body)


def test_redirect_hop_to_a_name_resolving_to_loopback_is_refused() -> None:
    """Attack: the redirect names a host (not an address) that resolves internally."""
    feed, internal = Server(), Server()
    hosts = Hosts({"cdn.example.net": "127.0.0.1"})

    async def body() -> None:
        async with serving(feed) as feed_port, serving(internal) as internal_port:
            guard = Guard(allowed=frozenset({("127.0.0.1", feed_port)}))
            async with make_session(LIMITS, guard=guard, resolver=hosts) as session:
                to = f"http://cdn.example.net:{internal_port}/feed"
                hop = await get(session, f"http://127.0.0.1:{feed_port}/redirect?to={to}")
        assert hop.error == f"refused http://cdn.example.net:{internal_port}/: 127.0.0.1 is loopback {ALLOW_HINT}"
        assert internal.hits == []

    run(body)


def test_metadata_address_is_refused_without_any_connection_attempt() -> None:
    """Attack: the cloud metadata service (credentials of the machine's role), as the feed
    URL and as a redirect hop. No socket is even connected towards it."""
    feed = Server()
    metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    expected = ("refused http://169.254.169.254/: 169.254.169.254 is link-local (the cloud metadata address) "
                + ALLOW_HINT)

    async def body() -> None:
        attempts = spy_on_connects()
        async with serving(feed) as feed_port:
            guard = Guard(allowed=frozenset({("127.0.0.1", feed_port)}))
            async with make_session(LIMITS, guard=guard) as session:
                direct = await get(session, metadata)
                hop = await get(session, f"http://127.0.0.1:{feed_port}/redirect?to={metadata}")
        assert direct.error == expected
        assert hop.error == direct.error
        assert feed.hits == [f"/redirect?to={metadata}"]
        assert attempts == ["127.0.0.1"]  # the feed server only: nothing towards 169.254.169.254

    run(body)


def test_resolver_keeps_only_public_addresses_and_refuses_a_name_with_none() -> None:
    """Attack: a name answering both a public and an internal address (the internal one
    must never be tried), or internal addresses only (refused, naming the first)."""

    class Answers(AbstractResolver):
        async def resolve(self, host: str, port: int = 0,
                          family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
            addresses = {"mixed.example": ["10.0.0.7", "93.184.216.34"], "inside.example": ["192.168.0.2", "::1"]}
            return [{"hostname": host, "host": a, "port": port, "family": socket.AF_INET, "proto": 0, "flags": 0}
                    for a in addresses[host]]

        async def close(self) -> None:
            pass

    async def body() -> None:
        resolver = GuardedResolver(Guard(), Answers())
        mixed = await resolver.resolve("mixed.example", 443)
        assert [r["host"] for r in mixed] == ["93.184.216.34"]
        with pytest.raises(Refused, match=r"^192\.168\.0\.2 is private$"):
            await resolver.resolve("inside.example", 443)

    run(body)
