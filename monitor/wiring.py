"""Settings into stage configs, and the runtime and sender built from them.

The one module that reads validated settings on the stages' behalf: each stage gets a
frozen config of its own and never imports `settings`. Only the service and the command
line call this module. A reload is "build the configs again and swap them in".
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import __version__, defaults
from monitor.errors import ModelError
from monitor.keys import Keys
from monitor.rules import FeedGate, TopicGate, compile_all
from monitor.settings import Channel, Loaded, Topic

# The stages are imported by the functions that build them: a short command (`monitor
# score` needs only topic_thresholds) then loads no Redis, aiohttp or apprise.
if TYPE_CHECKING:
    from monitor.dedup.index import NearDupConfig
    from monitor.delivery.policy import ChannelPolicy
    from monitor.delivery.sender import ChannelConfig, RetryPolicy, Sender
    from monitor.ingest.article import ArticleConfig
    from monitor.ingest.fetch import FetchLimits
    from monitor.model.classify import Classifier
    from monitor.runtime import FeedConfig, PollConfig, Runtime
    from monitor.store import Store
    from monitor.surge.model import SurgeConfig


@dataclass(frozen=True)
class DeliveryConfig:
    """What the sender needs: each channel's URL, policy and compiled templates."""

    channels: dict[str, ChannelConfig]
    retry: RetryPolicy
    claim_timeout: float
    ops_channel: str


def fetch_limits(loaded: Loaded) -> FetchLimits:
    from monitor.ingest.fetch import FetchLimits

    m = loaded.settings.monitor
    return FetchLimits(
        connect_timeout=m.connect_timeout, read_timeout=m.read_timeout, max_bytes=m.max_bytes,
        max_redirects=m.max_redirects, concurrency=m.concurrency,
        user_agent=defaults.USER_AGENT.format(version=__version__),
    )


def neardup_config(loaded: Loaded) -> NearDupConfig:
    from monitor.dedup.index import NearDupConfig

    d = loaded.settings.dedup
    return NearDupConfig(window_seconds=int(d.window), jaccard_threshold=d.jaccard,
                         containment_threshold=d.containment, cosine_threshold=d.cosine,
                         names_threshold=d.names, across_languages=d.across_languages)


def feeds(loaded: Loaded) -> tuple[FeedConfig, ...]:
    """The enabled feeds, each with its URL (environment expanded), interval, allow_private
    and backlog (the feed's own, or `[monitor]`'s) resolved."""
    from monitor.runtime import FeedConfig

    m = loaded.settings.monitor
    return tuple(FeedConfig(f.name, loaded.feed_urls[f.name], loaded.interval(f), m.allow_private or f.allow_private,
                            m.backlog if f.backlog is None else f.backlog)
                 for f in loaded.settings.feeds if f.enabled)


def article_config(loaded: Loaded) -> ArticleConfig:
    from monitor.ingest.article import ArticleConfig

    m = loaded.settings.monitor
    return ArticleConfig(mode=m.articles, below_words=m.article_below_words, bar=m.article_bar,
                         per_host=m.article_per_host, max_bytes=m.article_max_bytes,
                         feed_modes={f.name: f.articles for f in loaded.settings.feeds if f.articles})


def poll_config(loaded: Loaded) -> PollConfig:
    from monitor.delivery.alerts import TopicRule, prints_text
    from monitor.runtime import PollConfig

    s = loaded.settings
    return PollConfig(
        feeds=feeds(loaded), fetch=fetch_limits(loaded),
        rules={n: TopicRule(t.title, t.threshold, tuple(t.notify), topic_gate(t)) for n, t in s.topics.items()},
        feed_gates=feed_gates(loaded),
        neardup=neardup_config(loaded) if s.dedup.near_duplicates else None,
        seen_ttl=s.dedup.seen_ttl, follow_up_sources=s.dedup.follow_up_sources,
        backoff_base=s.monitor.backoff_base, backoff_max=s.monitor.backoff_max,
        feed_alert_after=s.monitor.feed_alert_after, ops_channel=s.monitor.ops_channel,
        articles=article_config(loaded), surges=surge_configs(loaded),
        full_text_channels=frozenset(n for n, c in s.channels.items()
                                     if prints_text(c.title_template, c.body_template)),
    )


def topic_gate(topic: Topic) -> TopicGate:
    return TopicGate(compile_all(topic.require), compile_all(topic.exclude))


def feed_gates(loaded: Loaded) -> dict[str, FeedGate]:
    """The feeds with rules of their own (topics or mute)."""
    return {f.name: FeedGate(frozenset(f.topics) if f.topics is not None else None, compile_all(f.mute))
            for f in loaded.settings.feeds if f.topics is not None or f.mute}


def surge_configs(loaded: Loaded, every_topic: bool = False) -> dict[str, SurgeConfig]:
    """The topics with `surge` on (`every_topic`: all, for a replay), each with its window,
    test and channels."""
    from monitor.surge.model import SurgeConfig

    return {n: SurgeConfig(n, t.title, t.threshold, tuple(t.notify), t.surge_window, t.surge_min_sources,
                           t.surge_sensitivity, t.surge_baseline, loaded.settings.dedup.window)
            for n, t in loaded.settings.topics.items() if t.surge or every_topic}


def channel_policy(channel: Channel) -> ChannelPolicy:
    from monitor.delivery.policy import ChannelPolicy, parse_quiet_hours, parse_time_of_day

    return ChannelPolicy(
        mode=channel.mode, digest_every=channel.digest_every,
        digest_at=tuple(parse_time_of_day(t) for t in channel.digest_at), zone=channel.timezone,
        max_per_hour=channel.max_per_hour, quiet=parse_quiet_hours(channel.quiet_hours),
        urgent_score=channel.urgent_score,
    )


