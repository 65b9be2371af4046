"""Faults a review found in the ingest stages, each on real parts: servers on 127.0.0.1
(allowed past the private-address guard, as in test_fetch.py), the conftest feed server and
Redis for whole polls, and parse_feed on the documents that broke it.

- a server that drips its headers a byte at a time held a fetch past read_timeout;
- a bare "&" before deep nesting slipped past the depth guard into feedparser, and a
  broken body full of tags held the event loop for seconds there;
- an absurd Retry-After (400 nines, the year 9999) parked a feed or a host for ever;
- relative links resolved against the configured URL, not the one the feed moved to;
- Atom's xml:base was ignored by the lxml reader (not by feedparser);
- JSON Feed titles, plain text, were cleaned as HTML ("a<b" lost its tail).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from monitor import defaults, settings, wiring
from monitor.errors import ParseError
from monitor.ingest import article
from monitor.ingest.fetch import FetchLimits, FetchResult, Validators, fetch, make_session
from monitor.ingest.parse import parse_feed
from monitor.limits import FEEDPARSER_MAX_MARKUP
from monitor.pipeline import PollResult, poll_once
from monitor.retry_after import backoff_delay
from monitor.runtime import Runtime
from monitor.store import FeedState
from tests.conftest import FeedServer
from tests.hostile.documents import HOSTILE
from tests.raw_server import Handler, raw_server

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FAR = "Fri, 31 Dec 9999 23:59:59 GMT"


def limits(read_timeout: float = 2.0) -> FetchLimits:
    return FetchLimits(connect_timeout=2.0, read_timeout=read_timeout, max_bytes=100_000,
                       max_redirects=3, concurrency=4, user_agent="monitor-test")


def poll(path: Path) -> tuple[list[PollResult], Runtime, list[tuple[str, bool]]]:
    """One in-process poll of every feed; the stages it timed, each with whether it ran in
    the event loop's thread."""
    loaded = settings.load(path)
    stages: list[tuple[str, int]] = []

    class Threads:
        def stage(self, name: str, started: float, ended: float, items: int) -> None:
            stages.append((name, threading.get_ident()))

    async def run() -> tuple[list[PollResult], Runtime, int]:
        async with wiring.runtime(loaded) as rt:
            rt.observers.append(Threads())
            return await poll_once(rt), rt, threading.get_ident()

    results, rt, loop_thread = asyncio.run(run())
    return results, rt, [(name, thread == loop_thread) for name, thread in stages]


# -- 1. read_timeout covers the status line and headers ---------------------------------


async def header_drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Sends its status line, then a header byte every 0.3 s for 12 s: each read waits less
    than the 1 s of sock_read."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(40):
        if reader.at_eof():  # the client gave up
            break
        writer.write(b"X")
        await writer.drain()
        await asyncio.sleep(0.3)


def test_headers_dripped_byte_by_byte_time_out_at_read_timeout() -> None:
    """sock_read is met by every byte; the fetch's one clock is not (it took 12 s before)."""
    async def run() -> FetchResult:
        lim = limits(read_timeout=1.0)
        async with raw_server(header_drip) as port, make_session(lim, allow_private=True) as session:
            return await fetch(session, "drip", f"http://127.0.0.1:{port}/feed", Validators(), lim)

    result = asyncio.run(run())
    assert (result.outcome, result.status, result.error) == ("error", None, "timeout after 1s")
    assert result.elapsed < 6


def slow_redirects(hops: int, wait: float) -> Handler:
    """Redirects /0 to /1 ... to /`hops`, each answer `wait` seconds late."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        hop = int(request.split(b" ", 2)[1].strip(b"/"))
        await asyncio.sleep(wait)
        writer.write(f"HTTP/1.1 302 Found\r\nLocation: /{hop + 1}\r\nContent-Length: 0\r\n\r\n".encode()
                     if hop < hops else b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    return handle


def test_a_chain_of_slow_redirects_times_out_at_read_timeout() -> None:
    """Each hop answers within read_timeout, the chain does not: the clock ran afresh at
    every hop, so max_redirects + 1 slow hops held a fetch that many times read_timeout."""
    async def run(hops: int) -> FetchResult:
        lim = limits(read_timeout=1.0)
        async with raw_server(slow_redirects(hops, wait=0.6)) as port, \
                make_session(lim, allow_private=True) as session:
            return await fetch(session, "chain", f"http://127.0.0.1:{port}/0", Validators(), lim)

    result = asyncio.run(run(3))
    assert (result.outcome, result.error) == ("error", "timeout after 1s")
    assert result.elapsed < 1.5
    assert asyncio.run(run(0)).outcome == "ok"  # one such hop is within the clock


# -- 2. the depth guard, and feedparser's share of the event loop -----------------------


def test_deep_nesting_after_a_bare_ampersand_is_refused_at_once() -> None:
    """The first error is the "&": the depth limit is found further down lxml's log."""
    deep = HOSTILE["deep-xml"].body
    bypass = deep.replace(b"<title>hostile</title>", b"<title>hostile & co</title>", 1)
    assert bypass != deep
    started = time.perf_counter()
    with pytest.raises(ParseError, match="beyond a parser limit: Excessive depth"):
        parse_feed(bypass, "application/rss+xml", "deep", NOW)
    assert time.perf_counter() - started < 2  # feedparser took seconds on it


