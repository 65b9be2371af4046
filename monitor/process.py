"""What a poll does with its feed's items: the stages after the parse.

    seen? ─► language + classify ─► short items judged on their page ─► near-dup ─► claim

pipeline.py runs one poll (lease, fetch, parse, save) and hands the parsed items here.
Every Redis step runs in a thread of the runtime's pool (redis_threads.py), never on the
event loop; the claim (seen-set + outbox) is atomic, so a crash before it processes the
same items again at the next poll, and nothing twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from monitor.claims import decide_claims, feed_scoped
from monitor.dedup.index import StoryMatch
from monitor.delivery import alerts
from monitor.ingest import article_stage
from monitor.items import Item, Scored, TopicScore
from monitor.runtime import Runtime
from monitor.store import Claim
from monitor.surge.detector import observe_claims


async def process_items(rt: Runtime, items: Sequence[Item]) -> tuple[int, int]:
    """Seen-check, score, near-dup check and claim; returns (new items, alerts enqueued)."""
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
    first: dict[str, Item] = {}
    for item in items:
        first.setdefault(item.id, item)
    return list(first.values())
