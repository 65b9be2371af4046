"""One forced poll of every feed, then the sends it enqueued: what the tests of a poll's
outcome share (tests/test_backlog.py, test_lingering.py, test_charsets.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from monitor import settings, wiring
from monitor.metrics import Metrics
from monitor.pipeline import PollResult, poll_once
from monitor.service import Service


@dataclass(frozen=True)
class Polled:
    results: list[PollResult]
    sent: int  # alerts the sender delivered after the poll
    metrics: Metrics  # the run's, read after it ended

    @property
    def new(self) -> int:
        return sum(r.new for r in self.results)


def poll_and_send(loaded: settings.Loaded) -> Polled:
    async def go() -> Polled:
        async with wiring.runtime(loaded) as rt:
            results = await poll_once(rt, force=True)
            sent = await Service(loaded, rt, wiring.sender(loaded, rt)).sender.drain()
            return Polled(results, sent, rt.metrics)

    return asyncio.run(go())
