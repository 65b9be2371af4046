"""One poll: one feed through every stage.

    lease ─► fetch ─► parse ─► seen? ─► classify ─► near-dup ─► claim (seen + outbox, atomic)

A poll saves a feed's HTTP validators only after its items are claimed, so a crash at any
point means the next poll fetches and processes the same items again: nothing is lost,
and the claim's SET NX makes sure nothing is enqueued twice. This module reads no
settings (wiring.py builds its config) and sends nothing (the sender reads the outbox).

Every Redis step (lease, renewal, seen check, near-dup check, claim, state save, ops
alert) calls the synchronous Store or NearDupIndex in a thread of the runtime's pool
(redis_threads.py), never on the event loop: with Redis across a network, a round trip
then holds up only its own poll, and the fetches of the other feeds go on meanwhile.
Leases and saves of feeds polled at once share a thread hop and a round trip (`rt.lease`,
`rt.save`), so an unchanged feed costs less than two hops.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Literal

from monitor import seen, urls
from monitor.errors import ParseError, StoreError
from monitor.ingest import fetch, parse
from monitor.ingest.text import revision_id
from monitor.items import Item
from monitor.moved import moved, url_changed
from monitor.process import process_items
from monitor.retry_after import backoff_delay
from monitor.runtime import FeedConfig, Runtime
from monitor.seen import CLOCK_AHEAD, latest_stamp
from monitor.spans import next_try, span
from monitor.store import FeedState, FeedUpdate

log = logging.getLogger("monitor")

LEASE_MAX = 60.0  # seconds a poll's lease lasts unless renewed (a dead worker's lease expires)
LEASE_MIN = 5.0
# leased: another worker holds the feed now; recent: it was polled within this interval
# (by another worker, or by this service before a restart), so this turn is skipped.
Outcome = Literal["ok", "not_modified", "error", "backoff", "leased", "recent", "store_error"]
SAVED = {"ok", "not_modified", "error"}  # outcomes whose saved state released the lease too


@dataclass(frozen=True)
class PollResult:
    feed: str
    outcome: Outcome
    items: int = 0
    new: int = 0
    alerts: int = 0
    error: str | None = None


async def poll_feed(rt: Runtime, feed: FeedConfig, force: bool = False, min_gap: float = 0.0) -> PollResult:
    """Poll one feed through every stage; never raises for a feed's or Redis's failure.

    Several workers may run this for the same feed: the lease lets one in at a time, and
    `min_gap` (scheduled polls pass most of the interval) skips a feed another worker has
    just polled, so each feed is polled once per interval.
    """
    # Half the interval at most, so a dead worker's feeds are polled again next interval.
    ttl = max(LEASE_MIN, min(LEASE_MAX, feed.interval / 2))
    try:
        state = await rt.lease(feed.name, ttl)
        result = (PollResult(feed.name, "leased") if state is None
                  else await _leased(rt, feed, state, ttl, force, min_gap))
    except StoreError as exc:
        log.error("feed '%s': poll failed, nothing marked: %s", feed.name, exc)
        result = PollResult(feed.name, "store_error", error=str(exc))
    rt.metrics.polls.labels(feed.name, result.outcome).inc()
    return result


async def _leased(rt: Runtime, feed: FeedConfig, state: FeedState, ttl: float, force: bool,
                  min_gap: float) -> PollResult:
    """The poll of a feed whose lease this worker holds: renewed meanwhile, and released
    at the end unless the poll's saved state released it already."""
    renewer = asyncio.create_task(_renew(rt, feed.name, ttl))
    saved = False
    try:
        result = await _poll(rt, feed, state, force, min_gap)
        saved = result.outcome in SAVED
        return result
    finally:
        renewer.cancel()
        if not saved:
            await rt.save(FeedUpdate(feed.name, release=rt.worker))


async def _renew(rt: Runtime, name: str, ttl: float) -> None:
    while True:
        await asyncio.sleep(ttl / 3)
        try:
            await rt.io(rt.store.renew_lease, name, rt.worker, ttl)
        except StoreError as exc:
            log.warning("feed '%s': %s", name, exc)


async def _poll(rt: Runtime, feed: FeedConfig, state: FeedState, force: bool, min_gap: float) -> PollResult:
    state, fields = moved(state, feed.url)
    if fields:  # saved at once (the lease kept), whatever this poll does (moved.py)
        if url_changed(fields):
            log.info("feed '%s': its URL changed: the old URL's validators and backoff are dropped", feed.name)
        await rt.save(FeedUpdate(feed.name, fields))
    now = time.time()
    # A last poll ahead of now by more than clocks differ (the clock stepped back) is no
    # reason to wait: it held the feed back for as long as the step. A failure saves its
    # retry_at with its last_poll, so a backoff stamped then is ignored too (a feed failed
    # 3 h ahead was silent 3 h after the step, for a 60 s backoff).
    stepped = state.last_poll is not None and state.last_poll > latest_stamp(now)
    if not force and state.retry_at > now and not stepped:
        return PollResult(feed.name, "backoff", error=state.last_error)
    if min_gap and state.last_poll and not stepped and now - state.last_poll < min_gap:
        return PollResult(feed.name, "recent")  # polled this interval (another worker, or before a restart)
    async with rt.in_flight():  # a poll holds its fetched items until claimed: memory is bounded
        return await _fetch_and_process(rt, feed, state, now)


