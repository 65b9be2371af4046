"""Hostile alert content and bad days for delivery, on real receivers: what a feed's
headline, link or text can make a channel show, what a template can make the sender do,
a channel that asks to wait, a backlog of email, and a full disk under alerts.jsonl.
Each test's docstring names the attack or fault it reproduces."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from markupsafe import escape

from monitor import codec, defaults, limits
from monitor.delivery.outbox import Outbox
from monitor.delivery.sender import ChannelConfig, RetryPolicy, Sender
from monitor.delivery.templates import TemplateFailed, Templates
from monitor.delivery.transport import parse_retry_after
from monitor.items import Queued
from monitor.keys import Keys
from tests.conftest import JsonReceiver, local_server
from tests.test_cli import monitor
from tests.test_delivery import Clock, alert, drain, make_sender

HOSTILE_TITLE = "**x** [click](http://evil.example/) <script>"
CONTROLS = "\u202e\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u009b\u0085\u0080\u009f"


def one(redis_client, hook: JsonReceiver, fmt: str = "text", **fields: str) -> dict[str, str]:
    """Send one alert with these fields to a json:// receiver in `fmt`; what it received."""
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(hook.url, templates=Templates(fmt))})
    outbox.enqueue(replace(alert(1), **fields))
    assert drain(s) == 1
    return hook.received[-1]


@pytest.fixture
def hook(json_receiver: JsonReceiver) -> JsonReceiver:
    return json_receiver


# -- what a headline, a link or a text can make a channel show -------------------------------


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_title_markup_is_escaped_for_the_channel_format(redis_client, hook, fmt) -> None:
    """A headline of Markdown and HTML (`**x** [click](http://evil.example/) <script>`) reached
    markdown and html channels raw in the title, where chat services render it."""
    title = one(redis_client, hook, fmt, title=HOSTILE_TITLE)["title"]
    assert "<script>" not in title
    if fmt == "markdown":
        assert "[click](" not in title and "**x**" not in title
        assert title.endswith("\\*\\*x\\*\\* \\[click\\]\\(http://evil\\.example/\\) \\<script\\>")
    else:
        assert title.endswith(str(escape(HOSTILE_TITLE)))


BAD_LINKS = ["javascript:alert(document.cookie)", " JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>",
             "vbscript:msgbox(1)", "file:///etc/passwd", "//evil.example/no-scheme", "http://"]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
@pytest.mark.parametrize("url", BAD_LINKS)
def test_only_http_and_https_links_are_rendered(redis_client, hook, fmt, url) -> None:
    """An item link `javascript:…` reached an html channel's `href`; any scheme but http(s)
    now gives no link at all."""
    message = one(redis_client, hook, fmt, url=url)["message"]
    assert "href" not in message and "javascript" not in message.lower()
    assert "script>" not in message and "etc/passwd" not in message and "evil.example" not in message


def test_a_link_cannot_break_out_of_its_markup(redis_client, hook) -> None:
    """An http link carrying `"><script>`, `)` or `@here` cannot close the href, end a
    Markdown link or mention everyone: those characters are %-encoded."""
    url = 'https://user:pw@news.example.org/a"><script>x</script>(b) @here'
    html = one(redis_client, hook, "html", url=url)["message"]
    assert '<a href="https://news.example.org/a%22%3E%3Cscript%3Ex%3C/script%3E%28b%29%20%40here">' in html
    markdown = one(redis_client, hook, "markdown", url=url)["message"]
    assert "<https://news.example.org/a%22%3E%3Cscript%3Ex%3C/script%3E%28b%29%20%40here>" in markdown
    assert "user" not in html + markdown and "pw@" not in html + markdown  # userinfo dropped


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_bidi_and_c1_controls_are_stripped(redis_client, hook, fmt) -> None:
    """U+202E (right-to-left override: "gpj.exe" shows as "exe.jpg") and C1 controls such as
    U+009B (a terminal's CSI) passed through in titles, bodies and source names."""
    sent = one(redis_client, hook, fmt, title=f"Invoice{CONTROLS}gpj.exe", source=f"feed{CONTROLS}",
               text=f"Body{CONTROLS} text")
    for part in (sent["title"], sent["message"]):
        assert not set(CONTROLS) & set(part), [hex(ord(c)) for c in set(CONTROLS) & set(part)]
    assert "Invoicegpj" in sent["title"] and "Body text" in sent["message"]


