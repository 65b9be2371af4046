"""How long the sender waits: between two attempts at one alert, and between two rounds."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    base: float
    cap: float

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter in its upper half (attempt counts from 1)."""
        # 2**60 times any base is past any cap; a larger power of two overflows a float
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt - 1, 60))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less when `stop` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
