"""The sender under faults, on a real Redis and a real receiver: an entry it cannot read, an
unexpected error in one delivery, a stop while a send is under way, a slow batch in
`poll --once`, a Redis error when recording a send. In each, no alert is lost, none is sent
twice, and the sender keeps sending."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest

from monitor import codec, defaults
from monitor.delivery import sender
from monitor.delivery.outbox import Outbox
from monitor.delivery.retry import RetryPolicy
from monitor.delivery.sender import ChannelConfig, Sender
from monitor.errors import StoreError
from monitor.items import Queued
from monitor.keys import Keys
from tests.raw_server import raw_server
from tests.test_delivery import LONGEST, alert, make_sender

EMPTY = {"queued": 0, "sending": 0, "retry": 0, "dead": 0}


def run_until(s: Sender, done, timeout: float = 20.0) -> None:
    """Run the service's send loop until `done()` holds (or the timeout), then stop it."""
    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(s.run(stop))
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline and not task.done():
            await asyncio.sleep(0.05)
        stop.set()
        await task  # a sender that died would raise here

    asyncio.run(go())


def newer_kind(n: int) -> bytes:
    """An alert as a newer version might write it: a kind this version does not know."""
    data = json.loads(codec.encode_queued(Queued(alert(n))))
    data["kind"] = "escalation"
    return json.dumps(data).encode()


def test_an_unreadable_entry_goes_to_the_dead_letters_and_the_rest_are_sent(redis_client, json_receiver) -> None:
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url)})
    payload = newer_kind(1)
    redis_client.xadd(Keys().outbox, {"alert": payload})
    outbox.enqueue(alert(2))
    outbox.enqueue(alert(3))
    run_until(s, lambda: len(json_receiver.received) == 2)
    assert sorted(m["title"] for m in json_receiver.received) == ["[T1] Story 2", "[T1] Story 3"]
    assert outbox.depth() == EMPTY | {"dead": 1}
    assert redis_client.lrange(Keys().dead, 0, -1) == [payload]  # kept as written, for the version that reads it
    assert outbox.dead_letters() == []  # what this version can show
    assert outbox.resend_dead() == 1
    assert redis_client.xrange(Keys().outbox)[0][1][b"alert"] == payload


def test_backoff_after_a_thousand_failures_stays_within_its_cap() -> None:
    retry = RetryPolicy(attempts=5000, base=10.0, cap=60.0)  # seconds, as settings give them
    assert all(30 <= retry.delay(attempt) <= 60 for attempt in (1025, 1100, 4999))


def test_an_unexpected_error_fails_one_attempt_and_its_channel_keeps_sending(
        redis_client, json_receiver, monkeypatch) -> None:
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url)})
    real_decide, calls = sender.decide, []

    def decide(*args, **kwargs):  # the fault: the first alert's policy check raises
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("injected")
        return real_decide(*args, **kwargs)

    monkeypatch.setattr(sender, "decide", decide)
    outbox.enqueue(alert(1))
    outbox.enqueue(alert(2))
    run_until(s, lambda: len(json_receiver.received) == 1 and outbox.depth()["retry"] == 1)
    assert [m["title"] for m in json_receiver.received] == ["[T1] Story 2"]
    [(queued, _)] = redis_client.zrange(Keys().retry, 0, -1, withscores=True)
    failed = codec.decode_queued(queued)
    assert (failed.alert.id, failed.attempts) == ("a0000001", 1)
    assert "sender error RuntimeError: injected" in failed.last_error


def test_a_stop_lets_the_send_under_way_finish_and_be_recorded(redis_client, json_receiver) -> None:
    configs = {"hook": ChannelConfig(json_receiver.url)}
    s, outbox = make_sender(redis_client, configs, claim_timeout=0.2)
    json_receiver.delay = 1.0  # the stop comes while the receiver is still answering
    outbox.enqueue(alert(1))
    taken: list[float] = []

    def under_way() -> bool:  # taken 0.4 s ago: its worker is waiting on the receiver
        if not taken and outbox.depth()["sending"] == 1:
            taken.append(time.monotonic())
        return bool(taken) and time.monotonic() - taken[0] > 0.4

    run_until(s, under_way, timeout=5)
    assert len(json_receiver.received) == 1
    assert outbox.depth() == EMPTY
    json_receiver.delay = 0.0
    time.sleep(0.3)  # past the claim timeout: nothing is left to take over
    later, _ = make_sender(redis_client, configs, consumer="w2", claim_timeout=0.2)
    assert asyncio.run(later.drain()) == 0
    assert len(json_receiver.received) == 1


