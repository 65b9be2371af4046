"""Hostile HTTP headers: a server's Retry-After that is not a number or a date we can
hold (a superscript digit passes str.isdigit; a year of ten digits overflows a datetime)
used to raise out of the fetch. It is now ignored: the fetch is a plain HTTP failure.

Set-Cookie headers of new names, paths and hosts at every answer: aiohttp's default
CookieJar kept each for the life of the session (the service's), with no cap before
aiohttp 3.14.4. The sessions now keep none (fetch.make_session)."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from monitor import retry_after
from monitor.ingest.addresses import Guard
from monitor.ingest.fetch import make_session
from monitor.keys import Keys
from monitor.store import FeedUpdate, Store
from tests.raw_server import raw_server
from tests.test_fetch import FEED, Server, get, limits, run
from tests.test_pool import AnyName

HOSTILE = ["²", "١٢", "Mon, 01 Jan 2222222024 00:00:00 GMT", "-5", "1e9", "soon", ""]


@pytest.mark.parametrize("value", HOSTILE)
def test_an_unreadable_retry_after_is_ignored(value: str) -> None:
    assert retry_after.seconds(value) is None


def test_readable_retry_after_values() -> None:
    assert retry_after.seconds(" 120 ") == 120.0
    assert retry_after.seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert retry_after.seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412540.0) == 0.0


def test_a_feed_with_a_hostile_retry_after_is_a_plain_http_failure() -> None:
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        for value in HOSTILE[:3]:
            result = await get(session, f"{base}/status/429?retry={quote(value)}")
            assert (result.outcome, result.error, result.retry_after) == ("error", "HTTP 429", None), value

    run(body)


COOKIE_HOSTS = 10  # names of one hostile server, each a cookie domain of its own
COOKIE_POLLS = 200
COOKIES_AN_ANSWER = 25


class CookieServer:
    """A feed whose every answer sets COOKIES_AN_ANSWER cookies never set before (new names,
    a year's Max-Age; the first for the whole host, the others a path each), and which counts
    the requests that sent any back."""

    def __init__(self) -> None:
        self.answers = 0
        self.sent_back = 0

    async def feed(self, request: web.Request) -> web.Response:
        self.answers += 1
        self.sent_back += "Cookie" in request.headers
        response = web.Response(body=FEED, content_type="application/rss+xml")
        host = request.host.split(":")[0]
        for n in range(COOKIES_AN_ANSWER):
            path = f"/p{self.answers}/{n}" if n else "/"
            response.headers.add("Set-Cookie", f"c{self.answers}_{n}={'x' * 40}; Domain={host}; Path={path}; "
                                               "Max-Age=31536000")
        return response


def test_a_feed_setting_new_cookies_at_every_poll_leaves_none_in_the_session() -> None:
    """Fault: the session's CookieJar kept every cookie a feed set, for as long as the
    service ran: after 200 polls of 25 new cookies each over 10 host names it held 5,000
    (aiohttp 3.12.0-3.14.3, no cap) or 1,590 (3.14.5: 150-180 a domain, 3,300 in all),
    and sent them back on 190 polls. Now none is kept or sent, as Miniflux's fetcher does
    (a Go client with no jar)."""
    server = CookieServer()

    async def body() -> None:
        app = web.Application()
        app.router.add_get("/feed", server.feed)
        runner = web.AppRunner(app, shutdown_timeout=0.2)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        # Host names, not 127.0.0.1: aiohttp's jar takes no cookie from an IP address.
        guard = Guard(allowed=frozenset({("127.0.0.1", port)}))
        try:
            async with make_session(limits(), guard=guard, resolver=AnyName()) as session:
                for poll in range(COOKIE_POLLS):
                    result = await get(session, f"http://h{poll % COOKIE_HOSTS}.feeds.test:{port}/feed")
                    assert result.outcome == "ok", result.error
                held = len(session.cookie_jar)
        finally:
            await runner.cleanup()
        assert (held, server.sent_back) == (0, 0), f"{held} cookies held, sent back on {server.sent_back} polls"

    asyncio.run(body())


# Header bytes past ASCII: an ETag may hold them (RFC 9110's etagc), a Location anything.
RAW_ANSWERS = {
    b"/etag": b'HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: "v\xff1"\r\n'
              b"Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\xe9\r\nContent-Length: %d\r\n\r\n" % len(FEED) + FEED,
    b"/redirect": b"HTTP/1.1 302 Found\r\nLocation: http://a:\xff/\r\nContent-Length: 0\r\n\r\n",
}


async def answer_raw(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers each path of RAW_ANSWERS with its bytes as written (aiohttp's server writes
    only text headers)."""
    request = await reader.readuntil(b"\r\n\r\n")
    path = request.split(b" ", 2)[1]
    writer.write(RAW_ANSWERS.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
    await writer.drain()


def test_header_bytes_past_ascii_leave_no_text_that_cannot_be_saved() -> None:
    """Fault: aiohttp reads such bytes as stray surrogates; the ETag and the error text kept
    them, redis-py could not encode the feed's save, and the save of every feed batched with
    it failed (theirs recorded as an error: backoff, an ops alert). Now the validators are
    dropped (the next poll is a plain GET) and the error text says "?" for them."""
    async def body() -> None:
        async with raw_server(answer_raw) as port, make_session(limits(), allow_private=True) as session:
            fetched = await get(session, f"http://127.0.0.1:{port}/etag")
            redirected = await get(session, f"http://127.0.0.1:{port}/redirect")
        assert fetched.outcome == "ok" and fetched.body == FEED
        assert (fetched.validators.etag, fetched.validators.last_modified) == (None, None)
        assert redirected.outcome == "error" and redirected.error
        redirected.error.encode("utf-8")  # raises on a surrogate

    asyncio.run(body())


def test_one_feeds_unsavable_field_does_not_fail_the_others_saves(redis_client) -> None:
    """The store's own guard: a field no text encoding writes is saved with "?" for it, and
    the other feeds of the same batch are saved."""
    store = Store(redis_client, Keys("t:"))
    store.update_feeds([FeedUpdate("good", {"last_status": "ok"}),
                        FeedUpdate("bad", {"etag": '"v\udcff1"', "last_error": "no \udcff"})])
    assert store.feed_state("good").last_status == "ok"
    assert (store.feed_state("bad").etag, store.feed_state("bad").last_error) == ('"v?1"', "no ?")
