"""The article step of a poll: short items judged on the page behind their link.

    scored on feed text ─► short? worth a page? ─► cache ─► page ─► scored on title + page

The pipeline scores every new item on its feed text first, as before. An item whose feed
text is short (fewer than `article_below_words` words) then wants its page when the feed's
`articles` mode is "always", or "auto" and the feed text already scores `article_bar` for
some topic of settings.toml (so an off-topic item costs nothing more). Its page text is looked up in Redis
by canonical URL (one MGET for the poll), else read (article.py); texts read are cached
for `seen_ttl`, so a copy of the item in another feed reads no page. Items whose page gave
more text than their feed, about them (relevance.py: not a consent wall or a paywall's
offer), are scored again on title + page text, and carry that text on (near-duplicate
check, alert lead); the others keep their feed text and score. Each Scored says which it was
judged on, and every outcome is counted (metrics, and a Redis hash `status` shows).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import zlib
from collections.abc import Collection, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, cast

from monitor import codec, urls
from monitor.ingest import article, relevance
from monitor.ingest.aggregators import GOOGLE_NEWS
from monitor.ingest.article import ArticleConfig, Outcome, Page
from monitor.items import Item, Scored, TopicScore
from monitor.limits import ARTICLE_PAGES_PER_POLL
from monitor.store import Store, redis_errors

if TYPE_CHECKING:
    from monitor.runtime import Runtime

log = logging.getLogger("monitor")
Scores = list[dict[str, TopicScore]]
USED = ("page", "cached")  # the outcomes of a page judged on


# Hosts whose pages are no article: a Telegram post's (t.me/<channel>/<n>, the link RSSHub and
# rss-bridge give a post) is the post again in a widget, or nothing trafilatura reads, and
# t.me/s/<channel>/<n> the channel's last twenty posts, other stories about the same places.
# Every short post of a channel read through a bridge read one (a thin page, cached empty),
# two at a time (article_per_host), from a host that answers a burst with 429. A Google News
# item's link (news.google.com/rss/articles/<id>) is a page that sends a browser on to the
# article with script, or a consent wall; one was read for every short item of such a feed.
NOT_ARTICLES = ("t.me", "telegram.me", GOOGLE_NEWS)
_NOT_ARTICLE_DOMAINS = tuple(f".{host}" for host in NOT_ARTICLES)  # rssbridge.t.me too


def wants_page(config: ArticleConfig, item: Item, scores: dict[str, TopicScore], topics: Collection[str]) -> bool:
    """A short item with a web link, whose feed (auto) scores the bar for a topic watched."""
    mode = config.mode_for(item.source)
    # Every item of a poll passes here and most are long: the word count first (~2 µs), the
    # link's host (a URL parse, ~3 µs) only for a short item.
    if mode == "never" or article.has_words(item.text, config.below_words):
        return False
    if not item.url.startswith(("http://", "https://")) or _not_article(item.url):
        return False
    return mode == "always" or any(s.score >= config.bar for t, s in scores.items() if t in topics)


def _not_article(url: str) -> bool:
    host = urls.host(url)
    return host in NOT_ARTICLES or host.endswith(_NOT_ARTICLE_DOMAINS)


async def judge(rt: Runtime, items: Sequence[Item], scores: Scores) -> list[Scored]:
    """Each item scored: on its page where it wants one and the page gave text, else as
    scored on its feed text."""
    config = rt.config.articles
    wanted = [i for i, item in enumerate(items) if wants_page(config, item, scores[i], rt.config.rules)]
    judged = [Scored(item, s) for item, s in zip(items, scores, strict=True)]
    if not wanted:
        return judged
    topics = rt.config.rules
    pages = await _pages(rt, [items[i] for i in wanted],
                         [max((s.score for t, s in scores[i].items() if t in topics), default=0.0) for i in wanted])
    used = [(i, page.text) for i, page in zip(wanted, pages, strict=True) if page.outcome in USED]
    if used:
        # The page text keeps its <h1>, the headline again (repeats.beyond_title not applied):
        # dropped, .ci/eval_articles.py measured FA-KES recall 0.878 -> 0.865, --headlines
        # 0.892 -> 0.878 (the model learnt on texts that start with their title again).
        read = [replace(items[i], text=text) for i, text in used]
        rescored = await rt.scorer.score([item.document for item in read])
        for (i, _), item, topic_scores in zip(used, read, rescored, strict=True):
            judged[i] = Scored(item, topic_scores, judged_on="page")
    return judged


async def _pages(rt: Runtime, items: list[Item], priority: list[float]) -> list[Page]:
    """Each item's page: from the cache, else read (at once, each host within its limit),
    for the ARTICLE_PAGES_PER_POLL items of highest `priority` at most (the others capped)."""
    private = _private_feeds(rt)
    refs = [_ref(item.url, item.source in private) for item in items]
    cached = await rt.io(_cached, rt, refs)
    todo = sorted((k for k, text in enumerate(cached) if text is None), key=lambda k: -priority[k])
    capped, todo = set(todo[ARTICLE_PAGES_PER_POLL:]), sorted(todo[:ARTICLE_PAGES_PER_POLL])
    reads = [rt.pages.once(refs[k], partial(_read, rt, items[k], refs[k])) for k in todo]  # started here, at once
    try:
        return await _read_and_record(rt, items, refs, cached, todo, reads, capped)
    finally:  # read and cached (or failed): later copies look in Redis again
        rt.pages.forget(refs[k] for k, (_, started) in zip(todo, reads, strict=True) if started)


async def _read_and_record(rt: Runtime, items: list[Item], refs: list[str], cached: list[str | None],
                           todo: list[int], reads: list[tuple[asyncio.Future[Page], bool]],
                           capped: Collection[int]) -> list[Page]:
    # asyncio.shield: a poll cancelled does not cancel a read other polls share.
    read = await asyncio.gather(*(asyncio.shield(future) for future, _ in reads))
    read = [page if started or page.outcome != "page" else Page("cached", page.text)  # a copy's
            for page, (_, started) in zip(read, reads, strict=True)]
    pages = [Page("capped") if k in capped else Page("cached", text) if text else Page("thin")
             for k, text in enumerate(cached)]  # None replaced below
    for k, page in zip(todo, read, strict=True):
        pages[k] = page
    pages = await _judged(rt, items, pages)
    # A failure may pass (the next copy tries again), and so may a page not about the item
    # that read it (a wall may not be there next time); a thin page would be as thin.
    keep = {refs[k]: page.text if page.outcome == "page" else "" for k, page in zip(todo, read, strict=True)
            if page.outcome in ("page", "thin", "not_html") and pages[k].outcome != "unrelated"}
    await rt.io(_record, rt, keep, [page.outcome for page in pages])
    for page in pages:
        rt.metrics.articles.labels(page.outcome).inc()
    return pages


async def _judged(rt: Runtime, items: list[Item], pages: list[Page]) -> list[Page]:
    """The pages that gave text, less those no longer than their item's feed text (thin:
    they add nothing to judge on) and those not about their item (unrelated: relevance.py,
    where scoring runs)."""
    pages = [Page("thin") if page.outcome in USED and article.words(page.text) <= article.words(item.text)
             else page for item, page in zip(items, pages, strict=True)]
    used = [k for k, page in enumerate(pages) if page.outcome in USED]
    if used:
        verdicts = await rt.scorer.run(relevance.about_each, [(items[k].title, items[k].text, pages[k].text,
                                                               items[k].language) for k in used])
        for k, about in zip(used, verdicts, strict=True):
            pages[k] = pages[k] if about else Page("unrelated")
    return pages


async def _read(rt: Runtime, item: Item, ref: str) -> Page:
    # A poll that read this page forgets its read only once the text is cached, but it may
    # have done both between our MGET and now (copies in two feeds polled together): look
    # once more before reading, so the copy finds the text rather than reading it again.
    (text,) = await rt.io(_cached, rt, [ref])
    if text is not None:  # '' (a thin page) is judged thin in _judged, as from the MGET
        return Page("cached", text)
    feed = next((f for f in rt.config.feeds if f.name == item.source), None)
    session = rt.session_for(feed) if feed is not None else rt.page_session()
    page = await article.read_page(session, item.url, rt.config.fetch, rt.pages, rt.config.articles,
                                   rt.scorer.run)
    if page.error:
        log.debug("feed '%s': page %s: %s", item.source, urls.masked(item.url), page.error)
    return page


def _ref(url: str, private: bool = False) -> str:
    """A page's key. A page read for a feed allowed private addresses is kept apart, so a
    guarded feed linking to the same internal URL never gets its text."""
    return hashlib.sha1((f"private\0{url}" if private else url).encode()).hexdigest()[:16]


def _private_feeds(rt: Runtime) -> set[str]:
    return {f.name for f in rt.config.feeds if f.allow_private}


def _cached(rt: Runtime, refs: list[str]) -> list[str | None]:
    """Each page's cached text ('' for a thin page), None where none is cached."""
    keys = rt.store.keys
    with redis_errors("reading cached pages"):
        found = cast(list[bytes | None], rt.store.redis.mget([keys.article(ref) for ref in refs]))
    most = 4 * rt.config.articles.max_chars  # UTF-8: 4 bytes a character at most
    return [None if raw is None else _unpacked(raw, most) for raw in found]


