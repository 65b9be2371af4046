"""Fetch stage: feed bodies over HTTP with aiohttp. No Redis: the caller keeps validators.

One guarded `ClientSession` serves the whole service (its connector bounds how many
fetches are in flight), and an unguarded one the feeds that set `allow_private`. `fetch`
never raises for network or HTTP trouble: every failure becomes a `FetchResult` with
outcome "error" and a one-line reason, so one bad feed cannot stop a poll. Reasons never
show a URL's credentials (urls.masked).

`make_session` is the one factory of HTTP sessions: anything the monitor fetches goes
through it, and by default its connector refuses non-public addresses (addresses.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver

from monitor import retry_after, urls
from monitor.ingest import deadline
from monitor.ingest.addresses import Guard, GuardedResolver, Refused
from monitor.ingest.pool import IdleCapped
from monitor.limits import IDLE_CONNECTIONS

RETRY_AFTER_STATUSES = frozenset({429, 503})
"""Statuses whose Retry-After header we honour (the server asks us to slow down)."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

CHUNK = 64 * 1024
"""Bytes read at a time while streaming a body (the size cap is checked per chunk)."""


@dataclass(frozen=True, slots=True)
class FetchLimits:
    connect_timeout: float  # seconds to open a connection (waiting for a pool slot excluded)
    read_timeout: float  # seconds for the response, from request sent to last byte (deadline.py)
    max_bytes: int  # body size cap, after decompression
    max_redirects: int
    concurrency: int  # connections in flight at once, for the whole session
    user_agent: str


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators from a previous response, sent back on the next request."""

    etag: str | None = None
    last_modified: str | None = None


FetchOutcome = Literal["ok", "not_modified", "error"]


@dataclass(frozen=True, slots=True)
class FetchResult:
    feed: str
    url: str
    status: int | None  # HTTP status, None when no response
    outcome: FetchOutcome
    body: bytes | None
    content_type: str | None
    validators: Validators  # new validators from the response (or the old ones on 304)
    error: str | None  # one line, e.g. "HTTP 500", "timeout after 30s"
    retry_after: float | None  # seconds, from Retry-After on 429/503
    elapsed: float
    final_url: str | None = None  # where the answer came from after redirects, no userinfo


class _TooLarge(Exception):
    """The body passed the size cap; raised inside `_read_capped` only."""


def make_session(limits: FetchLimits, allow_private: bool = False, guard: Guard | None = None,
                 resolver: AbstractResolver | None = None) -> aiohttp.ClientSession:
    """A session: bounded connector, timeouts, User-Agent, gzip, and unless `allow_private`
    a connector that connects to public addresses only (`guard`, default `Guard()`).

    `sock_connect` rather than `connect` so time queued for a free connection does not
    count against a feed: with 1,000 feeds and 20 connections most of them wait a while.
    `resolver` replaces aiohttp's own (tests resolve names of their choosing). Its trace
    runs each fetch's read clock (deadline.py): `sock_read` alone bounds one read, not all.

    No cookies kept or sent (DummyCookieJar), as Miniflux fetches feeds and pages (a Go
    client with no jar): aiohttp's default jar kept every cookie a server set for the life
    of the session, with no cap before aiohttp 3.14.4 (a feed setting 25 new ones a poll
    left 5,000 after 200 polls; tests/hostile/test_headers.py). A page that sets a cookie
    and redirects to itself until it comes back fails on `max_redirects`: its item is
    judged on its feed text.
    """
    timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=limits.connect_timeout, sock_read=limits.read_timeout
    )
    return aiohttp.ClientSession(
        connector=_connector(limits, None if allow_private else guard or Guard(), resolver),
        timeout=timeout,
        headers={"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate"},
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=True,
        raise_for_status=False,
        trace_configs=[deadline.trace()],
    )


def _connector(limits: FetchLimits, guard: Guard | None,
               resolver: AbstractResolver | None) -> aiohttp.TCPConnector:
    """A guarded connector checks each address twice: as the name resolves, and as its
    socket is made (the only check an IP-literal host meets)."""
    # As many idle as in use at most, and IDLE_CONNECTIONS at least (pool.py says why).
    idle_max = max(IDLE_CONNECTIONS, limits.concurrency)
    if guard is None:
        return IdleCapped(limit=limits.concurrency, limit_per_host=0, idle_max=idle_max, resolver=resolver)
    return IdleCapped(
        limit=limits.concurrency, limit_per_host=0, idle_max=idle_max,
        resolver=GuardedResolver(guard, resolver or aiohttp.DefaultResolver()),
        socket_factory=guard.socket_factory,
    )


@dataclass(frozen=True, slots=True)
class _Answer:
    """What one request produced; `fetch` adds the feed, URL and timing."""

    outcome: FetchOutcome
    status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    validators: Validators | None = None  # None: keep the ones we sent
    error: str | None = None
    retry_after: float | None = None
    final_url: str | None = None


async def fetch(
    session: aiohttp.ClientSession,
    feed: str,
    url: str,
    validators: Validators,
    limits: FetchLimits,
) -> FetchResult:
    """GET one feed conditionally; every failure is a result with outcome "error"."""
    started = time.monotonic()
    answer = await _attempt(session, url, validators, limits)
    return FetchResult(
        feed=feed,
        url=url,
        status=answer.status,
        outcome=answer.outcome,
        body=answer.body,
        content_type=answer.content_type,
        validators=answer.validators or validators,
        error=answer.error,
        retry_after=answer.retry_after,
        elapsed=time.monotonic() - started,
        final_url=answer.final_url,
    )


async def _attempt(
    session: aiohttp.ClientSession, url: str, validators: Validators, limits: FetchLimits
) -> _Answer:
    """One request, with every network failure turned into a one-line error."""
    try:
        return await _get(session, url, validators, limits)
    except aiohttp.TooManyRedirects:
        return _Answer("error", error="too many redirects")
    except _TooLarge:
        return _Answer("error", error=f"response larger than {limits.max_bytes} bytes")
    except aiohttp.ConnectionTimeoutError:  # before TimeoutError, which it subclasses
        return _Answer("error", error=f"connect timeout after {limits.connect_timeout:g}s")
    except TimeoutError:  # aiohttp's read timeouts subclass it, and so does asyncio.timeout
        return _Answer("error", error=f"timeout after {limits.read_timeout:g}s")
    except aiohttp.ClientConnectorError as exc:
        return _Answer("error", error=_refusal(exc) or _one_line(exc))
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return _Answer("error", error=_one_line(exc))
    except IndexError:  # yarl's, on a URL or a redirect's Location such as "http://[v1.x]@/"
        return _Answer("error", error="malformed URL")


async def _get(
    session: aiohttp.ClientSession, url: str, validators: Validators, limits: FetchLimits
) -> _Answer:
    headers = _conditional_headers(validators)
    # aiohttp counts the final response against max_redirects, and reads 0 as "no limit".
    follow = limits.max_redirects > 0
    # One clock from request sent to last byte: status line, headers and body together
    # (a server dripping any of them a byte at a time would pass sock_read forever).
    async with asyncio.timeout(None) as timeout:
        clock = deadline.Clock(limits.read_timeout, timeout)
        async with session.get(url, headers=headers, allow_redirects=follow,
                               max_redirects=limits.max_redirects + 1, trace_request_ctx=clock) as resp:
            clock.start()  # if no trace did (a session that `trace()` did not equip)
            return await _answer(resp, validators, limits, follow)


async def _answer(resp: aiohttp.ClientResponse, validators: Validators, limits: FetchLimits,
                  follow: bool) -> _Answer:
    status = resp.status
    # The base for the feed's relative links: credentials never travel on into them.
    final_url = str(resp.url.with_user(None).with_fragment(None))
    if status == 304:
        return _Answer("not_modified", status, validators=_merge(validators, resp.headers),
                       final_url=final_url)
    if status in REDIRECT_STATUSES and not follow:
        return _Answer("error", status, error="too many redirects")
    if status >= 300:
        wait = retry_after.seconds(resp.headers.get("Retry-After")) if status in RETRY_AFTER_STATUSES else None
        return _Answer("error", status, error=f"HTTP {status}", retry_after=wait)
    body = await _read_capped(resp, limits.max_bytes)
    return _Answer(
        "ok",
        status,
        body=body,
        content_type=resp.headers.get("Content-Type"),
        validators=Validators(_header(resp.headers, "ETag"), _header(resp.headers, "Last-Modified")),
        final_url=final_url,
    )


async def _read_capped(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The (decompressed) body, refusing it as soon as it passes max_bytes."""
    declared = resp.content_length
    # Content-Length is the compressed size, which the decompressed body only exceeds.
    if declared is not None and declared > max_bytes:
        resp.close()
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            resp.close()  # drop the connection rather than read the rest
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _conditional_headers(validators: Validators) -> dict[str, str]:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _merge(old: Validators, headers: Mapping[str, str]) -> Validators:
    """A 304 may carry fresh validators; keep the old ones where it does not."""
    etag, modified = _header(headers, "ETag"), _header(headers, "Last-Modified")
    return Validators(etag or old.etag, modified or old.last_modified)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A validator as it can be saved and sent back, or None. aiohttp reads a header's bytes
    past ASCII (which RFC 9110 allows in an ETag) as stray surrogates, which no text
    encoding writes: the save of the feed's state failed, and with it every save batched in
    the same turn (other feeds'). Without it the next poll is a plain GET."""
    value = headers.get(name)
    return value if value is None or value.isascii() or _encodable(value) == value else None


def _encodable(text: str) -> str:
    """The text with what UTF-8 cannot encode (stray surrogates) as "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _refusal(exc: aiohttp.ClientConnectorError) -> str | None:
    """The one line for a connection the guard refused: the hop (scheme, host and port:
    a redirect's path and query are the server's, and may hold anything) and why."""
    if not isinstance(exc.os_error, Refused):
        return None
    key = exc.args[0]
    scheme = "https" if getattr(key, "is_ssl", False) else "http"
    hop = yarl.URL.build(scheme=scheme, host=exc.host, port=exc.port, path="/")
    return f"refused {hop}: {exc.os_error} (set allow_private = true to allow)"


def _one_line(exc: BaseException) -> str:
    """The error's text on one line, with any URL in it masked (it may be a redirect that
    carried our query string along)."""
    text = " ".join(_encodable(str(exc)).split()) or type(exc).__name__  # a URL's bytes: _header
    return urls.mask_text(text)[:200]
