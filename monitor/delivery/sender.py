"""The sender: delivers the outbox through apprise, under each channel's policy.

Each channel has its own queue and task, so a channel that is slow or down only delays its
own alerts. An alert is sent now or folded into the channel's digest (policy.py); a failed
send goes back to the outbox with exponential backoff and jitter, and after `send_attempts`
failures to the dead letters, never silently away (outbox.py has the guarantees).
A channel that answers 429 (or 503) with `Retry-After` is paused for that long, and only
it: its alerts are put back in the outbox until then (no attempt counted), while the other
channels' tasks keep sending (transport.py reads the header).

No error in one delivery ends its channel's task, and a stop waits (up to loops.STOP_GRACE) for
the sends under way, so that an alert handed to apprise is also recorded as sent.

Every outbox call runs in a thread (`self.io`: the runtime's pool of Redis threads in the
service, `asyncio.to_thread` when none is given), never on the event loop, so a slow
Redis holds up only the send that waits for it, not the polls sharing the loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import apprise

from monitor import defaults, urls
from monitor.delivery import channels, pause, transport
from monitor.delivery.alerts import health_alert
from monitor.delivery.entries import Delivery
from monitor.delivery.loops import SendLoops
from monitor.delivery.outbox import Outbox
from monitor.delivery.policy import ChannelPolicy, decide, digest_due
from monitor.delivery.retry import RetryPolicy, SendThreads
from monitor.delivery.templates import TemplateFailed, Templates
from monitor.delivery.transport import REASON_CHARS, Outcome, notify  # notify: a name here, so tests can stand in
from monitor.delivery.values import cut, one_line
from monitor.errors import StoreError
from monitor.items import Alert
from monitor.metrics import Metrics
from monitor.redis_threads import Offload

log = logging.getLogger("monitor.sender")

SENDS = SendThreads()  # apprise's blocking sends, off the loop and never holding up exit
ACK_WAIT_MAX = 30.0  # seconds between two tries to record a sent alert while Redis fails
POLICY_KINDS = ("alert", "follow_up", "surge")  # test, health and digest entries are sent as they come


@dataclass(frozen=True)
class ChannelConfig:
    url: str
    policy: ChannelPolicy = ChannelPolicy()
    templates: Templates = Templates()
    throttle: float | None = None  # seconds between two messages; None: see transport.build


class Sender(SendLoops):
    def __init__(self, outbox: Outbox, configs: Mapping[str, ChannelConfig], data_dir: Path,
                 retry: RetryPolicy, claim_timeout: float, metrics: Metrics | None = None,
                 ops_channel: str = "", clock: Callable[[], float] = time.time,
                 io: Offload = asyncio.to_thread) -> None:
        self.outbox = outbox
        self.io = io  # runs each blocking outbox call off the event loop
        self.retry = retry
        self.claim_timeout_ms = int(claim_timeout * 1000)
        self.metrics = metrics
        self.clock = clock
        self.configs: dict[str, ChannelConfig] = {}
        self.apprises: dict[str, apprise.Apprise] = {}
        self.ops_channel = ops_channel
        self.paused: dict[str, float] = {}  # configured channel -> until when (clock) its Retry-After asks
        self.set_channels(configs, data_dir, ops_channel)
        self.inflight: set[bytes] = set()  # entry ids queued or being sent by this sender

    def set_channels(self, configs: Mapping[str, ChannelConfig], data_dir: Path, ops_channel: str = "") -> None:
        """(Re)build one apprise object per channel; alerts for a removed channel fail."""
        self.configs = dict(configs)
        self.paused = {c: until for c, until in self.paused.items() if c in self.configs}  # not every one ever
        self.apprises = {n: transport.build(channels.with_defaults(c.url, data_dir), c.throttle)
                         for n, c in configs.items()}
        self.ops_channel = ops_channel

    # -- one delivery ----------------------------------------------------------------------

    async def send(self, delivery: Delivery) -> bool:
        """Send, fold, defer or fail one delivery, and end it in the outbox accordingly."""
        alert, now = delivery.alert, self.clock()
        channel = alert.channel
        config = self.configs.get(channel)
        until = self.paused.get(channel, 0.0)
        if not pause.holds(until, now):  # over (or set by a clock since set back): another sender's?
            until = await self.io(pause.paused_until, self.outbox, channel, now)
            if channel in self.configs:  # a removed channel's alert (it fails) keeps no entry
                self.paused[channel] = until
        if until > now:  # the channel asked to wait: not an attempt
            await self.io(self.outbox.defer, delivery, until)
            return False
        if config is not None and isinstance(alert, Alert) and alert.kind in POLICY_KINDS:
            verdict, why = decide(config.policy, alert.score, now,
                                  await self._sent_last_hour(channel, config, now), urgent=alert.kind == "surge")
            if verdict == "send" and not await self._reserve(delivery, config, now):
                verdict, why = "fold", f"rate limit of {config.policy.max_per_hour} per hour (taken meanwhile)"
            # A reload during the awaits above may have removed the channel: a fold now would
            # make a digest that nothing sends, nor prunes until the next reload.
            config = self.configs.get(channel)
            if verdict == "fold" and config is not None:
                await self.io(self.outbox.fold, delivery, channel, now)
                log.debug("alert %s folded into the %s digest: %s", alert.id, channel, why)
                return False
        outcome = await self._notify(channel, config, delivery)
        # A removed channel's alert, or one whose channel a reload removed as it was sent: no series
        if self.metrics is not None and channel in self.configs:
            self.metrics.sends.labels(channel, "ok" if outcome.ok else "failed").inc()
        if outcome.ok:
            await self._acknowledge(delivery, channel, now)
            await self._recovered(channel)
            return True
        if outcome.retry_after is not None:
            await self._pause(channel, self.clock() + outcome.retry_after)
            log.warning("channel '%s': asked to wait %.0fs (Retry-After); its alerts wait, other channels "
                        "keep sending", channel, outcome.retry_after)
        if config is not None and config.policy.max_per_hour:  # its place in the hour goes back
            await self.io(self.outbox.unreserve, delivery, channel)
        await self._failed(delivery, channel, outcome.reason, outcome.retry_after or 0.0)
        return False

    async def _pause(self, channel: str, until: float) -> None:
        """Pause the channel here at once, and for the other senders through Redis."""
        if channel in self.configs:  # not one a reload removed as it was sent
            self.paused[channel] = until
        try:
            await self.io(pause.pause, self.outbox, channel, until)
        except StoreError as exc:  # this sender waits anyway; the others find out by their own 429
            log.warning("channel '%s': %s", channel, exc)

    async def _acknowledge(self, delivery: Delivery, channel: str, now: float) -> None:
        """Record a sent alert. Given up on, the alert would be taken again and sent twice, so
        a Redis error is retried (the alert stays this sender's: `touch` renews it) for up to
        the claim timeout, after which another sender may take it over anyway."""
        deadline, wait = time.monotonic() + self.claim_timeout_ms / 1000, 0.5
        while True:
            try:
                await self.io(self.outbox.done, delivery, channel, now)
                return
            except StoreError as exc:
                if time.monotonic() + wait > deadline:
                    raise
                log.error("sender: alert %s was sent, but %s; trying again in %.1fs", delivery.alert.id, exc, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, ACK_WAIT_MAX)

    async def _notify(self, channel: str, config: ChannelConfig | None, delivery: Delivery) -> Outcome:
        if config is None:
            return Outcome(False, "not configured")
        try:
            return await asyncio.get_running_loop().run_in_executor(
                SENDS, notify, self.apprises[channel], config.templates, delivery.queued)
        except TemplateFailed as exc:  # a template that fails to render is a failed send, retried
            log.error("channel '%s': cannot render alert %s: %s", channel, delivery.alert.id, exc)
            return Outcome(False, f"cannot render: {exc}")
        except Exception as exc:  # noqa: BLE001 - whatever apprise raises fails this send only
            return Outcome(False, f"send raised {type(exc).__name__}: {exc}")

    async def _sent_last_hour(self, channel: str, config: ChannelConfig, now: float) -> int:
        """The channel's sends in the last hour; read from Redis only when a rate limit
        needs it (the policy looks at it for nothing else), sparing a round trip per alert."""
        return await self.io(self.outbox.sent_last_hour, channel, now) if config.policy.max_per_hour else 0

    async def _reserve(self, delivery: Delivery, config: ChannelConfig, now: float) -> bool:
        """Take the alert's place in a rate-limited channel's hour, atomically, so that two
        senders that both saw room cannot both send (outbox.RESERVE_LUA)."""
        if not config.policy.max_per_hour:
            return True
        return await self.io(self.outbox.reserve, delivery, delivery.alert.channel, now, config.policy.max_per_hour)

    async def _failed(self, delivery: Delivery, channel: str, reason: str, wait: float = 0.0) -> None:
        # One line of REASON_CHARS, as apprise's reasons are cut (transport.py): an exception's
        # text is as long as its raiser made it, and went whole into every log line and retry.
        # Masked: an exception's text may quote a URL with its credentials (urls.mask_text).
        reason = cut(one_line(urls.mask_text(reason[:4 * REASON_CHARS])), REASON_CHARS)
        error = f"channel '{channel}': {reason} (alert {delivery.alert.id})"
        attempt = delivery.attempts + 1
        if attempt >= self.retry.attempts:
            await self.io(self.outbox.bury, delivery, error)
            log.error("%s, attempt %d of %d: moved to dead letters", error, attempt, self.retry.attempts)
        else:
            delay = max(self.retry.delay(attempt), wait)  # never before the channel's Retry-After
            await self.io(self.outbox.retry_later, delivery, self.clock() + delay, error)
            log.warning("%s, attempt %d of %d: retry in %.0fs", error, attempt, self.retry.attempts, delay)
        failures = await self.io(self.outbox.channel_failed, channel) if channel in self.configs else 0
        if failures == defaults.CHANNEL_ALERT_AFTER:
            await self._tell_ops(channel, f"Channel '{channel}' is failing",
                                 f"{defaults.CHANNEL_ALERT_AFTER} sends in a row failed; alerts wait in the outbox.")

    async def _recovered(self, channel: str) -> None:
        if await self.io(self.outbox.channel_ok, channel) >= defaults.CHANNEL_ALERT_AFTER:
            await self._tell_ops(channel, f"Channel '{channel}' recovered", "Sends succeed again.")

    async def _tell_ops(self, channel: str, title: str, text: str) -> None:
        if self.ops_channel and self.ops_channel != channel:  # never about itself to itself
            await self.io(self.outbox.enqueue, health_alert(self.ops_channel, title, text, self.clock()))

    # -- the loops -------------------------------------------------------------------------

    async def flush_digests(self) -> int:
        """Enqueue every channel's waiting alerts whose digest is due; returns digests made."""
        made, now = 0, self.clock()
        for name, config in self.configs.items():
            if not await self.io(self.outbox.waiting, name):
                continue
            last, since = await self.io(self.outbox.digest_clock, name, now)
            if digest_due(config.policy, now, last, await self._sent_last_hour(name, config, now), since):
                made += bool(await self.io(self.outbox.flush_digest, name, now, uuid.uuid4().hex[:8],
                                           config.policy.max_per_hour))
        return made