def test_a_long_title_is_capped_with_an_ellipsis(redis_client, hook) -> None:
    """A 20,000-character headline went out whole."""
    title = one(redis_client, hook, title="escalation " * 1818 + "end")["title"]
    assert title.startswith("[T1] escalation escalation") and title.endswith("escalation…")
    assert len(title) <= len("[T1] ") + defaults.TITLE_CHARS


@pytest.mark.parametrize(("title", "text", "expected"), [
    ("", "Turkish drones struck a convoy near Idlib on Tuesday, the ministry said in a statement on",
     "[T1] Turkish drones struck a convoy near Idlib on Tuesday, the ministry said in a…"),
    (" \n\t ", "Short text.", "[T1] Short text."),
    ("", "", "[T1] (untitled)"),
])
def test_an_untitled_item_is_headed_by_its_first_words(redis_client, hook, title, text, expected) -> None:
    """An item without a title alerted with a blank headline ("[T1] ")."""
    assert one(redis_client, hook, title=title, text=text)["title"] == expected


# -- what a template can make the sender do ----------------------------------------------------


RUNAWAY = [
    "{{ 'a' * 10**9 }}",
    "{{ 10**9 * 'a' }}",
    "{{ 'x'|center(10**9) }}",
    "{{ 'x'|indent(10**9, true) }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '%.999999999f'|format(1) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ 10**100000000 }}",
    "{{ (['x' * 100000] * 100000)|join }}",
    "{{ ''.join(['x' * 100000] * 100000) }}",
    "{{ ('a' * 100000).replace('a', 'a' * 100000) }}",
    "{{ [1]|batch(10**9, 'x')|list }}",
    "{{ '%*d' % (10**9, 1) }}",
    "{{ '%.*f' % (10**9, 1.0) }}",
    "{{ '%(a)999999999d' % {'a': 1} }}",
    "{{ '%((a))999999999d' % {'(a)': 1} }}",  # Python counts parentheses in a key
    "{{ '%%%999999999d' % 1 }}",
    "{{ '{0[:]:>999999999}'.format({':': 1}) }}",
    "{{ '{:>{w}}'.format('a', w=10**9) }}",
    "{{ '%*s'|format(10**9, 'x') }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    # `~` is no binary operator to Jinja but a join no hook saw: 3 GB in 0.4 s, 2.8 GB
    "{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('xxxxxxxx') }}",
    "{% set a = 'x' * 90000 %}" + "".join(f"{{% set a{i + 1} = a{i} ~ a{i} %}}" for i in range(14)).replace(
        "a0 ", "a ") + "{{ a14|length }}",
    "{% set a = range(90000)|list %}{{ (a ~ a)|length }}",
]


@pytest.mark.parametrize("body", RUNAWAY)
def test_a_template_cannot_build_a_huge_value(body: str) -> None:
    """`{{ 'a' * 10**9 }}` in a template ran unbounded (a gigabyte, or minutes for 10**100000000);
    every operator, call and filter that can grow a value is now checked first."""
    started = time.monotonic()
    with pytest.raises(TemplateFailed, match="^body_template: template value too large"):
        Templates("text", body=body).render_alert(alert(1))
    assert time.monotonic() - started < 5  # refused before building; margin for a loaded CI


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("text", "python_says"), [
    ("{" + ":" * 20_000, None), ("{:" + " " * 20_000, None), ("%%" * 10_000, None),
    ("%(" * 10_000, "TypeError: format requires a mapping"),  # Python's own refusal, as before
])
def test_a_feed_text_used_as_a_format_is_read_once(text: str, python_says: str | None) -> None:
    """Fault: the width check read `{` and 20,000 colons in n^3 tries (0.1 s at 400), with
    the GIL held, so that a template formatting a feed's text stopped the sender's thread
    for hours; the check reads a format once now, as Python does."""
    templates, item = Templates("text", body="{{ (text ~ ' %d') % 1 }}"), replace(alert(1), text=text)
    if python_says is None:
        assert templates.render_alert(item)[1].endswith(" 1")
    else:
        with pytest.raises(TemplateFailed, match=f"^body_template: {python_says}"):
            templates.render_alert(item)


