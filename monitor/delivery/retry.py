"""How long the sender waits: between two attempts at one alert, and between two rounds;
and where a send runs while it waits on its channel."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


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


class SendThreads(Executor):
    """Each call in a thread of its own that does not hold up the process's exit. A send
    blocked on a channel that answers a line every 12 s kept `monitor run` alive for 80 s
    after SIGTERM (asyncio.run and the interpreter join their pools' threads); the sender
    waits STOP_GRACE for sends under way, and one still blocked then is the crash case:
    not recorded, so sent again by the next start."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting sender
                future.set_exception(exc)

        threading.Thread(target=run, name="monitor-send", daemon=True).start()
        return future