def test_one_refused_document_does_not_taint_the_next() -> None:
    """The depth error of one parse is not read as the next one's (lxml's exception log
    is the thread's last 100 errors): a small broken feed after it still has its item."""
    with pytest.raises(ParseError):
        parse_feed(HOSTILE["deep-xml"].body, "application/rss+xml", "deep", NOW)
    broken = (b'<rss version="2.0"><channel><title>Tom & Jerry</title>'
              b"<item><title>Kept</title><link>https://e.org/1</link></item></channel></rss>")
    assert [i.title for i in parse_feed(broken, "application/rss+xml", "broken", NOW)] == ["Kept"]


def test_a_broken_body_with_more_markup_than_feedparser_takes_is_refused_in_one_line() -> None:
    """Flat tags, no depth to find: their number alone keeps them from feedparser (~11 µs a
    tag: these 800 kB took it 2.3 s)."""
    most = FEEDPARSER_MAX_MARKUP
    body = b'<rss version="2.0"><channel><title>a & b</title>' + b"<x/>" * most
    started = time.perf_counter()
    with pytest.raises(ParseError, match=rf"too much markup for feedparser \({most + 5} tags and references, "
                       rf"at most {most}\)") as refused:
        parse_feed(body, "application/rss+xml", "flat", NOW)
    assert "\n" not in str(refused.value)
    assert time.perf_counter() - started < 2


def test_a_poll_parses_its_feed_off_the_event_loop(feed_server: FeedServer, make_settings) -> None:
    """A broken feed may still cost feedparser seconds: the poll parses in a thread, so the
    event loop goes on with the other feeds' fetches meanwhile."""
    feed_server.set("/broken.xml", b'<rss version="2.0"><channel><title>a & b</title><item>'
                    b"<title>Kept</title><link>https://e.org/1</link></item></channel></rss>")
    results, _, stages = poll(make_settings({"broken": feed_server.url("/broken.xml")}))
    assert [(r.outcome, r.items) for r in results] == [("ok", 1)]
    assert ("parse", False) in stages and ("parse", True) not in stages


# -- 3. Retry-After is bounded ----------------------------------------------------------


@asynccontextmanager
async def busy_server() -> AsyncIterator[str]:
    """503 with the Retry-After given in the query."""
    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=503, text="busy", headers={"Retry-After": request.query["after"]})

    app = web.Application()
    app.router.add_get("/", busy)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()


def test_an_infinite_or_far_retry_after_is_bounded() -> None:
    """400 nines are float infinity: unreadable, so ignored. The year 9999 is finite: the
    wait stops at RETRY_AFTER_CEILING, or at backoff_max when that is longer."""
    async def run() -> list[FetchResult]:
        lim = limits()
        async with busy_server() as url, make_session(lim, allow_private=True) as session:
            return [await fetch(session, "busy", f"{url}?after={after}", Validators(), lim)
                    for after in ("9" * 400, FAR, "120")]

    nines, far, sane = asyncio.run(run())
    assert (nines.status, nines.retry_after) == (503, None)
    assert backoff_delay(1, nines.retry_after, 60, 3600) == 60
    assert far.retry_after is not None and far.retry_after > 100 * 365 * defaults.DAY
    assert backoff_delay(1, far.retry_after, 60, 3600) == defaults.RETRY_AFTER_CEILING == defaults.DAY
    assert backoff_delay(1, far.retry_after, 60, 7 * defaults.DAY) == 7 * defaults.DAY
    assert backoff_delay(1, sane.retry_after, 60, 3600) == 120


def test_a_feed_asked_to_wait_till_9999_is_polled_again_within_a_day(feed_server: FeedServer,
                                                                      make_settings) -> None:
    feed_server.set("/busy.xml", b"busy", status=503, headers={"Retry-After": FAR})
    feed_server.set("/gone.xml", b"busy", status=503, headers={"Retry-After": "9" * 400})
    before = time.time()
    results, rt, _ = poll(make_settings({"busy": feed_server.url("/busy.xml"),
                                         "gone": feed_server.url("/gone.xml")}))
    assert [r.error for r in results] == ["HTTP 503", "HTTP 503"]
    busy: FeedState = rt.store.feed_state("busy")
    gone: FeedState = rt.store.feed_state("gone")
    assert before + defaults.DAY - 5 < busy.retry_at < time.time() + defaults.DAY + 5
    assert before < gone.retry_at < time.time() + 60  # backoff_base 1s: the header is ignored


