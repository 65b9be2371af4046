"""A local TCP server whose answers a test writes byte by byte: what aiohttp's and
http.server's servers will not send (a header a byte at a time, bytes past ASCII in a
header, an SMTP greeting that never ends)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handle: Handler) -> AsyncIterator[int]:
    """Serve `handle` on 127.0.0.1, yielding the port. A client that hangs up ends its handler
    quietly; on leaving, the handlers still running get 5 s to see their clients gone."""
    handlers: list[asyncio.Task[None]] = []

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.append(task)
        try:
            await handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(guarded, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        running = [task for task in handlers if not task.done()]
        if running:
            await asyncio.wait(running, timeout=5)
