"""The outbox when a reply is lost, a backlog hides a dead sender's alerts, or a reload lands
mid-send, on the embedded Redis.

redis-py sends a command again when its reply is lost (a timeout, a reset connection): an
outbox step run twice must change what running it once did, and nothing more.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from monitor import codec
from monitor.delivery import pause
from monitor.delivery.outbox import Outbox
from monitor.delivery.outbox_digest import END_INTO_LIST_LUA
from monitor.delivery.policy import ChannelPolicy
from monitor.delivery.sender import ChannelConfig
from monitor.items import Queued
from monitor.keys import OUTBOX_GROUP, Keys
from tests.test_delivery import alert, make_sender


@pytest.fixture
def lose_reply(redis_client, lose_reply):
    """conftest's, with the outbox's script loaded: a NOSCRIPT reply would be the one lost."""
    redis_client.script_load(END_INTO_LIST_LUA)
    return lose_reply


def taken(redis_client, outbox: Outbox, n: int = 1):
    outbox.enqueue(alert(n))
    [delivery] = outbox.take(1)
    return delivery


def test_a_lost_reply_buries_an_alert_once(redis_client, lose_reply) -> None:
    _, outbox = make_sender(redis_client, {})
    delivery = taken(redis_client, outbox)
    armed = lose_reply()
    assert outbox.bury(delivery, "send failed") == 0
    assert armed == []  # the reply was lost, and the command sent again
    assert outbox.depth() == {"queued": 0, "sending": 0, "retry": 0, "dead": 1}
    assert outbox.resend_dead() == 1  # `outbox retry` would send it once


def test_a_lost_reply_folds_an_alert_once(redis_client, lose_reply) -> None:
    _, outbox = make_sender(redis_client, {})
    delivery = taken(redis_client, outbox)
    armed = lose_reply()
    outbox.fold(delivery, "hook", 1000.0)
    assert armed == []
    assert outbox.waiting("hook") == 1
    assert outbox.digest_clock("hook", 2000.0) == (1000.0, 1000.0)
    assert outbox.depth() == {"queued": 0, "sending": 0, "retry": 0, "dead": 0}


def test_a_lost_reply_moves_an_unreadable_entry_once(redis_client, lose_reply) -> None:
    _, outbox = make_sender(redis_client, {})
    keys = Keys()
    redis_client.xadd(keys.outbox, {"alert": b"\xff not an alert"})
    [(_, entries)] = redis_client.xreadgroup(OUTBOX_GROUP, "w1", {keys.outbox: ">"}, count=10)
    armed = lose_reply()
    assert outbox._readable(entries) == []
    assert armed == []
    assert redis_client.lrange(keys.dead, 0, -1) == [b"\xff not an alert"]
    assert outbox.depth() == {"queued": 0, "sending": 0, "retry": 0, "dead": 1}


def test_an_alert_another_sender_ended_is_not_folded_again(redis_client) -> None:
    _, outbox = make_sender(redis_client, {})
    delivery = taken(redis_client, outbox)
    outbox.done(delivery, "hook", 1000.0)
    outbox.fold(delivery, "hook", 1000.0)  # a stale copy of the same delivery
    assert outbox.waiting("hook") == 0


def test_reclaim_finds_a_dead_senders_alerts_behind_a_live_backlog(redis_client) -> None:
    """XAUTOCLAIM looks at ten times its count of pending entries per call: the 100 alerts of
    a dead sender behind 1,100 that live senders keep fresh were never reached from 0-0."""
    _, outbox = make_sender(redis_client, {}, consumer="dead")
    keys = Keys()
    pipe = redis_client.pipeline(transaction=False)
    for n in range(1200):
        pipe.xadd(keys.outbox, {"alert": codec.encode_queued(Queued(alert(n)))})
    ids = pipe.execute()
    assert len(outbox.take(1200)) == 1200
    time.sleep(0.35)
    redis_client.xclaim(keys.outbox, OUTBOX_GROUP, "live", 0, ids[:1100], justid=True)  # fresh
    taker = Outbox(redis_client, keys, "taker")
    reclaimed = taker.reclaim(300, count=100)
    assert sorted(d.entry_id for d in reclaimed) == sorted(ids[1100:])
    assert taker.reclaim(300, count=100) == []  # none left to take; the live ones stay


def test_a_reload_that_removes_a_channel_mid_send_leaves_no_digest(redis_client, monkeypatch) -> None:
    """The sender read the channel's settings, then waited on Redis; a reload removed the
    channel meanwhile. Folding now would make a digest that nothing sends: the alert fails
    as any removed channel's does, and is retried."""
    config = ChannelConfig("json://127.0.0.1:9/", ChannelPolicy(mode="digest", digest_every=3600))
    s, outbox = make_sender(redis_client, {"hook": config})
    real = pause.paused_until

    def reload_meanwhile(*args):
        s.set_channels({}, Path("/tmp"))
        return real(*args)

    monkeypatch.setattr(pause, "paused_until", reload_meanwhile)
    outbox.enqueue(alert(1))
    [delivery] = outbox.take(1)
    assert asyncio.run(s.send(delivery)) is False
    assert not redis_client.exists(Keys().digest("hook"))
    assert outbox.depth() == {"queued": 0, "sending": 0, "retry": 1, "dead": 0}