async def _fetch_and_process(rt: Runtime, feed: FeedConfig, state: FeedState, now: float) -> PollResult:
    """The poll proper; any exception but Redis's becomes the feed's recorded error (backoff,
    ops alert, `status`), so one feed can never stop the others or fail unseen."""
    try:
        return await _fetch_parse_process(rt, feed, state, now)
    except StoreError:
        raise  # Redis failed, not the feed: nothing can be recorded (poll_feed reports it)
    except Exception as exc:  # a bug or a library's surprise: logged whole, recorded in one line
        log.error("feed '%s': unexpected error", feed.name, exc_info=True)
        return await _failed(rt, feed, state, _one_line(exc, feed.url), None)


def _one_line(exc: Exception, url: str) -> str:
    """The exception's type and first line, without the feed's URL (it may hold a secret)."""
    lines = str(exc).replace(url, "<feed url>").strip().splitlines()
    detail = lines[0][:200] if lines else ""
    return f"unexpected {type(exc).__name__}" + (f": {detail}" if detail else "")


async def _fetch_parse_process(rt: Runtime, feed: FeedConfig, state: FeedState, now: float) -> PollResult:
    with rt.timed("fetch"):
        fetched = await fetch.fetch(rt.session_for(feed), feed.name, feed.url,
                                    fetch.Validators(state.etag, state.last_modified), rt.config.fetch)
    if fetched.outcome == "error":
        return await _failed(rt, feed, state, fetched.error or "unknown error", fetched.retry_after)
    if fetched.outcome == "not_modified":
        await _succeeded(rt, feed, state, fetched.validators, "not modified", state.items)
        return PollResult(feed.name, "not_modified", items=state.items)
    try:
        items = await _parse(rt, feed, fetched, now, state.listed)
    except ParseError as exc:
        return await _failed(rt, feed, state, str(exc), None)
    validators = fetched.validators
    del fetched  # its body need not wait in memory with the items for scoring and claim
    rt.metrics.items.labels("fetched").inc(len(items))
    listing = [(seen.listed(item.id), seen.headline(item.title)) for item in items]
    current = _current(rt, feed, items, listing, state.listed, now)
    if not state.last_success and feed.backlog:
        current = _past_backlog(rt, feed, current, now)
    new, alerted = await process_items(rt, current)
    await _succeeded(rt, feed, state, validators, "ok", len(items), new=new, alerted=alerted,
                     listing=seen.listing(listing))
    return PollResult(feed.name, "ok", items=len(items), new=new, alerts=alerted)


def _current(rt: Runtime, feed: FeedConfig, items: list[Item], listing: list[tuple[str, str]],
             listed: Mapping[str, str | None], now: float) -> list[Item]:
    """The items the seen-set is to judge. An item the feed listed at its last poll is seen,
    whatever the seen-set says (seen.py), unless its headline changed since: an outlet
    updating a breaking story under one GUID ("Turkish soldier killed" -> "33 Turkish soldiers
    killed in Idlib strike") is judged again, as Miniflux and FreshRSS read an updated
    entry. Its revision has an id of its own (the item's and the new headline's), so the
    seen-set takes each revision once; the near-duplicate check finds its first version if
    that alerted, and then it alerts no second time. So only an item published within the
    near-duplicate window is revised: an older one's first version has left the index, and
    its revision would alert again. So none without a date (the parse dates it now, at every
    poll: its age is unknown), none dated more than CLOCK_AHEAD ahead (its age is unknown too,
    and its date stayed within the window for as long as it was ahead: an item dated 2099
    alerted again at each new headline once its first version had left the index), and none
    with the near-duplicate check off."""
    current, revised = [], 0
    neardup = rt.config.neardup
    since = datetime.fromtimestamp(now - neardup.window_seconds, tz=UTC) if neardup is not None else None
    undated = datetime.fromtimestamp(now, tz=UTC)  # what _parse gives an item without a date
    ahead = datetime.fromtimestamp(latest_stamp(now, CLOCK_AHEAD), tz=UTC)  # a wrong time zone: less
    for item, (digest, headline) in zip(items, listing, strict=True):
        if digest not in listed:
            current.append(item)
        # None: a listing saved before headlines were kept
        elif (since is not None and listed[digest] not in (None, headline)
              and since <= item.published <= ahead and item.published != undated):
            current.append(replace(item, id=revision_id(item.id, headline)))
            revised += 1
    if revised:
        rt.metrics.items.labels("revised").inc(revised)
        log.debug("feed '%s': %d listed items have a new headline: judged again", feed.name, revised)
    return current