def test_a_slow_poll_once_keeps_its_claim_so_no_other_sender_sends_again(redis_client, json_receiver) -> None:
    configs = {"hook": ChannelConfig(json_receiver.url)}
    slow, outbox = make_sender(redis_client, configs, consumer="cron", claim_timeout=0.6)
    json_receiver.delay = 0.4  # 6 alerts take 2.4 s, four claim timeouts
    for n in range(6):
        outbox.enqueue(alert(n))
    first = threading.Thread(target=lambda: asyncio.run(slow.drain()))
    first.start()
    time.sleep(1.2)  # the batch is well past its first claim timeout
    other, _ = make_sender(redis_client, configs, consumer="service", claim_timeout=0.6)
    assert asyncio.run(other.drain()) == 0  # nothing idle to take over
    first.join(timeout=30)
    titles = [m["title"] for m in json_receiver.received]
    assert sorted(titles) == sorted(f"[T1] Story {n}" for n in range(6))
    assert outbox.depth() == EMPTY


@pytest.mark.parametrize("failures", [1, 3])
def test_a_redis_error_recording_a_send_is_retried_and_the_alert_is_not_sent_again(
        redis_client, json_receiver, monkeypatch, failures) -> None:
    configs = {"hook": ChannelConfig(json_receiver.url)}
    s, outbox = make_sender(redis_client, configs, claim_timeout=30)
    real_done, calls = Outbox.done, []

    def done(self, *args, **kwargs):  # the fault: Redis refuses the first acknowledgements
        calls.append(1)
        if len(calls) <= failures:
            raise StoreError("Redis error acknowledging a sent alert: injected")
        return real_done(self, *args, **kwargs)

    monkeypatch.setattr(Outbox, "done", done)
    outbox.enqueue(alert(1))
    assert asyncio.run(s.drain()) == 1
    assert asyncio.run(s.drain()) == 0
    assert len(json_receiver.received) == 1 and len(calls) == failures + 1
    assert outbox.depth() == EMPTY


def test_poll_once_stops_sending_while_redis_cannot_record_sends(redis_client, json_receiver, monkeypatch) -> None:
    """With every acknowledgement refused, `poll --once` went on through its batch (each
    alert retried up to the claim timeout, then the next sent): all reached the channel,
    none was recorded, and every one would be sent again."""
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url)}, claim_timeout=1)

    def done(self, *args, **kwargs):  # the fault: Redis refuses every acknowledgement
        raise StoreError("Redis unavailable while acknowledging a sent alert: injected")

    monkeypatch.setattr(Outbox, "done", done)
    for n in range(5):
        outbox.enqueue(alert(n))
    with pytest.raises(StoreError, match="acknowledging"):
        asyncio.run(s.drain())
    assert len(json_receiver.received) == 1  # the rest wait, unsent, for Redis


def test_a_channel_slower_than_apprises_service_timeout_gets_the_alert_once(
        redis_client, json_receiver, monkeypatch) -> None:
    # apprise 2.x stopped waiting after its service timeout (60 s; 1 s here) and reported a
    # failure while the request went on: the channel received the alert, and the sender
    # retried it. Each channel's apprise object now has no service timeout (transport.py).
    import apprise
    monkeypatch.setattr(apprise.AppriseAsset, "_service_timeout", 1.0)
    json_receiver.delay = 2.0  # under requests' 4 s read timeout: a slow channel, not a dead one
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url)})
    outbox.enqueue(alert(1))
    assert asyncio.run(s.drain()) == 1
    assert [m["title"] for m in json_receiver.received] == ["[T1] Story 1"]
    assert outbox.depth() == EMPTY


def test_an_unreadable_digest_entry_is_buried_and_every_channel_keeps_sending(
        redis_client, json_receiver, second_receiver) -> None:
    # it stopped every send round at flush_digests, on every channel, before this
    from monitor.delivery import waiting
    from monitor.delivery.policy import ChannelPolicy

    policies = {"daily": ChannelPolicy(mode="digest", digest_every=1), "hook": ChannelPolicy()}
    s, outbox = make_sender(redis_client, {"daily": ChannelConfig(json_receiver.url, policies["daily"]),
                                           "hook": ChannelConfig(second_receiver.url)})
    payload = newer_kind(1).replace(b'"channel": "hook"', b'"channel": "daily"')
    redis_client.rpush(Keys().digest("daily"), payload)
    redis_client.hset(Keys().channel("daily"), mapping={"last_digest": 0, "digest_since": 0})
    # `monitor outbox` lists what this version can read and counts the rest
    listed, counts = waiting.read(redis_client, Keys(), policies, time.time(), LONGEST)
    assert listed == [] and counts["held"] == 1
    for n in (2, 3):
        outbox.enqueue(alert(n))
    assert asyncio.run(s.drain()) == 2
    assert sorted(m["title"] for m in second_receiver.received) == ["[T1] Story 2", "[T1] Story 3"]
    assert json_receiver.received == [] and redis_client.lrange(Keys().dead, 0, -1) == [payload]
    assert outbox.waiting("daily") == 0
    listed, counts = waiting.read(redis_client, Keys(), policies, time.time(), LONGEST)
    assert listed == [] and counts == {"queued": 0, "sending": 0, "held": 0, "retrying": 0, "dead": 1}


