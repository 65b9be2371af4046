"""The read timeout of one fetch as one clock: from the request sent to the body's last byte.

aiohttp's `sock_read` limits each read alone, so a server that sends its status line,
headers or body one byte a second holds a fetch as long as it likes. The clock is an
`asyncio.timeout` that an aiohttp trace starts as the first hop's request headers go out:
time queued for a free connection and the first connect are not counted (`sock_connect`
has its own limit), everything after is, redirects and their hops included. (It stopped at
each redirect once: a chain of slow hops then held a fetch max_redirects + 1 times
read_timeout, 3 minutes by default.)
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import aiohttp


class Clock:
    """One fetch's read clock; pass it as `trace_request_ctx` to a session of `trace()`."""

    __slots__ = ("_seconds", "_timeout")

    def __init__(self, seconds: float, timeout: asyncio.Timeout) -> None:
        self._seconds = seconds
        self._timeout = timeout

    def start(self) -> None:
        """Start the clock, once: a later hop's request runs on the same one."""
        # An expired timeout has no `when` to keep, and refuses reschedule (RuntimeError):
        # its TimeoutError is on the way.
        if self._timeout.when() is None and not self._timeout.expired():
            self._timeout.reschedule(asyncio.get_running_loop().time() + self._seconds)


def trace() -> aiohttp.TraceConfig:
    """The trace that runs the `Clock` of each request made with one."""
    config = aiohttp.TraceConfig()
    config.on_request_headers_sent.append(_sent)
    return config


async def _sent(session: aiohttp.ClientSession, ctx: SimpleNamespace, params: object) -> None:
    if isinstance(ctx.trace_request_ctx, Clock):
        ctx.trace_request_ctx.start()