def _past_backlog(rt: Runtime, feed: FeedConfig, items: list[Item], now: float) -> list[Item]:
    """A feed's first successful poll: its items published more than `feed.backlog` ago are
    its archive, taken as read (never scored or alerted). They are in the listing this poll
    saves, so later polls pass them by too; an item without a date counts as published now."""
    since = datetime.fromtimestamp(now - feed.backlog, tz=UTC)
    recent = [item for item in items if item.published >= since]
    if len(recent) < len(items):
        rt.metrics.items.labels("backlog").inc(len(items) - len(recent))
        log.info("feed '%s': first poll: %d of its %d items published over %s ago taken as read",
                 feed.name, len(items) - len(recent), len(items), span(feed.backlog))
    return recent


async def _parse(rt: Runtime, feed: FeedConfig, fetched: fetch.FetchResult, now: float,
                 listed: Mapping[str, str | None]) -> list[Item]:
    """The fetched body's items, parsed in a thread, one feed at a time (rt.parsing): a
    broken feed goes to feedparser (pure Python, up to seconds of CPU) and the event loop
    must go on with the other feeds; a new thread every PARSE_THREAD_BYTES (recycled.py).
    Relative links are the served feed's: after a redirect, its final URL's."""
    base = urls.link_base(fetched.final_url or feed.url)
    fetched_at = datetime.fromtimestamp(now, tz=UTC)

    def timed() -> list[Item]:  # timed in the thread: its own time, not its wait for one
        with rt.timed("parse"):
            return parse.parse_feed(fetched.body or b"", fetched.content_type, feed.name, fetched_at,
                                    base_url=base, held=partial(_held, listed))

    async with rt.parsing:
        return await rt.parser.run_async(len(fetched.body or b""), timed)


def _held(listed: Mapping[str, str | None], item_id: str, title: str | None) -> bool:
    """The feed's last poll listed this id, with this headline unless None (ingest/ids.py:
    which item keeps a shared id)."""
    digest = seen.listed(item_id)
    return digest in listed and (title is None or listed[digest] == seen.headline(title))


async def _failed(rt: Runtime, feed: FeedConfig, state: FeedState, error: str, retry_after: float | None) -> PollResult:
    errors = state.errors + 1
    c = rt.config
    delay = backoff_delay(errors, retry_after, c.backoff_base, c.backoff_max)
    if state.last_status != "error" or state.last_error != error:  # once per change of state
        log.warning("feed '%s': %s (next try %s; errors in a row: %d)", feed.name, error,
                    next_try(delay, feed.interval), errors)
    now = time.time()
    since = state.failing_since or now
    fields: dict[str, object] = {
        "last_poll": f"{now:.3f}", "last_status": "error", "last_error": error,
        "errors": errors, "retry_at": f"{now + delay:.3f}", "failing_since": f"{since:.3f}",
    }
    if not state.ops_told and now - since >= c.feed_alert_after:
        await rt.tell_ops(f"Feed '{feed.name}' is failing",
                          f"Failing for {span(now - since)} ({errors} polls): {error}")
        fields["ops_told"] = 1
    await rt.save(FeedUpdate(feed.name, fields, release=rt.worker))
    return PollResult(feed.name, "error", error=error)


async def _succeeded(rt: Runtime, feed: FeedConfig, state: FeedState, validators: fetch.Validators,
                     status: str, items: int, new: int = 0, alerted: int = 0, listing: str | None = None) -> None:
    if state.last_status == "error":
        log.info("feed '%s': recovered after %d errors", feed.name, state.errors)
    if state.ops_told:
        await rt.tell_ops(f"Feed '{feed.name}' recovered", f"Polls succeed again after {state.errors} errors.")
    now = time.time()
    fields: dict[str, object] = {
        "last_poll": f"{now:.3f}", "last_success": f"{now:.3f}", "last_status": status,
        "last_error": None, "errors": 0, "retry_at": 0, "items": items,
        "failing_since": None, "ops_told": None,
        "etag": validators.etag, "last_modified": validators.last_modified,
    }
    if listing is not None:  # None (not modified): the listing stays as it was
        fields["listed"] = listing or None  # "" (no items): cleared
    await rt.save(FeedUpdate(feed.name, fields, counts={"new_items": new, "alerts": alerted}, release=rt.worker))
    rt.metrics.last_success.labels(feed.name).set(now)


async def poll_once(rt: Runtime, force: bool = False) -> list[PollResult]:
    """Every feed once, in the settings' order, `rt.polls_at_once` polls at a time (as the
    service's dispatcher runs them): leases of polls that start in the same turn share a
    round trip, and what a pass holds (tasks, leases, their renewals) is bounded by that
    number, not by the number of feeds."""
    feeds = rt.config.feeds
    results: list[PollResult | None] = [None] * len(feeds)
    todo = iter(range(len(feeds)))

    async def lane() -> None:
        for i in todo:  # one iterator shared by every lane: each feed is taken once
            results[i] = await poll_feed(rt, feeds[i], force)

    await asyncio.gather(*(lane() for _ in range(min(len(feeds), rt.polls_at_once))))
    return [r for r in results if r is not None]
