"""Hostile HTTP headers: a server's Retry-After that is not a number or a date we can
hold (a superscript digit passes str.isdigit; a year of ten digits overflows a datetime)
used to raise out of the fetch. It is now ignored: the fetch is a plain HTTP failure."""

from __future__ import annotations

from urllib.parse import quote

import aiohttp
import pytest

from monitor import retry_after
from tests.test_fetch import Server, get, run

HOSTILE = ["²", "١٢", "Mon, 01 Jan 2222222024 00:00:00 GMT", "-5", "1e9", "soon", ""]


@pytest.mark.parametrize("value", HOSTILE)
def test_an_unreadable_retry_after_is_ignored(value: str) -> None:
    assert retry_after.seconds(value) is None


def test_readable_retry_after_values() -> None:
    assert retry_after.seconds(" 120 ") == 120.0
    assert retry_after.seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert retry_after.seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412540.0) == 0.0


def test_a_feed_with_a_hostile_retry_after_is_a_plain_http_failure() -> None:
    async def body(server: Server, base: str, session: aiohttp.ClientSession) -> None:
        for value in HOSTILE[:3]:
            result = await get(session, f"{base}/status/429?retry={quote(value)}")
            assert (result.outcome, result.error, result.retry_after) == ("error", "HTTP 429", None), value

    run(body)
