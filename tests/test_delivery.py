"""Delivery policy on real receivers: digests, rate limits, quiet hours, templates, dead
letters, exactly-once across crashes, health alerts, feedback."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor import codec
from monitor.delivery import sender
from monitor.delivery.loops import longest_wait
from monitor.delivery.outbox import Outbox
from monitor.delivery.policy import ChannelPolicy, parse_quiet_hours
from monitor.delivery.sender import ChannelConfig, RetryPolicy, Sender
from monitor.delivery.templates import Templates
from monitor.items import Alert
from monitor.keys import Keys
from monitor.model import labels

HOSTILE = "<script>alert(1)</script> @channel **bold** [click](http://evil.example) <!everyone> @here"


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def alert(n: int, channel: str = "hook", score: float = 0.8, topic: str = "t1", title: str = "",
          story: str = "") -> Alert:
    return Alert(
        id=f"a{n:07d}", channel=channel, topic=topic, topic_title=topic.upper(), score=score, threshold=0.5,
        terms=("erdogan", "idlib"), item_id=f"item{n}", source="feed", title=title or f"Story {n}",
        url=f"https://news.example.org/{n}", published=datetime(2026, 3, 1, tzinfo=UTC), text="Body text.",
        story=story or f"s{n}",
    )


RETRY = RetryPolicy(5, base=10, cap=60)  # make_sender's, its attempts aside
LONGEST = longest_wait(RETRY)  # the longest wait its senders put an alert back for


def make_sender(redis_client, configs: dict[str, ChannelConfig], clock=time.time, attempts: int = 5,
                consumer: str = "w1", claim_timeout: float = 60, ops: str = "") -> tuple[Sender, Outbox]:
    outbox = Outbox(redis_client, Keys(), consumer)
    outbox.ensure_group()
    retry = RetryPolicy(attempts, base=RETRY.base, cap=RETRY.cap)
    return Sender(outbox, configs, Path("/tmp"), retry, claim_timeout, ops_channel=ops, clock=clock), outbox


def drain(s: Sender) -> int:
    return asyncio.run(s.drain())


T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()  # a Monday, 12:00 UTC


def test_digest_every_groups_by_topic_and_story(redis_client, json_receiver) -> None:
    clock = Clock(T0)
    config = ChannelConfig(json_receiver.url, ChannelPolicy(mode="digest", digest_every=3600))
    s, outbox = make_sender(redis_client, {"hook": config}, clock)
    for a in (alert(1, score=0.7), alert(2, score=0.95, topic="t2"), alert(3, score=0.9),
              alert(4, score=0.6, story="s3")):
        outbox.enqueue(a)
    assert drain(s) == 0 and json_receiver.received == []
    assert outbox.waiting("hook") == 4
    clock.now += 1800
    assert drain(s) == 0
    clock.now += 1801
    assert drain(s) == 1
    [digest] = json_receiver.received
    assert digest["title"] == "Digest: 4 alerts"
    body = digest["message"]
    assert body.index("T2 (1)") < body.index("T1 (3)")  # topics by best score
    assert body.index("Story 3") < body.index("Story 1")  # stories by score within a topic
    assert "Story 3 (feed, 2 alerts; 1 source)" in body and "Story 4" not in body  # story s3 has two
    assert outbox.waiting("hook") == 0 and drain(s) == 0


def test_digest_at_times_of_day_in_a_time_zone(redis_client, json_receiver) -> None:
    clock = Clock(datetime(2026, 3, 2, 4, 59, tzinfo=UTC).timestamp())  # 07:59 in Istanbul (UTC+3)
    policy = ChannelPolicy(mode="digest", digest_at=(8 * 60, 18 * 60), zone="Europe/Istanbul")
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, policy)}, clock)
    outbox.enqueue(alert(1))
    assert drain(s) == 0
    clock.now += 30
    assert drain(s) == 0  # 07:59:30
    clock.now += 60
    assert drain(s) == 1 and len(json_receiver.received) == 1  # 08:00:30
    outbox.enqueue(alert(2))
    clock.now += 3 * 3600
    assert drain(s) == 0  # 11:00: next digest at 18:00
    clock.now += 7 * 3600
    assert drain(s) == 1 and "Story 2" in json_receiver.received[-1]["message"]


def test_rate_limit_folds_into_next_digest_without_dropping(redis_client, json_receiver) -> None:
    clock = Clock(T0)
    config = ChannelConfig(json_receiver.url, ChannelPolicy(max_per_hour=2))
    s, outbox = make_sender(redis_client, {"hook": config}, clock)
    for n in range(5):
        outbox.enqueue(alert(n))
    assert drain(s) == 2
    assert outbox.waiting("hook") == 3 and len(json_receiver.received) == 2
    clock.now += 600
    assert drain(s) == 0  # the hour is still full
    clock.now += 3100
    assert drain(s) == 1  # one digest with the three folded alerts
    digest = json_receiver.received[-1]
    assert digest["title"] == "Digest: 3 alerts"
    assert all(f"Story {n}" in digest["message"] for n in (2, 3, 4))


def test_quiet_hours_with_urgent_breakthrough(redis_client, json_receiver) -> None:
    clock = Clock(datetime(2026, 3, 2, 23, 0, tzinfo=UTC).timestamp())
    policy = ChannelPolicy(quiet=parse_quiet_hours("22:00-07:00"), urgent_score=0.9)
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, policy)}, clock)
    outbox.enqueue(alert(1, score=0.7))
    outbox.enqueue(alert(2, score=0.95))
    assert drain(s) == 1
    assert json_receiver.received[0]["title"].endswith("Story 2")
    clock.now += 7 * 3600  # 06:00: still quiet
    assert drain(s) == 0
    clock.now += 3600 + 60  # 07:01
    assert drain(s) == 1 and "Story 1" in json_receiver.received[-1]["message"]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_hostile_headlines_are_escaped(redis_client, json_receiver, fmt) -> None:
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url, templates=Templates(fmt))})
    outbox.enqueue(alert(1, title=HOSTILE))
    assert drain(s) == 1
    message = json_receiver.received[0]
    for text in (message["title"], message["message"]):
        assert "@channel" not in text and "@here" not in text and "<!everyone>" not in text
    if fmt == "html":
        assert "<script>" not in message["message"] and "&lt;script&gt;" in message["message"]
    if fmt == "markdown":
        assert "\\*\\*bold\\*\\*" in message["message"] and "\\[click\\]" in message["message"]
        assert "[click](http" not in message["message"]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_an_email_subject_is_the_headline_as_written(redis_client, smtp_receiver, json_receiver, fmt) -> None:
    # apprise puts the title into the Subject as it is: html channels' subjects read
    # "U.S. &amp; Turkey &lt;agree&gt;", markdown ones "U\\.S\\. & Turkey \\<agree\\>"
    from email.header import decode_header, make_header

    headline = "U.S. & Turkey <agree> ceasefire (update)"
    s, outbox = make_sender(redis_client, {"mail": ChannelConfig(smtp_receiver.url(), templates=Templates(fmt)),
                                           "hook": ChannelConfig(json_receiver.url, templates=Templates(fmt))})
    outbox.enqueue(alert(1, channel="mail", title=headline))
    outbox.enqueue(alert(2, channel="hook", title=headline))
    assert drain(s) == 2
    [mail] = smtp_receiver.messages
    assert str(make_header(decode_header(mail["Subject"]))) == f"[T1] {headline}"
    if fmt == "html":  # the body, and a title other services may read as markup, stay escaped
        assert "&lt;agree&gt;" in mail.get_payload()[-1].get_payload(decode=True).decode()
        assert json_receiver.received[0]["title"] == "[T1] U.S. &amp; Turkey &lt;agree&gt; ceasefire (update)"


def test_slack_format_webhook_through_apprise_json(redis_client, json_receiver) -> None:
    url = json_receiver.url.replace("/alerts", "/slack") + "?:message=text&:title&:version&:type&:attachments"
    s, outbox = make_sender(redis_client, {"slack": ChannelConfig(url, templates=Templates("markdown"))})
    outbox.enqueue(alert(1, channel="slack", title=HOSTILE))
    assert drain(s) == 1
    [payload] = json_receiver.received
    assert list(payload) == ["text"] and "Story" not in payload["text"]
    assert "script" in payload["text"] and "@channel" not in payload["text"] and "<!everyone>" not in payload["text"]


def test_custom_templates_run_sandboxed(redis_client, json_receiver) -> None:
    evil = Templates("text", title="{{ title }}", body="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    good = Templates("text", title="{{ topic_title }}: {{ title }}", body="{{ score }} {{ url }}")
    s, outbox = make_sender(redis_client, {"evil": ChannelConfig(json_receiver.url, templates=evil),
                                           "hook": ChannelConfig(json_receiver.url, templates=good)})
    outbox.enqueue(alert(1, channel="evil"))
    outbox.enqueue(alert(2, channel="hook"))
    assert drain(s) == 1
    assert json_receiver.received == [{"version": "1.0", "title": "T1: Story 2",
                                       "message": "0.80 https://news.example.org/2", "attachments": [],
                                       "type": "info"}]
    assert redis_client.zcard(Keys().retry) == 1  # the evil one failed and waits for a retry


def test_dead_letters_and_outbox_retry(redis_client, json_receiver) -> None:
    clock = Clock(T0)
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url)}, clock, attempts=2)
    json_receiver.fail_next = 100
    outbox.enqueue(alert(1))
    assert drain(s) == 0 and outbox.depth()["retry"] == 1
    clock.now += 120
    assert drain(s) == 0
    assert outbox.depth() == {"queued": 0, "sending": 0, "retry": 0, "dead": 1}
    [dead] = outbox.dead_letters()
    assert dead.attempts == 2 and "send failed" in dead.last_error and dead.alert == alert(1)
    json_receiver.fail_next = 0
    assert outbox.resend_dead() == 1
    assert drain(s) == 1 and len(json_receiver.received) == 1
    assert outbox.depth() == {"queued": 0, "sending": 0, "retry": 0, "dead": 0}


class Crash(BaseException):
    """Stands for the process dying at this point: nothing after it runs."""


@pytest.mark.parametrize(("point", "copies"), [("before_send", 1), ("after_send", 2), ("after_ack", 1)])
def test_crash_at_each_point_loses_nothing(redis_client, json_receiver, monkeypatch, point, copies) -> None:
    configs = {"hook": ChannelConfig(json_receiver.url)}
    first, outbox = make_sender(redis_client, configs, consumer="dies", claim_timeout=0.2)
    outbox.enqueue(alert(1))
    real_notify, real_done = sender.notify, Outbox.done

    def notify(*args, **kwargs):
        if point == "before_send":
            raise Crash
        real_notify(*args, **kwargs)
        raise Crash

    def done(self, *args, **kwargs):
        real_done(self, *args, **kwargs)
        raise Crash

    if point == "after_ack":
        monkeypatch.setattr(Outbox, "done", done)
    else:
        monkeypatch.setattr(sender, "notify", notify)
    with pytest.raises(Crash):
        drain(first)
    monkeypatch.undo()
    time.sleep(0.3)  # the dead sender's claim times out
    second, _ = make_sender(redis_client, configs, consumer="takes-over", claim_timeout=0.2)
    drain(second)
    drain(second)
    assert len(json_receiver.received) == copies
    assert {m["title"] for m in json_receiver.received} == {"[T1] Story 1"}
    assert Outbox(redis_client, Keys(), "x").depth() == {"queued": 0, "sending": 0, "retry": 0, "dead": 0}


@pytest.mark.slow
def consumers(redis_client) -> dict[str, int]:
    """name -> pending count of the outbox group's consumers."""
    rows = redis_client.xinfo_consumers(Keys().outbox, "senders")
    return {r["name"].decode(): int(r["pending"]) for r in rows}


