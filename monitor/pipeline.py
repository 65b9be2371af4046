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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from monitor import seen, urls
from monitor.claims import decide_claims, feed_scoped
from monitor.dedup.index import StoryMatch
from monitor.delivery import alerts
from monitor.errors import ParseError, StoreError
from monitor.ingest import article_stage, fetch, parse
from monitor.items import Item, Scored, TopicScore
from monitor.runtime import FeedConfig, Runtime
from monitor.seen import CLOCK_SKEW
from monitor.spans import next_try, span
from monitor.store import Claim, FeedState, FeedUpdate
from monitor.surge.detector import observe_claims

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
    now = time.time()
    if not force and state.retry_at > now:
        return PollResult(feed.name, "backoff", error=state.last_error)
    # A last poll ahead of now by more than clocks differ (the clock stepped back) is no
    # reason to wait: it held the feed back for as long as the step.
    if min_gap and state.last_poll and -CLOCK_SKEW <= now - state.last_poll < min_gap:
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
        items = await _parse(rt, feed, fetched, now)
    except ParseError as exc:
        return await _failed(rt, feed, state, str(exc), None)
    validators = fetched.validators
    del fetched  # its body need not wait in memory with the items for scoring and claim
    new, alerted = await process_items(rt, items, state.listed)
    await _succeeded(rt, feed, state, validators, "ok", len(items), new=new, alerted=alerted,
                     listing=seen.listing([item.id for item in items]))
    return PollResult(feed.name, "ok", items=len(items), new=new, alerts=alerted)


async def _parse(rt: Runtime, feed: FeedConfig, fetched: fetch.FetchResult, now: float) -> list[Item]:
    """The fetched body's items, parsed in a thread, one feed at a time (rt.parsing): a
    broken feed goes to feedparser (pure Python, up to seconds of CPU) and the event loop
    must go on with the other feeds; a new thread every PARSE_THREAD_BYTES (recycled.py).
    Relative links are the served feed's: after a redirect, its final URL's."""
    base = urls.link_base(fetched.final_url or feed.url)
    fetched_at = datetime.fromtimestamp(now, tz=UTC)

    def timed() -> list[Item]:  # timed in the thread: its own time, not its wait for one
        with rt.timed("parse"):
            return parse.parse_feed(fetched.body or b"", fetched.content_type, feed.name, fetched_at,
                                    base_url=base)

    async with rt.parsing:
        return await rt.parser.run_async(len(fetched.body or b""), timed)


async def process_items(rt: Runtime, items: Sequence[Item], listed: frozenset[str] = frozenset()) -> tuple[int, int]:
    """Seen-check, score, near-dup check and claim; returns (new items, alerts enqueued).
    Items of `listed` (the feed's last poll) are seen, whatever the seen-set says."""
    rt.metrics.items.labels("fetched").inc(len(items))
    items = [item for item in items if seen.listed(item.id) not in listed]
    checked = time.time()  # the claim's own seen check reads only the days since (seen.claim_days)
    unseen = await rt.timed_io("seen", len(items), rt.store.unseen, [item.id for item in items],
                               rt.config.seen_ttl)
    fresh = _unique([item for item, new in zip(items, unseen, strict=True) if new])
    if fresh and fresh[0].source in rt.config.feed_gates:  # and not claimed by this feed alone
        mine = await rt.io(rt.store.unseen, [feed_scoped(i.id, i.source) for i in fresh], rt.config.seen_ttl)
        fresh = [item for item, new in zip(fresh, mine, strict=True) if new]
    if not fresh:
        return 0, 0
    fresh, scores = await _detect_and_score(rt, fresh)
    scored = await article_stage.judge(rt, fresh, scores)  # short items: on the page behind the link
    claims = await _decide(rt, scored)
    rt.metrics.items.labels("new").inc(len(fresh))

    def claim_and_count() -> list[bool]:  # one thread hop for both steps
        with rt.timed("claim", len(fresh)):
            claimed = rt.store.claim_many(claims, rt.config.seen_ttl, rt.config.recent_max, checked)
        observe_claims(rt, [(s, c) for s, c, ok in zip(scored, claims, claimed, strict=True) if ok])  # surges
        return claimed

    claimed = await rt.io(claim_and_count)
    enqueued = sum(len(c.alerts) for c, ok in zip(claims, claimed, strict=True) if ok)
    rt.metrics.items.labels("alerted").inc(enqueued)
    return len(fresh), enqueued


async def _detect_and_score(rt: Runtime, items: list[Item]) -> tuple[list[Item], list[dict[str, TopicScore]]]:
    """The items with their language, and their scores. Detection (~35-55 µs an item) runs
    where scoring runs, in the same batch (model/scoring.py): in the scoring worker, or
    without one on the event loop (a thread would only contend with scoring for the GIL,
    and cost a hop per poll). The scorer times itself."""
    languages, scores = await rt.scorer.detect_and_score([item.document for item in items])
    for lang, count in Counter(languages).items():  # a metric's labels() per language, not per item
        rt.metrics.languages.labels(lang).inc(count)
    return [replace(item, language=lang) for item, lang in zip(items, languages, strict=True)], scores


async def _decide(rt: Runtime, batch: list[Scored]) -> list[Claim]:
    """What to claim for each scored item, after the near-duplicate check of those that
    would alert (one round trip for the feed's batch).

    The check runs in a thread, as every Redis step does: its script keeps Redis busy for
    ~0.5 ms per item, and meanwhile this process goes on parsing and scoring other feeds
    (each script is atomic, so concurrent checks of two feeds are safe, as they are between
    two workers)."""
    wanted = [alerts.build_alerts(scored, rt.config.rules, rt.config.feed_gates) for scored in batch]
    gates = rt.config.feed_gates
    gated = {i for i, (scored, found) in enumerate(zip(batch, wanted, strict=True))  # the feed's own
             if not found and scored.item.source in gates and alerts.build_alerts(scored, rt.config.rules)}
    stories: dict[int, StoryMatch] = {}
    if rt.neardup is not None and any(wanted):
        alerting = [i for i, found in enumerate(wanted) if found]
        matches = await rt.timed_io("neardup", len(alerting), rt.stories,
                                    [batch[i].item for i in alerting],
                                    [[a.topic for a in wanted[i]] for i in alerting])
        rt.metrics.items.labels("neardup").inc(len(alerting))
        stories = dict(zip(alerting, matches, strict=True))
    return decide_claims(batch, wanted, stories, rt.config.follow_up_sources, time.time(),
                         rt.config.full_text_channels, gated)


def _unique(items: list[Item]) -> list[Item]:
    """A feed may list one item twice; score and claim it once."""
    seen: dict[str, Item] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return list(seen.values())


async def _failed(rt: Runtime, feed: FeedConfig, state: FeedState, error: str, retry_after: float | None) -> PollResult:
    errors = state.errors + 1
    c = rt.config
    delay = fetch.backoff_delay(errors, retry_after, c.backoff_base, c.backoff_max)
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
    await rt.save(FeedUpdate(
        feed.name,
        {"last_poll": f"{now:.3f}", "last_success": f"{now:.3f}", "last_status": status,
         "last_error": None, "errors": 0, "retry_at": 0, "items": items,
         "failing_since": None, "ops_told": None,
         "etag": validators.etag, "last_modified": validators.last_modified,
         **({"listed": listing or None} if listing is not None else {})},  # None: as it was
        counts={"new_items": new, "alerts": alerted}, release=rt.worker,
    ))
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
