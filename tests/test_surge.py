"""Surge detection on real Redis with a controllable clock: a quiet baseline then a burst
fires once, a plateau does not fire again, copies of one story are no surge, two workers
sharing Redis send one surge alert, and too little history stays quiet."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import redis

from monitor import codec, rules
from monitor.delivery.alerts import TopicRule
from monitor.delivery.outbox import Outbox
from monitor.delivery.sender import ChannelConfig, RetryPolicy, Sender
from monitor.items import Item, Scored, TopicScore
from monitor.keys import Keys
from monitor.metrics import Metrics
from monitor.seen import CLOCK_SKEW
from monitor.store import Claim
from monitor.surge.counter import Seen, SurgeCounter
from monitor.surge.detector import SurgeDetector, seen_in
from monitor.surge.model import SurgeConfig, sums

HOUR, DAY = 3600.0, 86400.0
T0 = 1_780_000_000.0  # a Monday in 2026; the baseline starts here
CFG = SurgeConfig("trs", "Turkey–Russia–Syria escalation", 0.6, ("desk",))
SOURCES = ("bbc", "guardian", "aljazeera", "reuters", "anadolu")


def seen(n: int, at: float, story: str = "", source: str = "") -> Seen:
    return Seen("trs", story or f"story{n}", source or SOURCES[n % len(SOURCES)], f"Headline {n}",
                f"https://news.example.org/{n}", at)


def detector(client: redis.Redis, cfg: SurgeConfig = CFG) -> SurgeDetector:
    return SurgeDetector(SurgeCounter(client, Keys()), {cfg.topic: cfg})


def quiet_baseline(d: SurgeDetector, days: float = 3.0, every: float = 8 * HOUR) -> float:
    """One story every `every` for `days` from T0; returns the time after it."""
    n, at = 0, T0
    while at < T0 + days * DAY:
        d.observe([seen(n, at)], at)
        n, at = n + 1, at + every
    return at


def surges(client: redis.Redis) -> list[codec.Alert]:
    entries = client.xrange(Keys().outbox)
    return [a for a in (codec.decode_alert(fields[b"alert"]) for _, fields in entries) if a.kind == "surge"]


def burst(d: SurgeDetector, start: float, stories: int, every: float, first: int = 1000) -> list[bool]:
    """`stories` distinct stories, one every `every` seconds; whether each observation fired."""
    fired = []
    for i in range(stories):
        at = start + i * every
        fired += [o.fired for o in d.observe([seen(first + i, at)], at)]
    return fired


def test_quiet_baseline_then_burst_fires_once(redis_client: redis.Redis) -> None:
    d = detector(redis_client)
    start = quiet_baseline(d)
    assert surges(redis_client) == []
    fired = burst(d, start, stories=8, every=5 * 60)  # 8 stories from 5 sources in 40 minutes
    assert fired.count(True) == 1 and fired.index(True) == 4  # at the 5th: P(X >= 5) at 0.25 usual
    [alert] = surges(redis_client)
    assert alert.channel == "desk" and alert.topic == "trs" and alert.surge is not None
    assert alert.surge.stories == 5 and alert.surge.sources == 5
    assert abs(alert.surge.expected - 0.28) < 0.01  # (9 + 1) stories in 3 days, per 2 hours
    assert alert.surge.top[0].title.startswith("Headline 10") and alert.title.startswith("5 stories from 5 sources")
    status = d.status(start + 40 * 60)[0]
    assert status.state == "surge" and status.verdict.stories == 8


def test_a_plateau_does_not_fire_again_and_a_larger_surge_does(redis_client: redis.Redis) -> None:
    d = detector(redis_client)
    start = quiet_baseline(d)
    fired = burst(d, start, stories=12 * 24, every=HOUR / 6)  # 6 stories an hour for two days
    assert fired.count(True) == 1
    d2 = detector(redis_client)  # a window with twice the alerted stories, while the surge is on
    more = burst(d2, start + 2 * DAY, stories=40, every=60, first=5000)
    assert more.count(True) == 1 and len(surges(redis_client)) == 2


def test_a_steady_high_rate_never_fires(redis_client: redis.Redis) -> None:
    d = detector(redis_client)
    fired = burst(d, T0, stories=4 * 24 * 4, every=HOUR / 4)  # 4 stories an hour for four days
    assert fired.count(True) == 0 and surges(redis_client) == []
    assert d.status(T0 + 4 * DAY)[0].state == "quiet"


def test_copies_of_one_story_are_no_surge(redis_client: redis.Redis) -> None:
    d = detector(redis_client)
    start = quiet_baseline(d)
    for i in range(20):  # one story carried by 20 outlets within the hour
        at = start + i * 180
        [o] = d.observe([seen(999, at, story="big-story", source=f"outlet{i}")], at)
        assert not o.fired
    assert o.verdict.stories == 1 and o.verdict.sources >= 20 and surges(redis_client) == []


def test_a_story_whose_copies_keep_coming_counts_once(redis_client: redis.Redis) -> None:
    """A story's marker expired `story_ttl` (3 days) after it was first counted, though its
    copies kept coming and kept its near-dup story alive: 3 days on it counted as a new story
    again. The marker is renewed by each copy, as the story's list is."""
    d, marker = detector(redis_client), Keys().surge_story("trs", "long-story")
    counted = []
    for day in range(6):  # a copy a day, from another outlet each day
        at = T0 + day * DAY
        [o] = d.observe([seen(1, at, story="long-story", source=f"outlet{day}")], at)
        counted.append(o.summary.counted)
        assert redis_client.pttl(marker) > (CFG.story_ttl + CLOCK_SKEW - 1) * 1000
        # Redis's clock does not follow `at`: the day passes for the marker's TTL by hand
        redis_client.pexpire(marker, redis_client.pttl(marker) - int(DAY * 1000))
    assert counted == [1, 0, 0, 0, 0, 0]