def test_senders_leave_no_consumer_behind(redis_client, json_receiver, monkeypatch) -> None:
    # each process reads under its own name (host-pid): a cron `poll --once` every five
    # minutes would otherwise leave ~100,000 consumers in the group a year
    configs = {"hook": ChannelConfig(json_receiver.url)}
    for n in range(5):
        s, outbox = make_sender(redis_client, configs, consumer=f"run{n}", claim_timeout=0.2)
        outbox.enqueue(alert(n))
        assert drain(s) == 1
        assert consumers(redis_client) == {}
    # a sender that dies holding an alert keeps its consumer (deleting it would drop the
    # alert from the pending list) until another takes the alert over, then goes
    dies, outbox = make_sender(redis_client, configs, consumer="dies", claim_timeout=0.2)
    outbox.enqueue(alert(9))
    monkeypatch.setattr(sender, "notify", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        drain(dies)
    monkeypatch.undo()
    assert consumers(redis_client) == {"dies": 1}
    live, _ = make_sender(redis_client, configs, consumer="live", claim_timeout=0.2)
    live.outbox.forget_gone(200)  # holding one: kept
    assert consumers(redis_client) == {"dies": 1}
    time.sleep(0.3)
    assert drain(live) == 1 and len(json_receiver.received) == 6
    assert consumers(redis_client) == {}


def test_channel_failing_tells_ops_once_and_on_recovery(redis_client, json_receiver, smtp_receiver) -> None:
    clock = Clock(T0)
    configs = {"hook": ChannelConfig(json_receiver.url), "ops": ChannelConfig(smtp_receiver.url())}
    s, outbox = make_sender(redis_client, configs, clock, attempts=10, ops="ops")
    json_receiver.fail_next = 5
    for n in range(5):
        outbox.enqueue(alert(n))
    drain(s)  # five failures in a row: one ops alert, not five
    subjects = [m["Subject"] for m in smtp_receiver.messages]
    assert subjects == ["Monitor: [Monitor health] Channel 'hook' is failing"]
    clock.now += 120
    drain(s)
    assert len(json_receiver.received) == 5
    subjects = [m["Subject"] for m in smtp_receiver.messages]
    assert subjects[-1] == "Monitor: [Monitor health] Channel 'hook' recovered" and len(subjects) == 2


def test_feedback_labels_export_and_precision(redis_client, tmp_path) -> None:
    keys = Keys()
    for n, relevant in ((1, "relevant"), (2, "irrelevant"), (3, "relevant")):
        a = alert(n, topic="turkey_russia_syria")
        redis_client.set(keys.alert(a.id), codec.encode_alert(a))
        labels.record(redis_client, keys, a.id, relevant)
    recorded = labels.all_labels(redis_client, keys)
    assert labels.sent_precision(recorded, "turkey_russia_syria") == (3, 2)
    out = tmp_path / "labels.jsonl"
    assert labels.export(recorded, out) == 3
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(len(line["topics"]) for line in lines) == [0, 1, 1]
    assert all(line["text"].startswith("Story") for line in lines)
