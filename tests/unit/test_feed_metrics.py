"""Per-feed metrics (feed_metrics.py): the Prometheus text of a counter and a gauge per
feed, as prometheus_client's own would render them, from plain numbers."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from monitor.feed_metrics import PerFeed
from monitor.metrics import Metrics


def test_per_feed_series_render_as_prometheus_client_renders_its_own() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    polls = PerFeed("counter", "monitor_polls", "Feed polls", ["feed", "outcome"], ours)
    seen = PerFeed("gauge", "monitor_seen", "Last poll", ["feed"], ours)
    their_polls = Counter("monitor_polls", "Feed polls", ["feed", "outcome"], registry=theirs)
    their_seen = Gauge("monitor_seen", "Last poll", ["feed"], registry=theirs)
    for metric, gauge in ((polls, seen), (their_polls, their_seen)):
        metric.labels("a", "ok").inc()
        metric.labels("a", "ok").inc(2)
        metric.labels('b "quoted"', "error").inc()
        gauge.labels("a").set(5)
        gauge.labels("a").set(7.5)

    def lines(registry: CollectorRegistry) -> list[str]:  # prometheus_client adds _created samples
        return [line for line in generate_latest(registry).decode().splitlines() if "_created" not in line]

    assert lines(ours) == lines(theirs)
    assert 'monitor_polls_total{feed="a",outcome="ok"} 3.0' in lines(ours)


def test_a_wrong_number_of_labels_is_refused() -> None:
    metrics = Metrics()
    with pytest.raises(ValueError, match="monitor_polls"):
        metrics.polls.labels("only-a-feed")
