"""The health endpoint answers 503 with a JSON reason when the service is not healthy."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from monitor.metrics import Metrics, start_http
from tests.conftest import free_port

REDIS_DOWN = "Redis unavailable while checking the connection: Connection refused"


def test_healthz_503_with_reason_then_200() -> None:
    reason: list[str | None] = [REDIS_DOWN]
    port = free_port()

    async def health() -> str | None:
        return reason[0]

    async def go() -> list[tuple[int, dict]]:
        runner = await start_http(f"127.0.0.1:{port}", Metrics(), health, no_refresh)
        answers = []
        try:
            async with aiohttp.ClientSession() as session:
                for _ in range(2):
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        answers.append((response.status, json.loads(await response.text())))
                    reason[0] = None
        finally:
            await runner.cleanup()
        return answers

    (bad_status, bad), (good_status, good) = asyncio.run(go())
    assert bad_status == 503 and bad == {"status": "unhealthy", "reason": REDIS_DOWN}
    assert good_status == 200 and good == {"status": "ok", "reason": None}



async def healthy() -> str | None:
    return None


async def no_refresh() -> None:
    pass


async def closed(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed this connection (read gives EOF within 50 ms)."""
    try:
        return await asyncio.wait_for(reader.read(1), 0.05) == b""
    except TimeoutError:
        return False


def test_slow_clients_cannot_hold_the_endpoint(monkeypatch) -> None:
    """200 clients sending their headers a byte at a time stayed open for minutes, and past
    the service's file descriptors it could open no feed and load no settings."""
    from monitor import http_guard

    monkeypatch.setattr(http_guard, "HTTP_CONNECTIONS_MAX", 20)
    monkeypatch.setattr(http_guard, "HTTP_CONNECTION_SECONDS", 2.0)
    monkeypatch.setattr(http_guard, "HTTP_PER_CLIENT_MAX", 100)  # one client address here: the next test's
    port = free_port()

    async def go() -> tuple[int, int, int]:
        runner = await start_http(f"127.0.0.1:{port}", Metrics(), healthy, no_refresh)
        try:
            clients = [await asyncio.open_connection("127.0.0.1", port) for _ in range(30)]
            for _, writer in clients:
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the rest never comes
            await asyncio.sleep(0.3)
            at_once = sum(await asyncio.gather(*(closed(reader) for reader, _ in clients)))
            await asyncio.sleep(2.0)  # past a connection's time: the rest are closed too
            later = sum(await asyncio.gather(*(closed(reader) for reader, _ in clients)))
            async with aiohttp.ClientSession() as session:  # and a real client is answered
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    status = response.status
            for _, writer in clients:
                writer.close()
        finally:
            await runner.cleanup()
        return at_once, later, status

    assert asyncio.run(go()) == (10, 30, 200)


def test_one_host_cannot_hold_every_place_of_the_endpoint() -> None:
    """Fault: 64 half-sent requests from one host held every place for 30 s; the liveness
    probe failed meanwhile (curl: connection reset), and with it a restart could be asked.
    Now one address holds HTTP_PER_CLIENT_MAX, and a connection whose headers do not come
    within HTTP_HEADER_SECONDS is closed."""
    from monitor import http_guard

    port = free_port()

    async def go() -> tuple[int, int, int]:
        runner = await start_http(f"127.0.0.1:{port}", Metrics(), healthy, no_refresh)
        try:  # the attacker from 127.0.0.2 (Linux routes all of 127/8 to loopback), the probe from 127.0.0.1
            clients = [await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))
                       for _ in range(64)]
            for _, writer in clients:
                writer.write(b"GET /healthz HTTP/1.1\r\nHo")  # the rest never comes
            await asyncio.sleep(0.3)
            held = 64 - sum(await asyncio.gather(*(closed(reader) for reader, _ in clients)))
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    status = response.status
            await asyncio.sleep(http_guard.HTTP_HEADER_SECONDS)
            after = 64 - sum(await asyncio.gather(*(closed(reader) for reader, _ in clients)))
            for _, writer in clients:
                writer.close()
        finally:
            await runner.cleanup()
        return held, status, after

    assert asyncio.run(go()) == (http_guard.HTTP_PER_CLIENT_MAX, 200, 0)