def test_a_template_that_prints_forever_is_cut_at_the_limit() -> None:
    """A loop of 10^10 iterations that prints: the render is read only up to the limit."""
    body = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    _, text = Templates("text", body=body).render_alert(alert(1))
    assert len(text) == limits.RENDER_MAX_CHARS and text.endswith("x…")


def test_a_template_that_loops_without_printing_is_stopped() -> None:
    """Nested loops that print nothing (10^10 steps) ran for minutes in a send thread: the
    output cap never came. A render now stops after RENDER_SECONDS."""
    body = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}ok"
    started = time.monotonic()
    with pytest.raises(TemplateFailed, match="^body_template: RenderTooSlow: template ran past 2 s"):
        Templates("text", body=body).render_alert(alert(1))
    assert time.monotonic() - started < 20  # 2 s, with room for a loaded CI


def test_ordinary_templates_still_work() -> None:
    """The bounds leave ordinary formatting alone (numbers, widths, joins, concatenation)."""
    body = ("{{ '%d'|format(1700000000) }} {{ '{:.1f}'.format(0.25) }} {{ title|center(12) }}|"
            "{{ ['a', 'b']|join('-') }} {{ title ~ '!' }} {{ 'ab' * 3 }} {{ 2**10 }}"
            "|{{ '%(n)5d%%'|format(n=99) }} {{ '{:%Y}'.format(when) if when else '' }}")
    assert Templates("text", body=body).render_alert(alert(1))[1] == (
        "1700000000 0.2   Story 1   |a-b Story 1! ababab 1024|   99% ")


@pytest.mark.slow
@pytest.mark.parametrize(("template", "reason"), [
    ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe."),
    ("{{ 'a' * 10**9 }}", "template value too large: '*' would make 1,000,000,000"),
])
def test_notify_test_with_a_refused_template_is_one_line_exit_2(make_settings, template, reason) -> None:
    """A template the sandbox blocks gave `notify-test` a traceback; now one line naming the
    channel and the template, exit 2 (a settings error)."""
    path = make_settings({}, {"hook": "json://127.0.0.1:9/never"}, extra=f"body_template = {json.dumps(template)}\n")
    result = monitor("notify-test", "hook", settings=path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"{path}: channels.hook.body_template: {reason}")


# -- pacing: a channel that asks to wait, a backlog of email -----------------------------------


@dataclass
class LimitedEndpoint:
    """An HTTP endpoint that answers its first `limited` requests 429 with Retry-After."""

    retry_after: str
    limited: int = 1
    port: int = 0
    hits: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, status)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/alerts"

    def ok(self) -> int:
        return sum(status == 200 for _, status in self.hits)


@pytest.fixture
def limited() -> Iterator[LimitedEndpoint]:
    endpoint = LimitedEndpoint(retry_after="2")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                status = 429 if len(endpoint.hits) < endpoint.limited else 200
                endpoint.hits.append((time.monotonic(), status))
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", endpoint.retry_after)
            self.end_headers()

    with local_server(Handler) as endpoint.port:
        yield endpoint