def _packed(text: str) -> bytes:
    """A page's text as cached: zlib-compressed (a page is kept for `seen_ttl`, 30 days by
    default: 2.3x smaller on the article-extraction benchmark's texts, 4,505 B -> 1,993 B
    on average, more in Cyrillic and Arabic); a thin page's '' stays empty."""
    return codec.compress(text) if text else b""


def _unpacked(raw: bytes, max_bytes: int) -> str | None:
    """A cached text: compressed (it starts "x\\x9c", zlib's header, which no UTF-8 text does:
    0x9c cannot follow an ASCII byte) or plain (cached before compression); None, so the page
    is read again, when it does not inflate, or inflates past what a page can give."""
    if raw[:2] != b"x\x9c":
        return raw.decode("utf-8", "replace")
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, max_bytes)
    except zlib.error:
        return None
    return out.decode("utf-8", "replace") if inflater.eof and not inflater.unconsumed_tail else None


def _record(rt: Runtime, texts: dict[str, str], outcomes: list[Outcome]) -> None:
    """Cache the texts read (for `seen_ttl`) and count the outcomes, in one round trip."""
    keys = rt.store.keys
    ttl = max(1, int(rt.config.seen_ttl))
    with redis_errors("caching pages"):
        pipe = rt.store.redis.pipeline(transaction=False)
        for ref, text in texts.items():
            pipe.set(keys.article(ref), _packed(text), ex=ttl)
        for outcome in set(outcomes):
            pipe.hincrby(keys.article_counts, outcome, outcomes.count(outcome))
        pipe.execute()


def read_counts(store: Store) -> dict[str, int]:
    """How many short items met each outcome, over the monitor's life (for `status`)."""
    with redis_errors("reading page counts"):
        raw = cast(dict[bytes, bytes], store.redis.hgetall(store.keys.article_counts))
    return {outcome: int(raw.get(outcome.encode(), 0)) for outcome in article.OUTCOMES}