def test_an_article_host_asked_to_wait_till_9999_rests_a_day_at_most() -> None:
    async def run() -> tuple[article.Page, article.HostGate]:
        lim, gate = limits(), article.HostGate()
        async with busy_server() as url, make_session(lim, allow_private=True) as session:
            page = await article.read_page(session, f"{url}?after={FAR.replace(' ', '%20')}", lim, gate,
                                           article.ArticleConfig(mode="always"), asyncio.to_thread)
        return page, gate

    page, gate = asyncio.run(run())
    assert (page.outcome, page.error) == ("error", "HTTP 503")
    assert gate.resting("127.0.0.1")
    assert not gate.resting("127.0.0.1", now=time.monotonic() + defaults.RETRY_AFTER_CEILING + 60)


# -- 4. relative links resolve against the URL the feed was served from -----------------


RELATIVE = (b'<rss version="2.0"><channel><title>t</title>'
            b"<item><title>Story one</title><link>story-1.html</link><description>One.</description></item>"
            b"<item><title>Story two</title><link>/news/story-2.html</link><description>Two.</description></item>"
            b"</channel></rss>")


def test_relative_links_resolve_against_the_feed_after_its_redirect(feed_server: FeedServer,
                                                                    make_settings) -> None:
    """The feed moved from /old/feed.xml to /news/rss.xml: story-1.html is /news/'s. The
    configured URL's credentials do not travel into the base either."""
    feed_server.set("/old/feed.xml", b"", status=301, headers={"Location": "/news/rss.xml"})
    feed_server.set("/news/rss.xml", RELATIVE)
    configured = feed_server.url("/old/feed.xml").replace("://", "://user:secret@")
    results, rt, _ = poll(make_settings({"moved": configured}))
    assert [(r.outcome, r.items) for r in results] == [("ok", 2)]
    base = feed_server.url("")
    assert sorted(r.url for r in rt.store.recent(10)) == [f"{base}/news/story-1.html", f"{base}/news/story-2.html"]


def test_a_fetch_reports_its_final_url_without_credentials(feed_server: FeedServer) -> None:
    feed_server.set("/old/feed.xml?token=t", b"", status=301, headers={"Location": "/news/rss.xml#top"})
    feed_server.set("/news/rss.xml", RELATIVE)

    async def run() -> FetchResult:
        url = feed_server.url("/old/feed.xml?token=t").replace("://", "://user:secret@")
        async with make_session(limits(), allow_private=True) as session:
            return await fetch(session, "moved", url, Validators(), limits())

    result = asyncio.run(run())
    assert (result.outcome, result.final_url) == ("ok", feed_server.url("/news/rss.xml"))


# -- 5. Atom xml:base -------------------------------------------------------------------


def test_atom_links_resolve_against_xml_base() -> None:
    """As feedparser reads it (the same feed with a stray "&" went there and got it right)."""
    atom = """<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.org/posts/">
    <title>{title}</title><id>urn:x</id>
    <entry><title>One</title><id>urn:1</id><link href="2024/one.html"/><summary>s</summary></entry>
    <entry xml:base="/archive/"><title>Two</title><id>urn:2</id><link href="two.html"/><summary>s</summary></entry>
    <entry><title>Three</title><id>urn:3</id><link href="https://other.example.org/3"/><summary>s</summary></entry>
    </feed>"""
    expected = ["https://blog.example.org/posts/2024/one.html", "https://blog.example.org/archive/two.html",
                "https://other.example.org/3"]
    for title in ("Blog", "Tom & Jerry"):  # lxml, then (not well-formed) feedparser
        items = parse_feed(atom.format(title=title).encode(), "application/atom+xml", "blog", NOW,
                           base_url="https://feeds.example.com/atom.xml")
        assert [i.url for i in items] == expected, title


def test_atom_without_xml_base_still_resolves_against_the_feed() -> None:
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id>'
            b'<entry><title>One</title><id>urn:1</id><link href="one.html"/><summary>s</summary></entry></feed>')
    items = parse_feed(atom, "application/atom+xml", "blog", NOW, base_url="https://feeds.example.com/a/atom.xml")
    assert [i.url for i in items] == ["https://feeds.example.com/a/one.html"]


# -- 6. JSON Feed titles are plain text -------------------------------------------------


def test_json_feed_titles_are_plain_text() -> None:
    """No tag in a title: "<int>" is text. Character references are decoded all the same:
    many feeds escape titles as HTML (tests/data/jsonfeed.json)."""
    title = "Why std::vector<int> beats list<T> & when a<b"
    doc = {"version": "https://jsonfeed.org/version/1.1",
           "items": [{"id": "1", "title": title, "content_html": "<p>Body &amp; more</p>"},
                     {"id": "2", "title": "Tom &amp; Jerry&#8217;s <b>", "content_text": "x"}]}
    first, second = parse_feed(json.dumps(doc).encode(), "application/feed+json", "json", NOW)
    assert (first.title, first.text) == (title, "Body & more")
    assert second.title == "Tom & Jerry\u2019s <b>"