async def run_until(sender: Sender, done: Callable[[], bool], timeout: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await task


@pytest.mark.slow
def test_retry_after_pauses_that_channel_alone(redis_client, limited, json_receiver) -> None:
    """An endpoint answering 429 with `Retry-After: 5` got 92 requests in 37.6 s; now the
    channel waits as asked (its alerts back in the outbox, no attempt counted) while another
    channel keeps sending."""
    outbox = Outbox(redis_client, Keys(), "w1")
    outbox.ensure_group()
    configs = {"limited": ChannelConfig(limited.url), "other": ChannelConfig(json_receiver.url)}
    s = Sender(outbox, configs, Path("/tmp"), RetryPolicy(5, base=0.2, cap=0.4), claim_timeout=60)
    for n in range(4):
        outbox.enqueue(alert(n, channel="limited"))
        outbox.enqueue(alert(10 + n, channel="other"))
    empty = {"queued": 0, "sending": 0, "retry": 0, "dead": 0}
    # Until the outbox is empty too: the endpoint holds the last alert before its send is acked.
    asyncio.run(run_until(s, lambda: limited.ok() == 4 and outbox.depth() == empty, timeout=20))
    (first, status), (second, _) = limited.hits[:2]
    assert status == 429 and second - first >= 1.9  # asked for 2 s (whole seconds, so ≥ 1.9)
    assert len(limited.hits) == 5 and limited.ok() == 4  # one refusal, then each alert once
    assert len(json_receiver.received) == 4
    assert outbox.depth() == empty


def test_a_channel_asked_to_wait_waits_for_every_worker(redis_client, limited) -> None:
    """Each sender kept a channel's Retry-After to itself: a second worker sent once more
    (and, with N workers, the channel was hit N times after asking to wait)."""
    limited.retry_after, limited.limited = "600", 2
    configs = {"limited": ChannelConfig(limited.url)}
    first, outbox = make_sender(redis_client, configs, consumer="w1")
    second, _ = make_sender(redis_client, configs, consumer="w2")
    outbox.enqueue(alert(1, channel="limited"))
    assert drain(first) == 0 and [status for _, status in limited.hits] == [429]
    outbox.enqueue(alert(2, channel="limited"))
    assert drain(second) == 0
    assert [status for _, status in limited.hits] == [429]  # the second worker waits too
    assert outbox.depth()["retry"] == 2  # both back in the outbox, no attempt counted


def test_other_channels_send_while_one_waits(redis_client, limited, json_receiver) -> None:
    """While a channel's Retry-After runs, `poll --once` still sends the other channels'
    alerts and puts the waiting channel's back for later, without counting an attempt."""
    limited.retry_after = "3600"
    clock = Clock(time.time())
    s, outbox = make_sender(redis_client, {"limited": ChannelConfig(limited.url),
                                           "other": ChannelConfig(json_receiver.url)}, clock)
    for n in range(3):
        outbox.enqueue(alert(n, channel="limited"))
        outbox.enqueue(alert(10 + n, channel="other"))
    assert drain(s) == 3 and len(json_receiver.received) == 3
    assert len(limited.hits) == 1  # the 429; the two others were not tried
    retries = {q.alert.id: q.attempts for q in map(_decode, redis_client.zrange(Keys().retry, 0, -1))}
    assert sorted(retries.values()) == [0, 0, 1]  # only the refused one counts an attempt
    clock.now += 1800
    assert drain(s) == 0 and len(limited.hits) == 1  # still inside the hour asked for
    clock.now += 1801  # past the hour asked for (the refused one's backoff is shorter)
    assert drain(s) == 3 and limited.ok() == 3


def _decode(raw: bytes) -> Queued:
    return codec.decode_queued(raw)


@pytest.mark.parametrize(("value", "seconds"), [
    ("5", 5.0), (" 120 ", 120.0), ("0", 0.0), ("-3", None), ("soon", None), (None, None),
    ("99999999", defaults.RETRY_AFTER_MAX), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
])
def test_retry_after_values(value, seconds) -> None:
    """Retry-After is delay-seconds or an HTTP date (RFC 9110); a date in the past is no
    wait, garbage is ignored, and a huge value is capped so a channel cannot stop for ever."""
    assert parse_retry_after(value) == seconds


def test_retry_after_as_a_date_counts_from_now() -> None:
    """`Retry-After: <HTTP date>` is the wait until that moment."""
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0


@pytest.mark.slow
def test_a_backlog_of_100_emails_is_paced_by_the_channel_throttle_not_apprises(redis_client, smtp_receiver) -> None:
    """Email drained at one message per ~5.5 s (apprise's own throttle): 40 took minutes.
    With the default channel throttle (0.2 s) 100 take ~20 s. The pace is read off the
    channel's service, not off a wall clock's upper bound (a loaded CI host took 41 s)."""
    s, outbox = make_sender(redis_client, {"desk": ChannelConfig(smtp_receiver.url())})
    [service] = list(s.apprises["desk"])
    assert service.request_rate_per_sec == defaults.CHANNEL_THROTTLE < 5.5
    for n in range(100):
        outbox.enqueue(alert(n, channel="desk"))
    started = time.monotonic()
    assert drain(s) == 100
    elapsed = time.monotonic() - started
    assert len(smtp_receiver.messages) == 100
    # 99 waits of 0.2 s make 19.8 s at least; apprise's own 5.5 s would make 545 s
    assert 99 * defaults.CHANNEL_THROTTLE * 0.95 <= elapsed < 99 * 5.5 / 4, elapsed


def test_the_throttle_setting_paces_a_channel(redis_client, smtp_receiver, make_settings) -> None:
    """`throttle` in [channels.NAME] sets the least time between two messages."""
    from monitor import settings, wiring

    path = make_settings({}, {"desk": smtp_receiver.url()}, extra='throttle = "0.5s"\n')
    configs = wiring.channel_configs(settings.load(path))
    assert configs["desk"].throttle == 0.5
    s, outbox = make_sender(redis_client, configs)
    for n in range(3):
        outbox.enqueue(alert(n, channel="desk"))
    started = time.monotonic()
    assert drain(s) == 3 and len(smtp_receiver.messages) == 3
    assert time.monotonic() - started >= 2 * 0.5 * 0.95


# -- a full disk under alerts.jsonl ------------------------------------------------------------


def test_disk_full_on_alerts_jsonl_names_the_cause_and_prints_each_alert_once(
        redis_client, tmp_path, capsys, caplog) -> None:
    """With alerts.jsonl on a full disk (/dev/full: every write fails with ENOSPC) every retry
    printed the alert again (112 prints for 30 alerts) and the log said only "An exception
    occured". Now nothing is printed until the line is written, and the cause is logged."""
    clock = Clock(time.time())
    s, outbox = make_sender(redis_client, {"console": ChannelConfig("console://?jsonl=/dev/full")},
                            clock, attempts=10)
    for n in range(30):
        outbox.enqueue(alert(n, channel="console"))
    with caplog.at_level(logging.WARNING, logger="monitor.sender"):
        for _ in range(3):  # three rounds of retries
            assert drain(s) == 0
            clock.now += 120
    assert capsys.readouterr().out == ""
    assert "channel 'console': send failed: /dev/full: No space left on device (alert a0000000)" in caplog.text
    assert "An exception occured" not in caplog.text
    retrying = [_decode(raw) for raw in redis_client.zrange(Keys().retry, 0, -1)]
    assert len(retrying) == 30 and {q.attempts for q in retrying} == {3}
    assert all("/dev/full: No space left on device" in q.last_error for q in retrying)

    jsonl = tmp_path / "alerts.jsonl"  # space again
    s.set_channels({"console": ChannelConfig(f"console://?jsonl={jsonl}")}, tmp_path)
    assert drain(s) == 30
    out = capsys.readouterr().out
    assert all(out.count(f"[T1] Story {n}\n") == 1 for n in range(30))
    assert len(jsonl.read_text(encoding="utf-8").splitlines()) == 30


@pytest.mark.timeout(20)
def test_a_fifo_with_no_reader_fails_its_channel_only(redis_client, tmp_path, caplog) -> None:
    """A console:// channel whose jsonl= file was a FIFO no one reads blocked its send in
    open() while holding the one lock of every console channel: all of them stopped. Now the
    lock is per file and the FIFO's send fails at once, retried as any failed send."""
    fifo, jsonl = tmp_path / "stuck.fifo", tmp_path / "alerts.jsonl"
    os.mkfifo(fifo)
    configs = {"stuck": ChannelConfig(f"console://?jsonl={fifo}"),
               "console": ChannelConfig(f"console://?jsonl={jsonl}")}
    s, outbox = make_sender(redis_client, configs)
    outbox.enqueue(alert(1, channel="stuck"))
    outbox.enqueue(alert(2, channel="console"))
    with caplog.at_level(logging.WARNING, logger="monitor.sender"):
        assert drain(s) == 1
    assert [json.loads(line)["alert"]["id"] for line in jsonl.read_text().splitlines()] == ["a0000002"]
    assert f"channel 'stuck': send failed: {fifo}: not a regular file (alert a0000001)" in caplog.text
    [retrying] = [_decode(raw) for raw in redis_client.zrange(Keys().retry, 0, -1)]
    assert retrying.alert.id == "a0000001" and f"{fifo}: not a regular file" in retrying.last_error


def test_lipsum_is_not_in_the_sandbox() -> None:
    # it built its text before any check saw it: lipsum(1, min=10**8) took 296 s and 4.4 GB
    started = time.monotonic()
    with pytest.raises(TemplateFailed, match="^body_template: .*lipsum"):
        Templates("text", body="{{ lipsum(1, min=100000000, max=100000001) }}").render_alert(alert(1))
    assert time.monotonic() - started < 1
