"""The surge stage: claimed items over a topic's threshold are counted, the topic's window is
tested against its usual rate, and a surge is claimed and enqueued once (counter.py's Lua).

    claimed items ─► Seen per topic ─► record + read (one round trip a topic) ─► assess ─► claim + XADD

Runs after the claim, so each item is counted by the worker that claimed it (a crash between
the claim and this step loses that item's count, never adds one). Blocking: the service
runs it in the claim's Redis thread (process.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor import codec, rules
from monitor.delivery.alerts import TopicRule
from monitor.errors import StoreError
from monitor.items import Alert, Scored, SurgeStory
from monitor.metrics import Metrics
from monitor.store import Claim
from monitor.surge.alerts import surge_alerts, top_stories
from monitor.surge.counter import Seen, Summary, SurgeCounter
from monitor.surge.model import State, SurgeConfig, Verdict, assess, state

if TYPE_CHECKING:
    from monitor.runtime import Runtime

log = logging.getLogger("monitor.surge")


@dataclass(frozen=True)
class Observed:
    """One topic's verdict after a record, and whether this call alerted its surge."""

    verdict: Verdict
    summary: Summary
    fired: bool
    state: State
    top: tuple[SurgeStory, ...] = ()  # the surge's top stories, when it fired


def seen_in(claimed: Sequence[tuple[Scored, Claim]], configs: Mapping[str, SurgeConfig],
            topics: Mapping[str, TopicRule], feeds: Mapping[str, rules.FeedGate]) -> list[Seen]:
    """What the surge counter records of claimed items: one Seen per topic the item would
    alert (its threshold and the rules beside it, rules.py), with its story: the near-dup
    stage's, else the item's own id."""
    out = []
    for scored, claim in claimed:
        over = [t for t, cfg in configs.items() if t in scored.scores and scored.scores[t].score >= cfg.threshold]
        if not over:  # most items are on no topic: nothing more is read of them
            continue
        item = scored.item
        feed = feeds.get(item.source, rules.OPEN_FEED)
        story = str(claim.recent.get("story") or item.id)
        out += [Seen(t, story, item.source, item.title, item.url, item.published.timestamp()) for t in over
                if rules.judge(t, scored.scores[t].score, configs[t].threshold, item.document,
                               topics[t].gate if t in topics else rules.NO_GATE, feed, item.source).alert]
    return out


class SurgeDetector:
    def __init__(self, counter: SurgeCounter, configs: Mapping[str, SurgeConfig],
                 metrics: Metrics | None = None) -> None:
        self.counter = counter
        self.configs = dict(configs)
        self.metrics = metrics

    def observe(self, seen: Sequence[Seen], now: float) -> list[Observed]:
        """Record the items and test each topic they touched, at `now`."""
        out = []
        for topic, cfg in self.configs.items():
            mine = [s for s in seen if s.topic == topic]
            if mine:
                out.append(self._topic(cfg, mine, now))
        return out

    def _topic(self, cfg: SurgeConfig, seen: Sequence[Seen], now: float) -> Observed:
        summary = self.counter.record(cfg, seen, now)
        verdict = assess(cfg, summary.stories, summary.baseline, summary.since, now, summary.sources)
        active, fired = summary.active(now), False
        top: tuple[SurgeStory, ...] = ()
        if verdict.positive or (active and verdict.elevated):
            alerts: list[Alert] = []
            if verdict.positive and (not active or verdict.stories >= cfg.again * summary.peak):
                # the window's stories are read only when the claim may send an alert
                top = top_stories(self.counter.window(cfg, now), cfg.top)
                alerts = surge_alerts(cfg, verdict, top)
            fired = self.counter.claim(cfg, verdict, [codec.encode_alert(a) for a in alerts])
            active = active or fired
            if fired:
                log.info("topic '%s': surge, %d stories from %d sources (usually %.1f, p=%.2g)", cfg.topic,
                         verdict.stories, verdict.sources, verdict.expected, verdict.p_value)
        self._measure(cfg.topic, verdict, summary)
        return Observed(verdict, summary, fired, state(verdict, active), top if fired else ())

    def _measure(self, topic: str, verdict: Verdict, summary: Summary) -> None:
        if self.metrics is not None:
            self.metrics.topic_stories.labels(topic).inc(summary.counted)
            self.metrics.surge_window.labels(topic).set(verdict.stories)
            self.metrics.surge_expected.labels(topic).set(round(verdict.expected, 3))

    def status(self, now: float) -> list[Observed]:
        """Each topic's window now, read only (for `status`)."""
        out = []
        for cfg in self.configs.values():
            s = self.counter.record(cfg, (), now)
            verdict = assess(cfg, s.stories, s.baseline, s.since, now, s.sources)
            out.append(Observed(verdict, s, False, state(verdict, s.active(now))))
        return out


def observe_claims(rt: Runtime, claimed: Sequence[tuple[Scored, Claim]]) -> None:
    """The poll's step: count the claimed items' stories and alert a surge. Blocking:
    process.py runs it in the claim's Redis thread, right after the claim (one thread hop for
    both). The items are claimed already: a Redis failure here is logged, not the poll's."""
    if rt.surge is None:
        return
    seen = seen_in(claimed, rt.surge.configs, rt.config.rules, rt.config.feed_gates)
    if not seen:
        return
    try:
        with rt.timed("surge", len(seen)):
            rt.surge.observe(seen, time.time())
    except StoreError as exc:
        log.warning("surge counts not updated: %s", exc)
