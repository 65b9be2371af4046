"""The sender's loops (sender.py's Sender inherits them): `run`, the service's, with a
queue and a task per channel, so a channel that is slow or down delays only its own alerts;
and `drain`, `poll --once`'s, which sends what is due once and returns. Both keep the claim
on what they hold, so no other sender takes over (and sends again) what a slow channel is
still sending, and neither lets one delivery's error end its channel's sending."""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from monitor.defaults import RETRY_AFTER_MAX
from monitor.delivery.entries import Delivery
from monitor.delivery.outbox import Outbox
from monitor.delivery.retry import RetryPolicy
from monitor.errors import StoreError
from monitor.redis_threads import Offload
from monitor.stopping import end_within, sleep_or_stop

log = logging.getLogger("monitor.sender")

TAKE_BATCH = 100
IDLE_SLEEP = 0.2  # seconds between outbox reads when it is empty
# Alerts one channel's queue holds at most (waiting in memory, the one being sent besides).
# The loop takes every new alert from the stream whatever its channel, so a channel that
# sends slower than its alerts arrive held its whole backlog here, each alert whole, and
# renewed every claim at every round, for as long as it lagged: taken beyond this, an alert
# goes back to Redis (the retry set, no attempt counted) for HELD_WAIT, then is taken again.
HELD_PER_CHANNEL = 2 * TAKE_BATCH
HELD_WAIT = 30.0


def longest_wait(retry: RetryPolicy) -> float:
    """The longest a sender puts an alert back for: a backoff (at most `send_backoff_max`),
    a Retry-After (RETRY_AFTER_MAX) or HELD_WAIT. A retry due later than
    seen.latest_stamp(now, this) was put back by a clock since set back, and goes now."""
    return max(retry.cap, RETRY_AFTER_MAX, HELD_WAIT)
STOP_GRACE = 10.0  # seconds a stop waits for sends under way (deploy/monitor.service stops after 15)