def test_redis_failing_as_the_send_loop_starts_does_not_end_it(redis_client, json_receiver, monkeypatch) -> None:
    # the group's creation raised out of the loop, and the service went on with no sender
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url)})
    redis_client.delete(Keys().outbox)  # no group: the loop must make it
    real, failures = Outbox.ensure_group, [1]

    def ensure_group(self) -> None:
        if failures:
            failures.pop()
            raise StoreError("Redis unavailable while creating the outbox consumer group: injected")
        real(self)

    monkeypatch.setattr(Outbox, "ensure_group", ensure_group)
    outbox.enqueue(alert(1))
    run_until(s, lambda: len(json_receiver.received) == 1)
    assert [m["title"] for m in json_receiver.received] == ["[T1] Story 1"] and not failures


def test_a_slow_channel_holds_a_bounded_share_of_its_backlog_in_memory(
        redis_client, json_receiver, second_receiver, monkeypatch) -> None:
    # The send loop took every new alert into its channel's queue in memory, however far
    # behind the channel was: a channel sending slower than alerts arrive (a trickling
    # webhook, a paced mail server) held its whole backlog in the service (each alert
    # whole, its text too) and renewed every claim at every round, growing for as long as
    # it lagged. Now a channel holds HELD_PER_CHANNEL at most; the rest wait in Redis.
    from monitor.delivery import loops
    monkeypatch.setattr(loops, "HELD_PER_CHANNEL", 10, raising=False)
    monkeypatch.setattr(loops, "HELD_WAIT", 0.3, raising=False)
    hold = threading.Event()
    json_receiver.hold = hold  # the slow channel answers nothing until released
    configs = {"slow": ChannelConfig(json_receiver.url), "fast": ChannelConfig(second_receiver.url)}
    s, outbox = make_sender(redis_client, configs, claim_timeout=30)
    for n in range(120):
        outbox.enqueue(alert(n, channel="slow"))
    for n in range(5):
        outbox.enqueue(alert(1000 + n, channel="fast"))
    held: list[int] = []

    def all_sent() -> bool:
        held.append(len(s.inflight))
        if len(second_receiver.received) == 5 and len(held) > 40:  # 2 s in: the slow backlog taken
            hold.set()
        return len(json_receiver.received) == 120

    try:
        run_until(s, all_sent, timeout=60)
    finally:
        hold.set()
    assert len(second_receiver.received) == 5  # the fast channel never waited for the slow one
    # the slow channel's 10 waiting and 1 being sent, and the fast channel's 5: was all 125
    assert max(held) <= 10 + 1 + 5, f"held {max(held)} alerts in memory"
    titles = sorted(m["title"] for m in json_receiver.received)
    assert titles == sorted(f"[T1] Story {n}" for n in range(120))  # none lost, none twice
    assert outbox.depth() == EMPTY


def test_a_channel_answering_a_byte_at_a_time_fails_the_send_at_its_deadline(
        redis_client, json_receiver, monkeypatch) -> None:
    # apprise times out each read (4 s for HTTP), not the send: a channel answering a byte
    # every 0.5 s held the send (and `poll --once`) until its last byte, for ever if it never
    # ended, with no attempt failed, no retry and no dead letter. Now a send has a deadline.
    monkeypatch.setattr(defaults, "SEND_SECONDS", 2.0)
    json_receiver.drip = 0.5  # 30 s for the whole answer
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url)})
    outbox.enqueue(alert(1))
    started = time.monotonic()
    assert asyncio.run(s.drain()) == 0
    assert time.monotonic() - started < 10  # the deadline (2 s and pacing) and one read at most
    assert outbox.depth() == EMPTY | {"retry": 1}  # failed, to be sent again: not lost
    (raw,) = redis_client.zrange(Keys().retry, 0, -1)
    assert "no answer within 2s" in codec.decode_queued(raw).last_error


async def greet_by_the_byte(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An SMTP server whose greeting comes a byte every 0.5 s (within smtplib's 15 s a read)."""
    for byte in b"220 " + b"x" * 60:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.5)


def test_a_mail_server_greeting_a_byte_at_a_time_fails_the_send_at_its_deadline(
        redis_client, monkeypatch) -> None:
    monkeypatch.setattr(defaults, "SEND_SECONDS", 2.0)

    async def run() -> tuple[int, float]:
        async with raw_server(greet_by_the_byte) as port:
            url = f"mailto://127.0.0.1:{port}?to=desk@example.org&from=monitor@example.org&secure=no&smtp=127.0.0.1"
            s, outbox = make_sender(redis_client, {"mail": ChannelConfig(url)})
            outbox.enqueue(alert(1, channel="mail"))
            started = time.monotonic()
            return await s.drain(), time.monotonic() - started

    sent, took = asyncio.run(run())
    assert sent == 0 and took < 10  # 30 s before, for ever with a greeting that never ends
    (raw,) = redis_client.zrange(Keys().retry, 0, -1)
    assert "no answer within 2s" in codec.decode_queued(raw).last_error
