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

    async def refresh() -> None:
        pass

    async def go() -> list[tuple[int, dict]]:
        runner = await start_http(f"127.0.0.1:{port}", Metrics(), health, refresh)
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