class SendLoops(ABC):
    """What the loops need of the Sender: its outbox and offload, the entries it holds, its
    claim timeout and clock, and its one-delivery steps (abstract here, Sender's)."""

    outbox: Outbox
    io: Offload
    configs: Mapping[str, Any]  # the channels of the settings in force
    inflight: set[bytes]  # entry ids queued or being sent by this sender
    claim_timeout_ms: int
    clock: Callable[[], float]

    retry: RetryPolicy

    @abstractmethod
    async def send(self, delivery: Delivery) -> bool: ...

    @abstractmethod
    async def flush_digests(self) -> int: ...

    @abstractmethod
    async def _failed(self, delivery: Delivery, channel: str, reason: str, wait: float = 0.0) -> None: ...

    async def drain(self) -> int:
        """Send what is due now (own unfinished alerts first), once each; for `poll --once`."""
        await self.io(self.outbox.ensure_group)
        await self.flush_digests()
        await self._release_due()
        batch = await self.io(self.outbox.take, TAKE_BATCH, own_pending=True)
        batch += await self.io(self.outbox.reclaim, self.claim_timeout_ms)
        batch += await self.io(self.outbox.take, TAKE_BATCH)
        total, sending = 0, asyncio.Event()
        keeper = asyncio.create_task(self._keep_held(sending))  # a slow channel's batch stays ours
        try:
            while batch:
                self.inflight.update(d.entry_id for d in batch)
                total += sum(await self._send_by_channel(batch))
                batch = await self.io(self.outbox.take, TAKE_BATCH)
        finally:
            sending.set()
            await keeper
        await self._leave(sweep=True)
        return total

    async def _keep_held(self, done: asyncio.Event) -> None:
        """Until done, renew the claim on every alert this sender holds, so that no other
        sender takes over (and sends again) what a slow channel is still sending."""
        while not done.is_set():
            await sleep_or_stop(done, self.claim_timeout_ms / 3000)
            if self.inflight and not done.is_set():
                try:
                    await self.io(self.outbox.touch, list(self.inflight))
                except StoreError as exc:
                    log.error("sender: %s", exc)

    async def run(self, stop: asyncio.Event) -> None:
        """The service's send loop: until stop, keep every channel's queue moving."""
        await self._ensure_group()  # Redis failing here ended the loop for good: NOGROUP below retries
        queues: dict[str, asyncio.Queue[Delivery | None]] = {}
        workers: list[asyncio.Task[None]] = []
        first, last_reclaim = True, 0.0
        while not stop.is_set():
            batch: list[Delivery] = []
            try:
                await self.flush_digests()
                await self._release_due()
                batch = await self.io(self.outbox.take, TAKE_BATCH, own_pending=first)
                if time.monotonic() - last_reclaim > self.claim_timeout_ms / 3000:
                    # Held alerts stay ours (a slow channel is not a dead sender); then take
                    # over what dead senders left behind.
                    await self.io(self.outbox.touch, list(self.inflight))
                    batch += [d for d in await self.io(self.outbox.reclaim, self.claim_timeout_ms)
                              if d.entry_id not in self.inflight]
                    await self.io(self.outbox.trim_delivered)  # the stream keeps only undelivered
                    await self.io(self.outbox.forget_gone, self.claim_timeout_ms)  # and live senders
                    last_reclaim = time.monotonic()
                first = False
            except StoreError as exc:
                log.error("sender: %s", exc)
                if "NOGROUP" in str(exc):  # Redis came back empty: its group is made again
                    await self._ensure_group()
                await sleep_or_stop(stop, 1.0)
            except Exception:  # noqa: BLE001 - a fault in one round must not end all sending
                log.exception("sender: reading the outbox failed")
                await sleep_or_stop(stop, 1.0)
            later: list[Delivery] = []
            for delivery in batch:
                channel = delivery.alert.channel
                if channel not in queues:
                    queues[channel] = asyncio.Queue()
                    workers.append(asyncio.create_task(self._channel_worker(queues[channel])))
                if queues[channel].qsize() >= HELD_PER_CHANNEL:  # its channel is that far behind
                    later.append(delivery)
                    continue
                self.inflight.add(delivery.entry_id)
                queues[channel].put_nowait(delivery)
            await self._hold_back(later)
            workers = self._end_removed(queues, workers)
            if not batch:
                await sleep_or_stop(stop, IDLE_SLEEP)
        await self._stop_workers(queues, workers)
        await self._leave()

    def _end_removed(self, queues: dict[str, asyncio.Queue[Delivery | None]],
                     workers: list[asyncio.Task[None]]) -> list[asyncio.Task[None]]:
        """End the worker of each channel no longer configured (a reload removed it) once its
        queue is empty; returns the workers not yet ended. A queue and a task per channel ever
        configured stayed for the loop's life (200 channels replaced one by one: 200 tasks,
        1.6 MB). A removed channel's alert taken later (another worker's settings) gets a new
        worker; one ending finishes its send first, and a stop waits for it."""
        for channel in [c for c, queue in queues.items() if c not in self.configs and queue.empty()]:
            queues.pop(channel).put_nowait(None)
        return [w for w in workers if not w.done()]

    async def _release_due(self) -> None:
        """Put the alerts due for another try back in the stream, and those put back by a
        clock since set back (`longest_wait`)."""
        await self.io(self.outbox.release_due, self.clock(), longest_wait(self.retry))

    async def _hold_back(self, deliveries: list[Delivery]) -> None:
        """Put alerts of channels already holding HELD_PER_CHANNEL back in Redis for
        HELD_WAIT; a Redis error leaves them pending (taken over after claim_timeout)."""
        if deliveries:
            try:
                await self.io(self.outbox.defer_many, deliveries, self.clock() + HELD_WAIT)
            except StoreError as exc:
                log.error("sender: %s", exc)

    async def _leave(self, sweep: bool = False) -> None:
        """Delete this sender's consumer (and with sweep those of senders gone): each
        process reads under a name of its own, which the group keeps until deleted."""
        try:
            if sweep:
                await self.io(self.outbox.forget_gone, self.claim_timeout_ms)
            await self.io(self.outbox.leave)
        except StoreError as exc:  # what is left, the next sender's sweep deletes
            log.error("sender: %s", exc)

    async def _ensure_group(self) -> None:
        try:
            await self.io(self.outbox.ensure_group)
        except StoreError as exc:
            log.error("sender: %s", exc)

    async def _stop_workers(self, queues: Mapping[str, asyncio.Queue[Delivery | None]],
                            workers: list[asyncio.Task[None]]) -> None:
        """Let the sends under way finish and be recorded (cancelled, an alert already
        handed to apprise would be sent again by the next sender); alerts not started stay
        pending, for the next sender to take over after `claim_timeout`."""
        for queue in queues.values():
            while not queue.empty():
                left = queue.get_nowait()
                if left is not None:
                    self.inflight.discard(left.entry_id)
            queue.put_nowait(None)  # the worker's signal to end
        await end_within(STOP_GRACE, workers)

    async def _channel_worker(self, queue: asyncio.Queue[Delivery | None]) -> None:
        while (delivery := await queue.get()) is not None:
            try:
                await self._send_one(delivery)
            finally:
                self.inflight.discard(delivery.entry_id)

    async def _send_one(self, delivery: Delivery, redis_ends: bool = False) -> bool:
        """Send one delivery; no error ends the channel's worker. A Redis error leaves the
        alert pending (taken over after claim_timeout), and with `redis_ends` is raised (a
        batch must not go on sending what it cannot record); any other counts as a failed
        attempt, so an alert that keeps failing reaches the dead letters rather than looping."""
        try:
            return await self.send(delivery)
        except StoreError as exc:
            if redis_ends:
                raise
            log.error("sender: %s", exc)
        except Exception as exc:  # noqa: BLE001 - a bug in one delivery must not silence its channel
            log.exception("sender: alert %s failed unexpectedly", delivery.alert.id)
            try:
                await self._failed(delivery, delivery.alert.channel, f"sender error {type(exc).__name__}: {exc}")
            except Exception:  # noqa: BLE001 - left pending, as after a Redis error
                log.exception("sender: cannot record the failure of alert %s", delivery.alert.id)
        return False

    async def _send_by_channel(self, batch: list[Delivery]) -> list[int]:
        groups: dict[str, list[Delivery]] = {}
        for delivery in batch:
            groups.setdefault(delivery.alert.channel, []).append(delivery)

        async def one_channel(deliveries: list[Delivery]) -> int:
            sent = 0
            try:
                for delivery in deliveries:  # Redis failing: the rest stay pending, unsent
                    sent += await self._send_one(delivery, redis_ends=True)
            finally:
                self.inflight.difference_update(d.entry_id for d in deliveries)
            return sent

        # Every channel's sends end (and are recorded) before a Redis error is raised.
        results = await asyncio.gather(*(one_channel(g) for g in groups.values()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if isinstance(r, int)]