def channel_configs(loaded: Loaded) -> dict[str, ChannelConfig]:
    """Every channel with its resolved URL, policy and templates (compiled here, once)."""
    from monitor.delivery.sender import ChannelConfig
    from monitor.delivery.templates import Templates

    return {name: ChannelConfig(loaded.channel_urls[name], channel_policy(channel),
                                Templates(channel.format, channel.title_template, channel.body_template),
                                channel.throttle)
            for name, channel in loaded.settings.channels.items()}


def delivery_config(loaded: Loaded) -> DeliveryConfig:
    a = loaded.settings.alerts
    return DeliveryConfig(channel_configs(loaded), retry_policy(loaded), a.claim_timeout,
                          loaded.settings.monitor.ops_channel)


def retry_policy(loaded: Loaded) -> RetryPolicy:
    """How the sender backs off a failed send (also read by `monitor outbox`)."""
    from monitor.delivery.sender import RetryPolicy

    a = loaded.settings.alerts
    return RetryPolicy(a.send_attempts, a.send_backoff_base, a.send_backoff_max)


def topic_thresholds(loaded: Loaded, classifier: Classifier) -> dict[str, float]:
    """Each model topic's threshold: settings.toml's, else the model's CV suggestion."""
    return {topic: (loaded.settings.topics[topic].threshold if topic in loaded.settings.topics
                    else classifier.suggested_threshold(topic))
            for topic in classifier.topics}


def load_classifier(loaded: Loaded, lazy: bool = False) -> Classifier:
    """The model named in settings; when it is missing, the error says where `model` was
    looked for (relative to the settings file, not to the working directory). `lazy`: its
    weights are read on first use (Classifier.load_lazily)."""
    path = loaded.model_path
    if not path.exists():
        raw = Path(loaded.settings.monitor.model)
        beside_cwd = "" if raw.is_absolute() or not raw.exists() else (
            f"; {raw} exists in the working directory: write its absolute path, {raw.resolve()}")
        raise ModelError(f"{loaded.path}: monitor.model: {path}: model file not found (a relative path is "
                         f"read from the settings file's folder{beside_cwd}; `monitor train` writes it)")
    from monitor.model.classify import Classifier

    return Classifier.load_lazily(path) if lazy else Classifier.load(path)


def polling_classifier(loaded: Loaded) -> Classifier:
    """The model as a polling process holds it: when scoring runs in worker processes
    (`score_workers`), this process needs only its topics and version, so its weights are
    read on first use, which then never comes."""
    return load_classifier(loaded, lazy=loaded.settings.monitor.score_workers > 0)


Stamp = tuple[float, int]  # a file's mtime and size: (0.0, 0) when it cannot be read


def stamp(path: os.PathLike[str]) -> Stamp:
    try:
        stat = os.stat(path)
    except OSError:
        return (0.0, 0)
    return (stat.st_mtime, stat.st_size)


async def model_in_force(new: Loaded, old: Loaded, old_stamp: Stamp, rt: Runtime) -> tuple[Classifier, Stamp]:
    """The model of new settings for a running service, and its file's stamp, read first (a
    model landing as this one loads reloads again), its topics checked; a new one is then
    loaded whole where it will score before it is in force (a model whose weights are
    broken is refused there, not found by every batch after it). The caller puts it in
    force with no await between: scoring holds its batches until then (BatchScorer.check)."""
    now = stamp(new.model_path)
    same = new.model_path == old.model_path and now == old_stamp
    classifier = rt.classifier if same else polling_classifier(new)
    classifier.require(new.settings.topics)  # the same model too: the settings may name a new topic
    if not same:
        await rt.scorer.check(classifier)
    return classifier, now


def store(loaded: Loaded) -> Store:
    from monitor.connection import connect
    from monitor.store import Store

    return Store(connect(loaded.redis_url, loaded.data_dir), Keys(loaded.settings.monitor.key_prefix))


def runtime(loaded: Loaded, classifier: Classifier | None = None, cls: type[Runtime] | None = None) -> Runtime:
    """The runtime of a poll: Redis, model and configs, with this process's worker name."""
    from monitor.delivery.outbox import Outbox
    from monitor.malloc import cap_arenas
    from monitor.runtime import Runtime

    cap_arenas()  # before the runtime's Redis threads start (malloc.py)
    cls = cls or Runtime
    classifier = classifier or polling_classifier(loaded)
    classifier.require(loaded.settings.topics)
    state = store(loaded)
    worker = f"{socket.gethostname()}-{os.getpid()}"
    outbox = Outbox(state.redis, state.keys, worker, loaded.settings.alerts.dead_max)
    return cls(poll_config(loaded), state, outbox, classifier, worker,
               score_workers=loaded.settings.monitor.score_workers)


def sender(loaded: Loaded, rt: Runtime, clock: Callable[[], float] = time.time) -> Sender:
    from monitor.delivery.sender import Sender

    d = delivery_config(loaded)
    return Sender(rt.outbox, d.channels, loaded.data_dir, d.retry, d.claim_timeout, rt.metrics,
                  d.ops_channel, clock, io=rt.io)  # the runtime's Redis threads


def reconfigure(loaded: Loaded, rt: Runtime, send: Sender) -> None:
    """A reload: new configs for the poll and the sender, swapped in whole."""
    rt.configure(poll_config(loaded))
    rt.outbox.dead_max = loaded.settings.alerts.dead_max
    d = delivery_config(loaded)
    send.set_channels(d.channels, loaded.data_dir, d.ops_channel)
