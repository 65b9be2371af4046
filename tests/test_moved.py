"""A feed whose URL changes under the same name starts afresh at its new URL: the old URL's
HTTP validators and backoff are not carried over (monitor/moved.py). Real polls of a local
feed server, the settings rewritten between them as an operator edits settings.toml."""

from __future__ import annotations

import asyncio
import logging

from monitor import settings, wiring
from monitor.keys import Keys
from monitor.pipeline import PollResult, poll_feed
from tests.articles import OFF_TOPIC, ON_TOPIC, rss


def _poll(path, force: bool = False) -> PollResult:
    loaded = settings.load(path)

    async def go() -> PollResult:
        async with wiring.runtime(loaded) as rt:
            return await poll_feed(rt, rt.config.feeds[0], force=force)

    return asyncio.run(go())


def _said_moved(caplog) -> int:
    """How many times a poll logged that its feed's URL changed (INFO, on "monitor")."""
    return sum("its URL changed" in r.getMessage() for r in caplog.records)


def test_a_new_url_is_not_sent_the_old_ones_validators(feed_server, make_settings, redis_client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="monitor")
    # A site whose ETag is its own version, the same for each of its feeds (CMSs do this):
    # sent to the new URL, the old URL's ETag got a 304 and the new feed was never read.
    feed_server.set("/world.xml", rss([("w1", *OFF_TOPIC[0])]), etag='"site-7"')
    feed_server.set("/turkey.xml", rss([("t1", *ON_TOPIC[0]), ("t2", *ON_TOPIC[1])]), etag='"site-7"')
    assert _poll(make_settings({"wire": feed_server.url("/world.xml")})).outcome == "ok"
    assert _poll(make_settings({"wire": feed_server.url("/world.xml")})).outcome == "not_modified"
    assert _said_moved(caplog) == 0  # a new feed's first digest is no change
    moved = _poll(make_settings({"wire": feed_server.url("/turkey.xml")}))
    assert (moved.outcome, moved.items, moved.new) == ("ok", 2, 2)  # ("not_modified", 1, 0) before
    assert "If-None-Match" not in feed_server.hits("/turkey.xml")[0]["headers"] and _said_moved(caplog) == 1
    # and from then on the new URL's own validators
    assert _poll(make_settings({"wire": feed_server.url("/turkey.xml")})).outcome == "not_modified"


def test_a_fixed_url_is_polled_at_once_not_after_the_old_ones_backoff(
        feed_server, make_settings, redis_client) -> None:
    feed_server.set("/old.xml", b"down", status=503, headers={"Retry-After": "3600"})
    feed_server.set("/new.xml", rss([("n1", *ON_TOPIC[0])]))
    assert _poll(make_settings({"wire": feed_server.url("/old.xml")})).outcome == "error"
    assert _poll(make_settings({"wire": feed_server.url("/old.xml")})).outcome == "backoff"  # an hour
    fixed = _poll(make_settings({"wire": feed_server.url("/new.xml")}))
    assert (fixed.outcome, fixed.new) == ("ok", 1)  # "backoff" for the hour before
    state = redis_client.hgetall(Keys().feed("wire"))
    assert feed_server.url("/new.xml").encode() not in b"".join(state.values())  # a digest, not the URL


def test_a_state_saved_before_urls_were_kept_keeps_its_validators(feed_server, make_settings, redis_client,
                                                                  caplog) -> None:
    caplog.set_level(logging.INFO, logger="monitor")
    feed_server.set("/a.xml", rss([("a1", *OFF_TOPIC[0])]))
    path = make_settings({"wire": feed_server.url("/a.xml")})
    assert _poll(path).outcome == "ok"
    redis_client.hdel(Keys().feed("wire"), "url")  # as an earlier version saved it
    assert _poll(path).outcome == "not_modified"
    assert _poll(path).outcome == "not_modified" and _said_moved(caplog) == 0
