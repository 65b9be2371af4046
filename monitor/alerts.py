"""Alerts: which scored items alert which channels, how an alert reads, and the sender.

The sender drains the outbox (see outbox.py for the delivery guarantees). Each channel
has its own queue and task, so a channel that is slow or down only delays its own alerts;
a failed send goes back to the outbox with exponential backoff and jitter, and after
`send_attempts` failures to the dead letters, never silently away.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apprise

from monitor import channels
from monitor.errors import StoreError
from monitor.items import Alert, Scored
from monitor.metrics import Metrics
from monitor.outbox import Delivery, Outbox

log = logging.getLogger("monitor.alerts")

TAKE_BATCH = 100
IDLE_SLEEP = 0.2  # seconds between outbox reads when it is empty


@dataclass(frozen=True)
class TopicRule:
    """What the alert stage needs of a topic: when it fires and whom it tells."""

    title: str
    threshold: float
    notify: tuple[str, ...]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    base: float
    cap: float

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter in its upper half (attempt counts from 1)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def alert_id(item_id: str, topic: str) -> str:
    """Short id shown in the alert; the same on every channel for one item and topic."""
    return hashlib.sha1(f"{item_id}\0{topic}".encode()).hexdigest()[:8]


def build_alerts(scored: Scored, rules: Mapping[str, TopicRule], kind: str = "alert") -> list[Alert]:
    """One alert per (topic over its threshold, channel that topic notifies)."""
    item = scored.item
    out = []
    for topic, rule in rules.items():
        result = scored.scores.get(topic)
        if result is None or result.score < rule.threshold:
            continue
        for channel in rule.notify:
            out.append(Alert(
                id=alert_id(item.id, topic), channel=channel, topic=topic, topic_title=rule.title,
                score=round(result.score, 4), threshold=rule.threshold, terms=result.terms,
                item_id=item.id, source=item.source, title=item.title, url=item.url,
                published=item.published, text=item.text[:500], kind=kind,
            ))
    return out


def to_json(alert: Alert) -> dict[str, Any]:
    data = asdict(alert)
    data["published"] = alert.published.isoformat()
    data["terms"] = list(alert.terms)
    return data


def from_json(data: Mapping[str, Any]) -> Alert:
    fields = {k: v for k, v in data.items() if k in Alert.__dataclass_fields__}
    fields["published"] = datetime.fromisoformat(fields["published"])
    fields["terms"] = tuple(fields.get("terms") or ())
    return Alert(**fields)


def format_alert(alert: Alert) -> tuple[str, str]:
    """Title and plain-text body: what, where from, when, why, and the link."""
    published = alert.published.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    prefix = {"follow_up": "Follow-up: ", "test": "Test: "}.get(alert.kind, "")
    title = f"{prefix}[{alert.topic_title}] {alert.title}"
    why = ", ".join(alert.terms) if alert.terms else "(no terms)"
    body = "\n".join([
        alert.title,
        f"Source: {alert.source} | Published: {published}",
        f"Topic: {alert.topic_title} | Score: {alert.score:.2f} (threshold {alert.threshold:.2f})",
        f"Why: {why}",
        alert.url,
        f"Alert id: {alert.id}",
    ])
    return title, body


class Sender:
    """Sends the outbox's alerts through apprise, one task per channel."""

    def __init__(self, outbox: Outbox, urls: Mapping[str, str], data_dir: Path,
                 policy: RetryPolicy, claim_timeout: float, metrics: Metrics | None = None) -> None:
        self.outbox = outbox
        self.policy = policy
        self.claim_timeout_ms = int(claim_timeout * 1000)
        self.apprises: dict[str, apprise.Apprise] = {}
        self.set_channels(urls, data_dir)
        self.metrics = metrics
        self.sent = 0
        self.failed = 0
        self.inflight: set[bytes] = set()  # entry ids queued or being sent by this sender

    def set_channels(self, urls: Mapping[str, str], data_dir: Path) -> None:
        """(Re)build one apprise object per channel; alerts for a removed channel fail."""
        self.apprises = {name: _apprise(channels.with_defaults(url, data_dir)) for name, url in urls.items()}

    async def send(self, delivery: Delivery) -> bool:
        """Try one delivery and end it in the outbox: done, retry later, or dead."""
        alert = from_json(delivery.alert)
        target = self.apprises.get(alert.channel)
        if target is None:
            error = f"channel '{alert.channel}' is not configured"
            ok = False
        else:
            ok = await asyncio.to_thread(_notify, target, alert, delivery.alert)
            error = f"channel '{alert.channel}' failed to send alert {alert.id}"
        if self.metrics is not None:
            self.metrics.sends.labels(alert.channel, "ok" if ok else "failed").inc()
        if ok:
            self.outbox.done(delivery)
            self.sent += 1
            return True
        self.failed += 1
        attempt = delivery.attempts + 1
        if attempt >= self.policy.attempts:
            self.outbox.bury(delivery, error)
            log.error("%s (attempt %d of %d): moved to dead letters", error, attempt, self.policy.attempts)
        else:
            delay = self.policy.delay(attempt)
            self.outbox.retry_later(delivery, time.time() + delay, error)
            log.warning("%s (attempt %d of %d): retry in %.0fs", error, attempt, self.policy.attempts, delay)
        return False

    async def drain(self) -> int:
        """Send what is due now (own unfinished alerts first), once each; for `poll --once`."""
        self.outbox.ensure_group()
        self.outbox.release_due(time.time())
        batch = self.outbox.take(TAKE_BATCH, own_pending=True)
        batch += self.outbox.reclaim(self.claim_timeout_ms)
        batch += self.outbox.take(TAKE_BATCH)
        total = 0
        while batch:
            results = await self._send_by_channel(batch)
            total += sum(results)
            batch = self.outbox.take(TAKE_BATCH)
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """The service's send loop: until stop, keep every channel's queue moving."""
        self.outbox.ensure_group()
        queues: dict[str, asyncio.Queue[Delivery]] = {}
        workers: list[asyncio.Task[None]] = []
        first = True
        last_reclaim = 0.0
        while not stop.is_set():
            try:
                self.outbox.release_due(time.time())
                batch = self.outbox.take(TAKE_BATCH, own_pending=first)
                if time.monotonic() - last_reclaim > self.claim_timeout_ms / 3000:
                    # Held alerts stay ours (a slow channel is not a dead sender); then take
                    # over what dead senders left behind.
                    self.outbox.touch(list(self.inflight))
                    batch += [d for d in self.outbox.reclaim(self.claim_timeout_ms)
                              if d.entry_id not in self.inflight]
                    last_reclaim = time.monotonic()
                first = False
            except StoreError as exc:
                log.error("sender: %s", exc)
                batch = []
                await _sleep_or_stop(stop, 1.0)
            for delivery in batch:
                channel = str(delivery.alert.get("channel"))
                if channel not in queues:
                    queues[channel] = asyncio.Queue()
                    workers.append(asyncio.create_task(self._channel_worker(queues[channel])))
                self.inflight.add(delivery.entry_id)
                queues[channel].put_nowait(delivery)
            if not batch:
                await _sleep_or_stop(stop, IDLE_SLEEP)
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    async def _channel_worker(self, queue: asyncio.Queue[Delivery]) -> None:
        while True:
            delivery = await queue.get()
            try:
                await self.send(delivery)
            except StoreError as exc:  # stays pending; reclaimed after claim_timeout
                log.error("sender: %s", exc)
            finally:
                self.inflight.discard(delivery.entry_id)

    async def _send_by_channel(self, batch: list[Delivery]) -> list[int]:
        groups: dict[str, list[Delivery]] = {}
        for delivery in batch:
            groups.setdefault(str(delivery.alert.get("channel")), []).append(delivery)

        async def one_channel(deliveries: list[Delivery]) -> int:
            return sum([await self.send(d) for d in deliveries])

        return list(await asyncio.gather(*(one_channel(g) for g in groups.values())))


def _apprise(url: str) -> apprise.Apprise:
    target = apprise.Apprise()
    target.add(url)
    return target


def _notify(target: apprise.Apprise, alert: Alert, raw: dict[str, Any]) -> bool:
    title, body = format_alert(alert)
    token = channels.current_alert.set(raw)
    try:
        return bool(target.notify(body=body, title=title))
    finally:
        channels.current_alert.reset(token)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


def send_test(channel: str, url: str, data_dir: Path) -> bool:
    """Send one test alert straight to a channel (not through the outbox); True when sent."""
    alert = Alert(
        id="test0000", channel=channel, topic="test", topic_title="Test alert", score=1.0,
        threshold=0.0, terms=("test",), item_id="test", source="monitor",
        title="monitor notify-test: this channel works", url="https://example.org/monitor-test",
        published=datetime.now(tz=UTC), kind="test",
    )
    return _notify(_apprise(channels.with_defaults(url, data_dir)), alert, to_json(alert))
