"""Alerts: which scored items alert which channels, and the alert records themselves.

An `Alert` is a typed value from here to apprise; it crosses Redis through monitor/codec.py.
Besides topic alerts (`kind` "alert" or "follow_up") there are "test" alerts, operator
"health" alerts, and digests (`items.Digest`) that carry several alerts at once; the sender
(sender.py) delivers all.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from monitor import rules
from monitor.defaults import LEAD_CHARS, TEXT_KEPT
from monitor.items import Alert, Scored

SENT_TEXT_CHARS = LEAD_CHARS + 1
"""Characters of an alert's text the outbox carries to a channel whose templates do not
print `text`: the lead and a headline made from the text read no further (values.py)."""

TEXT_FIELD_RE = re.compile(r"\btext\b")


def prints_text(*templates: str) -> bool:
    """Whether a channel's own templates may print the alert's whole text (a mention of
    `text` anywhere counts: a false yes only keeps more)."""
    return any(TEXT_FIELD_RE.search(t) for t in templates)


def as_sent(alert: Alert, full_text: bool) -> Alert:
    """The alert as the outbox carries it: its text cut to what delivery reads, unless
    its channel's templates print the text (the whole alert stays under alert:<id>)."""
    if full_text or len(alert.text) <= SENT_TEXT_CHARS:
        return alert
    return replace(alert, text=alert.text[:SENT_TEXT_CHARS])


@dataclass(frozen=True)
class TopicRule:
    """What the alert stage needs of a topic: when it fires and whom it tells."""

    title: str
    threshold: float
    notify: tuple[str, ...]
    gate: rules.TopicGate = rules.NO_GATE  # require/exclude words beside the threshold


def alert_id(item_id: str, topic: str) -> str:
    """Short id shown in the alert; the same on every channel for one item and topic."""
    return hashlib.sha1(f"{item_id}\0{topic}".encode()).hexdigest()[:8]


def build_alerts(scored: Scored, topics: Mapping[str, TopicRule],
                 feeds: Mapping[str, rules.FeedGate] | None = None) -> list[Alert]:
    """One alert per (topic over its threshold and through its rules, channel that topic notifies)."""
    item = scored.item
    feed = (feeds or {}).get(item.source, rules.OPEN_FEED)
    out = []
    document = ""  # built once, and only for a score that reaches a threshold
    for topic, rule in topics.items():
        result = scored.scores.get(topic)
        if result is None or not result.score >= rule.threshold:  # as judge() says (NaN: no alert)
            continue
        document = document or item.document
        if not rules.judge(topic, result.score, rule.threshold, document, rule.gate, feed, item.source).alert:
            continue
        for channel in rule.notify:
            out.append(Alert(
                id=alert_id(item.id, topic), channel=channel, topic=topic, topic_title=rule.title,
                score=round(result.score, 4), threshold=rule.threshold, terms=result.terms,
                item_id=item.id, source=item.source, title=item.title, url=item.url,
                published=item.published, text=item.text[:TEXT_KEPT], judged_on=scored.judged_on,
                language=item.language,
            ))
    return out


def health_alert(channel: str, title: str, text: str, now: float | None = None) -> Alert:
    """An operator alert (a feed down, a channel failing, a reload refused, and recoveries)."""
    moment = datetime.fromtimestamp(now or time.time(), tz=UTC)
    return Alert(
        id=uuid.uuid4().hex[:8], channel=channel, topic="health", topic_title="Monitor health",
        score=1.0, threshold=0.0, terms=(), item_id="", source="monitor", title=title,
        url="", published=moment, text=text, kind="health",
    )


def test_alert(channel: str) -> Alert:
    return Alert(
        id="test0000", channel=channel, topic="test", topic_title="Test alert", score=1.0,
        threshold=0.0, terms=("test",), item_id="test", source="monitor",
        title="monitor notify-test: this channel works", url="https://example.org/monitor-test",
        published=datetime.now(tz=UTC), kind="test",
    )