def test_metrics_count_each_topics_stories(redis_client: redis.Redis) -> None:
    metrics = Metrics()
    d = SurgeDetector(SurgeCounter(redis_client, Keys()), {"trs": CFG}, metrics)
    start = quiet_baseline(d)  # 9 stories
    d.observe([seen(1, start, story="copy-of-1", source="tass"), seen(1, start, story="copy-of-1")], start)
    text = metrics.render().decode()
    assert 'monitor_topic_stories_total{topic="trs"} 10.0' in text
    assert 'monitor_surge_window_stories{topic="trs"} 1.0' in text
    assert 'monitor_surge_expected_stories{topic="trs"} 0.285' in text


def test_redis_sums_the_window_and_baseline_as_the_model_does(redis_client: redis.Redis) -> None:
    d = detector(redis_client)
    at, n = T0, 0
    for step in (7, 300, 1800, 3 * HOUR, 40, 11 * HOUR, 600) * 6:  # irregular arrivals over ~5 days
        at += step
        d.observe([seen(n, at), seen(n + 1, at - 20 * HOUR)], at)  # the second one a late, dated copy
        n += 2
    for now in (at, at + 5 * HOUR, at + 3 * DAY):
        summary = d.counter.record(CFG, (), now)
        assert (summary.stories, summary.baseline) == sums(CFG, d.counter.counts(CFG), summary.since, now)
        assert summary.since == T0 + 7 and summary.baseline > 0


def scored_claim(n: int, score: float, story: str | None) -> tuple[Scored, Claim]:
    item = Item(f"item{n}", "bbc", f"https://n.example/{n}", f"Headline {n}", "Strike near Idlib, football after",
                datetime.fromtimestamp(T0, tz=UTC))
    return Scored(item, {"trs": TopicScore("trs", score)}), Claim(item.id, {"story": story})


def test_an_item_counts_for_a_topic_it_would_alert_with_its_story() -> None:
    gates = {"trs": TopicRule("T", 0.6, (), rules.TopicGate(exclude=rules.compile_all(["football"])))}
    claimed = [scored_claim(1, 0.9, "story-a"), scored_claim(2, 0.9, None), scored_claim(3, 0.3, "story-c")]
    seen = seen_in(claimed, {"trs": CFG}, {"trs": TopicRule("T", 0.6, ())}, {})
    assert [(s.story, s.source, s.published) for s in seen] == [("story-a", "bbc", T0), ("item2", "bbc", T0)]
    assert seen_in(claimed, {"trs": CFG}, gates, {}) == []  # excluded by the topic's rules: not counted
    muted = {"bbc": rules.FeedGate(mute=rules.compile_all(["idlib"]))}
    assert seen_in(claimed, {"trs": CFG}, {"trs": TopicRule("T", 0.6, ())}, muted) == []


def test_too_little_history_says_so_and_stays_quiet(redis_client: redis.Redis) -> None:
    d = detector(redis_client)
    fired = burst(d, T0, stories=30, every=60)  # a burst on the first day of watching
    status = d.status(T0 + HOUR)[0]
    assert fired.count(True) == 0 and status.state == "learning" and status.verdict.learning


def test_two_workers_sharing_redis_send_one_surge_alert(redis_client: redis.Redis, json_receiver) -> None:
    first = detector(redis_client)
    start = quiet_baseline(first)
    path = redis_client.connection_pool.connection_kwargs["path"]
    clients = [redis.Redis(unix_socket_path=path) for _ in range(2)]
    workers = [detector(c) for c in clients]  # two processes' own connections to one Redis
    gate = threading.Barrier(2)
    fired: list[bool] = []

    def work(w: int) -> None:
        for i in range(10):  # each worker sees its own half of a 20-story burst, at the same moments
            at = start + i * 120
            gate.wait()
            fired.extend(o.fired for o in workers[w].observe([seen(2000 + 2 * i + w, at)], at))

    threads = [threading.Thread(target=work, args=(w,)) for w in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fired.count(True) == 1 and len(surges(redis_client)) == 1
    outbox = Outbox(redis_client, Keys(), "w1")
    outbox.ensure_group()
    sender = Sender(outbox, {"desk": ChannelConfig(json_receiver.url)}, Path("/tmp"), RetryPolicy(3, 1, 1), 60)
    assert asyncio.run(sender.drain()) == 1
    [message] = json_receiver.received
    assert message["title"].startswith("Surge: [Turkey–Russia–Syria escalation]")
    assert "Top stories:" in message["message"] and "Headline 20" in message["message"]
