"""Waits that a stop cuts short, shared by the service's loops (service.py, health.py,
delivery/loops.py) and its orderly stop (serve.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less when `stop` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def end_within(within: float | None, tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Let the tasks end within so many seconds (None: however long they take); cancel
    those that have not, and wait for them to be done."""
    tasks = set(tasks)
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=within)
    for task in late:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
