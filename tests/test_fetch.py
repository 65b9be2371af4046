"""The fetch stage against a real local HTTP server (aiohttp.web on 127.0.0.1, random port).

Coroutines run with asyncio.run inside plain test functions (no pytest-asyncio).
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote

import aiohttp
from aiohttp import web

from monitor.ingest.fetch import (
    FetchLimits,
    FetchResult,
    Validators,
    fetch,
    make_session,
)
from monitor.retry_after import backoff_delay

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
ETAG = '"v1"'
LAST_MODIFIED = "Tue, 02 Jan 2024 03:04:05 GMT"
UA = "monitor-test/1.0 (+https://example.org/monitor)"


def limits(**overrides: float) -> FetchLimits:
    values: dict = {
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "max_bytes": 100_000,
        "max_redirects": 3,
        "concurrency": 10,
        "user_agent": UA,
    }
    values.update(overrides)
    return FetchLimits(**values)


class Server:
    """A feed server whose handlers record what the client sent."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        self.app = web.Application()
        self.app.router.add_get("/etag", self.etag)
        self.app.router.add_get("/modified", self.modified)
        self.app.router.add_get("/gzip", self.gzipped)
        self.app.router.add_get("/badgzip", self.bad_gzip)
        self.app.router.add_get("/stream", self.stream)
        self.app.router.add_get("/declared", self.declared)
        self.app.router.add_get("/hop/{n}", self.hop)
        self.app.router.add_get("/to", self.to)
        self.app.router.add_get("/sleep", self.sleep)
        self.app.router.add_get("/drip", self.drip)
        self.app.router.add_get("/status/{code}", self.status)
        self.streamed = 0

    def record(self, request: web.Request) -> None:
        self.seen.append(dict(request.headers))

    async def etag(self, request: web.Request) -> web.Response:
        self.record(request)
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        return web.Response(body=FEED, content_type="application/rss+xml", headers={"ETag": ETAG})

    async def modified(self, request: web.Request) -> web.Response:
        self.record(request)
        if request.headers.get("If-Modified-Since") == LAST_MODIFIED:
            return web.Response(status=304)
        headers = {"Last-Modified": LAST_MODIFIED}
        return web.Response(body=FEED, content_type="application/rss+xml", headers=headers)

    async def gzipped(self, request: web.Request) -> web.Response:
        self.record(request)
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
        return web.Response(body=gzip.compress(FEED * 50), headers=headers)

    async def bad_gzip(self, request: web.Request) -> web.Response:
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
        return web.Response(body=b"this is not gzip" * 10, headers=headers)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """10 MB in 64 KB chunks with no Content-Length: only streaming can cap it."""
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        try:
            for _ in range(160):
                await resp.write(b"x" * 65536)
                self.streamed += 65536
        except (ConnectionError, asyncio.CancelledError):
            pass
        return resp

    async def declared(self, request: web.Request) -> web.Response:
        return web.Response(body=b"y" * 200_000, content_type="application/rss+xml")

    async def hop(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(body=FEED, content_type="application/rss+xml")
        raise web.HTTPFound(f"/hop/{n - 1}")

    async def to(self, request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": request.query["where"]})

    async def sleep(self, request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("s", "3")))
        return web.Response(body=FEED)

    async def drip(self, request: web.Request) -> web.StreamResponse:
        """A byte every 50 ms: never idle long enough for a socket read timeout."""
        resp = web.StreamResponse()
        await resp.prepare(request)
        for _ in range(60):
            await resp.write(b" ")
            await asyncio.sleep(0.05)
        return resp

    async def status(self, request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        headers = {}
        if "retry" in request.query:
            headers["Retry-After"] = request.query["retry"]
        return web.Response(status=code, headers=headers, text="no")


@asynccontextmanager
async def serve(server: Server) -> AsyncIterator[str]:
    runner = web.AppRunner(server.app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def run(
    body: Callable[[Server, str, aiohttp.ClientSession], Awaitable[None]],
    lim: FetchLimits | None = None,
) -> Server:
    """Start a server and a session, run the test body, clean both up."""
    server = Server()

    async def main() -> None:
        # The server is on 127.0.0.1: allowed here (tests/hostile/test_network.py tests the guard).
        async with serve(server) as base, make_session(lim or limits(), allow_private=True) as session:
            await body(server, base, session)

    asyncio.run(main())
    return server


def get(session: aiohttp.ClientSession, url: str, **kw: object) -> Awaitable[FetchResult]:
    lim = kw.pop("lim", None) or limits()
    validators = kw.pop("validators", None) or Validators()
    return fetch(session, "feed", url, validators, lim)  # type: ignore[arg-type]


def test_etag_round_trip_gives_304_and_keeps_validators() -> None:
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        first = await get(session, f"{base}/etag")
        assert (first.outcome, first.status, first.body) == ("ok", 200, FEED)
        assert first.validators == Validators(etag=ETAG)
        assert first.content_type == "application/rss+xml"
        second = await get(session, f"{base}/etag", validators=first.validators)
        assert (second.outcome, second.status, second.body) == ("not_modified", 304, None)
        assert second.validators == first.validators
        assert server.seen[1]["If-None-Match"] == ETAG

    run(body)


def test_last_modified_round_trip_gives_304() -> None:
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        first = await get(session, f"{base}/modified")
        assert first.validators == Validators(last_modified=LAST_MODIFIED)
        second = await get(session, f"{base}/modified", validators=first.validators)
        assert second.outcome == "not_modified"
        assert second.validators == Validators(last_modified=LAST_MODIFIED)
        assert "If-Modified-Since" not in server.seen[0]
        assert server.seen[1]["If-Modified-Since"] == LAST_MODIFIED

    run(body)


def test_user_agent_is_sent() -> None:
    server = run(lambda server, base, session: get(session, f"{base}/etag"))
    assert server.seen[0]["User-Agent"] == UA


def test_gzip_body_is_decompressed() -> None:
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        result = await get(session, f"{base}/gzip")
        assert result.outcome == "ok"
        assert result.body == FEED * 50
        assert "gzip" in server.seen[0]["Accept-Encoding"]
        broken = await get(session, f"{base}/badgzip")
        assert (broken.outcome, broken.body) == ("error", None)
        assert broken.error and "\n" not in broken.error

    run(body)


def test_streamed_body_over_the_cap_is_refused_without_reading_it_all() -> None:
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        result = await get(session, f"{base}/stream")
        assert result.outcome == "error"
        assert result.error == "response larger than 100000 bytes"
        assert result.body is None
        await asyncio.sleep(0.1)  # let the server notice the closed connection
        assert server.streamed < 160 * 65536

    run(body)


def test_declared_length_over_the_cap_is_refused() -> None:
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        result = await get(session, f"{base}/declared")
        assert (result.outcome, result.status) == ("error", None)
        assert result.error == "response larger than 100000 bytes"

    run(body)


def test_redirects_are_followed_up_to_the_limit() -> None:
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        ok = await get(session, f"{base}/hop/3")
        assert (ok.outcome, ok.body) == ("ok", FEED)
        too_many = await get(session, f"{base}/hop/4")
        assert (too_many.outcome, too_many.error) == ("error", "too many redirects")
        none_allowed = await get(session, f"{base}/hop/1", lim=limits(max_redirects=0))
        assert (none_allowed.status, none_allowed.error) == (302, "too many redirects")
        direct = await get(session, f"{base}/hop/0", lim=limits(max_redirects=0))
        assert direct.outcome == "ok"

    run(body)


def test_a_redirect_or_url_yarl_cannot_read_is_a_failed_fetch() -> None:
    """"http://[v1.x]@/": urllib reads a host in it, yarl raised IndexError, out of fetch: a
    feed redirected there failed with a traceback logged, and an item's page the same."""
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        for result in (await get(session, f"{base}/to?where={quote('http://[v1.x]@/a')}"),
                       await get(session, "http://[v1.x]@/a")):
            assert (result.outcome, result.error) == ("error", "malformed URL")

    run(body)


def test_slow_server_times_out() -> None:
    lim = limits(read_timeout=0.2)

    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        result = await get(session, f"{base}/sleep?s=3", lim=lim)
        assert (result.outcome, result.status) == ("error", None)
        assert result.error == "timeout after 0.2s"
        assert result.elapsed < 1.5

    run(body, lim)


def test_dripping_server_times_out_on_the_whole_body() -> None:
    lim = limits(read_timeout=0.5)

    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        result = await get(session, f"{base}/drip", lim=lim)
        assert (result.outcome, result.error) == ("error", "timeout after 0.5s")
        assert result.elapsed < 2.0

    run(body, lim)


def test_server_error_is_an_error_result() -> None:
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        result = await get(session, f"{base}/status/500")
        assert (result.outcome, result.status, result.error) == ("error", 500, "HTTP 500")
        assert result.retry_after is None

    run(body)


def test_retry_after_in_seconds_and_as_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    long_ago = "Mon, 01 Jan 2001 00:00:00 GMT"

    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        seconds = await get(session, f"{base}/status/429?retry=120")
        assert (seconds.status, seconds.error, seconds.retry_after) == (429, "HTTP 429", 120.0)
        result = await get(session, f"{base}/status/503?retry={quote(when)}")
        assert result.status == 503
        assert result.retry_after is not None and 80 <= result.retry_after <= 91
        past = await get(session, f"{base}/status/503?retry={quote(long_ago)}")
        assert past.retry_after == 0.0
        ignored = await get(session, f"{base}/status/500?retry=60")
        assert ignored.retry_after is None

    run(body)


def test_unreachable_server_is_an_error_result() -> None:
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        # A port that was just free: bind, read it, close, and connect to it.
        probe = web.AppRunner(web.Application())
        await probe.setup()
        site = web.TCPSite(probe, "127.0.0.1", 0)
        await site.start()
        port = probe.addresses[0][1]
        await probe.cleanup()
        result = await get(session, f"http://127.0.0.1:{port}/feed")
        assert (result.outcome, result.status) == ("error", None)
        assert result.error and "\n" not in result.error
        bad = await get(session, "not a url")
        assert bad.outcome == "error"

    run(body)


def test_concurrent_fetches_one_hanging_feed_does_not_delay_the_others() -> None:
    lim = limits(read_timeout=1.0)

    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        requests = [("hang", f"{base}/sleep?s=5", Validators())]
        requests += [(f"f{i}", f"{base}/etag", Validators()) for i in range(8)]
        started = time.monotonic()
        results = await asyncio.gather(*(fetch(session, feed, url, validators, lim)
                                         for feed, url, validators in requests))
        total = time.monotonic() - started
        assert [r.feed for r in results] == [name for name, _, _ in requests]
        assert results[0].error == "timeout after 1s"
        assert all(r.outcome == "ok" and r.elapsed < 0.5 for r in results[1:])
        assert total < 2.5

    run(body, lim)


def test_backoff_doubles_is_capped_and_honours_retry_after() -> None:
    assert [backoff_delay(n, None, 60, 1000) for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 480, 960]
    assert backoff_delay(10, None, 60, 1000) == 1000
    assert backoff_delay(1, 300, 60, 1000) == 300
    assert backoff_delay(3, 30, 60, 1000) == 240
    assert backoff_delay(1, 5000, 60, 1000) == 5000
    assert backoff_delay(0, None, 60, 1000) == 0
    # a feed down for months: 2**1024 overflowed, and the poll that recorded it crashed
    assert backoff_delay(1025, None, 60.0, 1000.0) == backoff_delay(10**9, None, 60.0, 1000.0) == 1000
