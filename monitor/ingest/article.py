"""The page behind a short item: fetched like a feed, its main text extracted with trafilatura.

Most feeds carry a headline and a sentence or two, on which the classifier misses stories
it would catch from the article. For such a short item the monitor reads the page at its
link (article_stage.py decides which items, and caches the text in Redis). A page is
fetched with `fetch.fetch`, so through the same session and guards as feeds: size and time
caps, redirects, User-Agent and the private-address rule. On top of those, `HostGate` lets
at most `article_per_host` pages of one host be read at once, and none while the host's
Retry-After (429/503) lasts, or for ARTICLE_HOST_REST after it did not answer at all (its
other items would each wait for their turn to fail alike). Extraction is CPU work (~40 ms a page): `read_page` hands it
to `run`, which runs it where scoring runs, never on the event loop.

A page that fails, is not HTML, or extracts to almost nothing (a paywall, a video page)
is a `Page` with that outcome and no text: the item is judged on its feed text. So is an
item whose page is not about it (a consent wall, a paywall's offer: relevance.py), which
article_stage.py tells once the item is known.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import aiohttp

from monitor import defaults, limits, urls
from monitor.errors import InputError, WorkerTimeout
from monitor.ingest import charsets, fetch, landing, refresh, related
from monitor.ingest.recycled import RecycledThread
from monitor.ingest.text import one_tag_of
from monitor.settings_types import ArticlesMode

Outcome = Literal["page", "cached", "error", "not_html", "thin", "unrelated", "backoff", "capped"]
"""What became of an item's page: read ("page") or found in the cache ("cached") and used,
else why the item fell back to its feed text."""
OUTCOMES: tuple[Outcome, ...] = ("page", "cached", "error", "not_html", "thin", "unrelated", "backoff", "capped")

HTML_TYPES = ("text/html", "application/xhtml+xml")
Runner = Callable[..., Awaitable[Any]]  # run(fn, *args): fn(*args) off the event loop


@dataclass(frozen=True, slots=True)
class ArticleConfig:
    """What the article stage reads of the settings (wiring.py builds it)."""

    mode: ArticlesMode = "never"
    below_words: int = defaults.ARTICLE_BELOW_WORDS
    bar: float = defaults.ARTICLE_BAR
    per_host: int = defaults.ARTICLE_PER_HOST
    max_bytes: int = defaults.ARTICLE_MAX_BYTES  # a page's cap (the feeds' max_bytes too)
    host_rest: float = defaults.ARTICLE_HOST_REST
    min_words: int = defaults.ARTICLE_MIN_WORDS
    max_chars: int = defaults.ARTICLE_CHARS
    feed_modes: Mapping[str, ArticlesMode] = field(default_factory=dict)  # feeds that set their own

    def mode_for(self, feed: str) -> ArticlesMode:
        return self.feed_modes.get(feed, self.mode)


@dataclass(frozen=True, slots=True)
class Page:
    outcome: Outcome
    text: str = ""  # the extracted text (judged on only when the outcome is "page" or "cached")
    error: str | None = None


def words(text: str) -> int:
    return len(text.split())


def has_words(text: str, n: int) -> bool:
    """At least `n` words: split no further than that (a long item's text is not cut up)."""
    return n <= 0 or len(text.split(maxsplit=n - 1)) >= n


def extract(body: bytes, url: str, max_chars: int, content_type: str | None = None) -> str:
    """The page's main text, whitespace collapsed and cut at a word boundary (runs where
    scoring runs: in the scoring worker, else in a thread). Comments are left out: they are
    not the story. And `fast`: trafilatura's own extraction without its fallbacks
    (readability, jusText), which on the article-extraction benchmark's 181 pages scores
    better so (token F1 0.962, defaults 0.953) and takes about two thirds of the time.
    Read in the charset its `content_type` and markup say (`_decoded`)."""
    if too_much_markup(body):  # thin: judged on the feed text
        return ""
    return _cut(_EXTRACTOR.run(len(body), _main_text, _decoded(body, content_type), url), max_chars)


def _decoded(body: bytes, content_type: str | None) -> str | bytes:
    """The page as text in the charset charsets.html_charset finds (trafilatura heeds no
    header, and read Turkish declared in it alone as windows-1252); as it is where a
    byte-order mark says (trafilatura reads it), or the charset is one Python does not know."""
    charset = charsets.html_charset(body, charsets.media_type(content_type)[1])
    if charset is None:
        return body
    try:
        return body.decode(charset, "replace")
    except LookupError:
        return body


@functools.cache
def _trafilatura() -> Any:
    """trafilatura, imported where it runs (the service process need not load it), and
    quiet: where logging is set up (the service and `monitor score URL` extract in a thread
    when no scoring worker does) it said "discarding data: <the page's URL, unmasked>" for
    each thin page, and htmldate logged an ERROR at each new extraction thread
    (`_reset_caches`: the installed charset_normalizer has none of the caches it clears).
    The page outcomes say what became of a page. Set after the import, which sets htmldate's."""
    import trafilatura
    import trafilatura.meta

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    return trafilatura


def _main_text(body: str | bytes, url: str) -> str:
    trafilatura = _trafilatura()
    return " ".join((trafilatura.extract(_tree(body), url=url, include_comments=False, fast=True) or "").split())


def _tree(body: str | bytes) -> Any:
    """The page parsed as trafilatura parses it, less the links to other stories set in its
    body (related.py); the body as it is where it does not parse (trafilatura says so)."""
    from trafilatura.utils import load_html

    tree = load_html(body)
    if tree is None:
        return body
    related.drop_links_to_other_stories(tree)
    return tree


def _reset_caches() -> None:
    _trafilatura().meta.reset_caches()


# Pages are extracted in a thread of their own, new every ARTICLE_CACHE_BYTES, with
# trafilatura's caches reset: lxml keeps the names a thread parses until it ends, and
# trafilatura what it trimmed by count, not size (limits.py).
_EXTRACTOR = RecycledThread(limits.ARTICLE_CACHE_BYTES, "monitor-extract", renewed=_reset_caches)


def too_much_markup(body: bytes) -> bool:
    """More elements or attributes than a page has (limits.ARTICLE_MAX_TAGS,
    ARTICLE_MAX_ATTRIBUTES and TAG_MAX_ATTRIBUTES): the extractor's time grows with their square."""
    return (body.count(b"<") > limits.ARTICLE_MAX_TAGS or body.count(b"=") > limits.ARTICLE_MAX_ATTRIBUTES
            or _MANY_ATTRIBUTES.search(body) is not None)


_MANY_ATTRIBUTES = re.compile(one_tag_of(limits.TAG_MAX_ATTRIBUTES).encode())


def _cut(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[:max_chars].rsplit(" ", 1)[0]


def extract_titled(body: bytes, url: str, max_chars: int, content_type: str | None = None) -> tuple[str, str]:
    """The page's title and main text (for `monitor score URL`, which has no feed title),
    from one extraction."""
    trafilatura = _trafilatura()
    if too_much_markup(body):
        return "", ""
    try:
        doc = trafilatura.bare_extraction(_tree(_decoded(body, content_type)), url=url, include_comments=False,
                                          fast=True, with_metadata=True)
    except Exception:  # noqa: BLE001 - the metadata's date search dropped the root of "<math>html" and lxml asserted
        return "", extract(body, url, max_chars, content_type)  # the text without them, as a feed's item reads it
    title = " ".join(str(getattr(doc, "title", "") or "").split())
    return title, _cut(" ".join(str(getattr(doc, "text", "") or "").split()), max_chars)


class HostGate:
    """At most `per_host` pages of one host in flight at once, none while the host has asked
    (Retry-After on 429/503) to be left alone, and one read of a URL at a time. Entries live
    only while in use or waiting, or resting (and a while after, see `rest`), so a feed
    linking to endless hosts grows nothing."""

    def __init__(self) -> None:
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}
        self._until: dict[str, float] = {}  # host -> monotonic time its rest ends (some past)
        self._sweep_at = 1  # entries of `_until` at which `rest` next drops the expired
        self._reading: dict[str, asyncio.Task[Page]] = {}

    def once(self, key: str, read: Callable[[], Awaitable[Page]]) -> tuple[asyncio.Future[Page], bool]:
        """The read of a page, started now unless a poll started it already (copies of one
        story in feeds polled together read it once); and whether this call started it.
        The poll that started it `forget`s the key once the page is in the Redis cache."""
        running = self._reading.get(key)
        if running is not None:
            return running, False
        task = self._reading[key] = asyncio.ensure_future(read())
        return task, True

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._reading.pop(key, None)

    @asynccontextmanager
    async def hold(self, host: str, per_host: int) -> AsyncIterator[None]:
        slot, users = self._slots.setdefault(host, (asyncio.Semaphore(per_host), [0]))
        users[0] += 1
        try:
            async with slot:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._slots[host]

    def resting(self, host: str, now: float | None = None) -> bool:
        until = self._until.get(host)
        if until is None:
            return False
        if until > (now or time.monotonic()):
            return True
        del self._until[host]
        return False

    def rest(self, host: str, seconds: float) -> None:
        now = time.monotonic()
        seconds = min(seconds, defaults.RETRY_AFTER_CEILING)  # a Retry-After of years is a mistake
        # The expired are dropped once the dict has doubled since they last were, not at
        # every call: a sweep per call made 20,000 hosts put to rest cost 8-10 s of the
        # event loop in all (each call went over all the others; 13-25 ms now). Each sweep is
        # paid for by the rests since the one before, and the dict holds 2n + 1 entries at
        # most, n the hosts still resting at the last sweep.
        if len(self._until) >= self._sweep_at:
            self._until = {h: t for h, t in self._until.items() if t > now}
            self._sweep_at = 2 * len(self._until) + 1
        self._until[host] = max(self._until.get(host, 0.0), now + seconds)


async def read_page(session: aiohttp.ClientSession, url: str, limits: fetch.FetchLimits, gate: HostGate,
                    config: ArticleConfig, run: Runner, follow: bool = True, origin: str | None = None) -> Page:
    """Fetch and extract one page; every failure is a Page with no text. A thin page whose
    meta refresh sends the reader on is followed once (`follow`; refresh.py), and judged as
    an answer to the item's link (`origin`): a refresh to the home page is no article either."""
    try:
        host = urls.parsed(url).host or ""
    except ValueError:  # UnicodeError too: a link urllib splits but yarl refuses (port 99999)
        return Page("error", error="not a URL that can be fetched")
    if gate.resting(host):
        return Page("backoff")
    limits = replace(limits, max_bytes=min(limits.max_bytes, config.max_bytes))
    async with gate.hold(host, config.per_host):
        if gate.resting(host):  # it failed while this page waited for its turn
            return Page("backoff")
        got = await fetch.fetch(session, "page", url, fetch.Validators(), limits)
    if got.outcome != "ok" or got.body is None:
        if got.retry_after or got.status is None:  # asked to wait, or unreachable (no answer)
            gate.rest(host, got.retry_after or config.host_rest)
        return Page("error", error=got.error or f"HTTP {got.status}")
    if not _is_html(got.content_type, got.body):
        return Page("not_html")
    if landing.lands_above(origin or str(url), got.final_url or str(url)):  # a home page or section: not the item's
        return Page("unrelated", error=f"redirected to {urls.masked(got.final_url or '')}")
    try:
        text = await run(extract, got.body, str(url), config.max_chars, got.content_type)
    except WorkerTimeout as exc:  # a page the extractor loops on: cached as thin (read no more)
        gate.rest(host, config.host_rest)  # and its site's others wait: a copy stalled the worker again
        return Page("thin", error=f"extraction: {exc}")
    except Exception as exc:  # a page that breaks the extractor (or its worker) is a failed page
        return Page("error", error=f"extraction failed: {type(exc).__name__}")
    if words(text) >= config.min_words:
        return Page("page", text)
    onward = refresh.target(got.body, got.final_url or url) if follow else None
    if onward is not None:
        return await read_page(session, onward, limits, gate, config, run, follow=False, origin=str(url))
    return Page("thin", text)


async def read_url(url: str, limits: fetch.FetchLimits, allow_private: bool,
                   max_chars: int = defaults.ARTICLE_CHARS) -> tuple[str, str]:
    """The title and main text of the page at `url` (for `monitor score URL`), fetched
    through a session of `fetch.make_session`; InputError with one line when it cannot be."""
    async with fetch.make_session(limits, allow_private=allow_private) as session:
        got = await fetch.fetch(session, "page", url, fetch.Validators(), limits)
    if got.outcome != "ok" or got.body is None:
        raise InputError(f"{urls.masked(url)}: {got.error or f'HTTP {got.status}'}")
    if not _is_html(got.content_type, got.body):
        raise InputError(f"{urls.masked(url)}: not an HTML page ({got.content_type})")
    try:
        return await asyncio.to_thread(extract_titled, got.body, url, max_chars, got.content_type)
    except Exception as exc:  # noqa: BLE001 - a page that breaks the extractor: one line, as read_page says it
        raise InputError(f"{urls.masked(url)}: extraction failed ({type(exc).__name__})") from None


def _is_html(content_type: str | None, body: bytes) -> bool:
    """HTML by its Content-Type; a server that sends none is believed if the body looks so."""
    if content_type:
        return charsets.media_type(content_type)[0] in HTML_TYPES
    return b"<html" in body[:2048].lower()
