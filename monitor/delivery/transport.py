"""One send through apprise, and what came back: sent, or why not and for how long to wait.

Pacing. apprise waits `request_rate_per_sec` seconds between two messages of one service
object (5.5 s by default, so 100 emails took nine minutes); each channel's apprise object
gets the channel's `throttle` instead.

Retry-After. apprise's HTTP services (json://, form://, xml:// and most chat services)
call `requests` without a session we can reach, keep no response, and log only the status
of a failed one ("error=429"). So the one place a channel's `Retry-After` can be read is
requests' own response hooks: `requests.sessions.default_hooks` is wrapped, once, so that
every Session requests makes starts with `_observe`. The hook does nothing outside a send:
a ContextVar set around each `notify` collects the 429/503 answers of that send alone
(apprise runs services in its executor under a copy of the caller's context), so a
channel's answer pauses that channel only. The reason of any other failure is the first
warning apprise recorded for the send (apprise's `AppriseResult` logs).

No abandoned sends. apprise 2.x stops waiting for a service after its `service_timeout`
(60 s) and reports a failure while the request goes on in apprise's shared thread pool: the
sender then retried an alert the channel went on to receive (a copy per attempt), and a
channel that answered a byte at a time parked a pool thread per attempt until the pool was
full and every channel's sends failed. Each channel's apprise object is built with no
service timeout, so apprise sends in the sender's own thread (one per channel at a time,
sender.SENDS) and a send ends when the channel answers or its connection fails; a channel
that hangs holds its own alerts, claimed and renewed, and no other channel's.

A deadline on each send. apprise's services time out each read (4 s for HTTP, 15 s for SMTP),
not the send: a channel answering a byte every 3 s held its send, its claim renewed, for
ever, with no attempt ever failing (so no retry, no dead letter, no "channel failing" ops
alert) and `poll --once` never ending. Every read a send makes through a socket's file
(http.client's and smtplib's, so every HTTP service and email) waits at most until the
send's deadline, `defaults.SEND_SECONDS` after it began plus the channel's pacing: then the
read times out as a slow read would, the send fails and is retried like any other failure.
(Like any timeout, it cannot know whether the channel took the message before it stopped
answering: a retry may then bring a second copy; holding the channel for ever is worse.)
"""

from __future__ import annotations

import socket
import time
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apprise
import requests
import requests.sessions
from apprise.plugins.email import NotifyEmail

from monitor import defaults, retry_after
from monitor.delivery import channels
from monitor.delivery.templates import Templates
from monitor.delivery.values import cut, one_line, subject
from monitor.items import Alert, Digest, Queued

FORMATS = {"text": apprise.NotifyFormat.TEXT, "markdown": apprise.NotifyFormat.MARKDOWN,
           "html": apprise.NotifyFormat.HTML}
RATE_LIMITED = (429, 503)  # the statuses whose Retry-After HTTP defines (RFC 9110 10.2.3)
REASON_CHARS = 200

_answers: ContextVar[list[str | None] | None] = ContextVar("rate_limit_answers", default=None)
_deadline: ContextVar[float | None] = ContextVar("send_deadline", default=None)  # time.monotonic()
_readinto = socket.SocketIO.readinto
_installed = False


@dataclass(frozen=True)
class Outcome:
    """A send's result: sent, or the reason it was not and how long the channel asked to wait."""

    ok: bool
    reason: str = ""
    retry_after: float | None = None  # seconds, from a 429/503 answer's Retry-After

    def __bool__(self) -> bool:
        return self.ok


def build(url: str, throttle: float | None) -> apprise.Apprise:
    """The channel's apprise object: one service, paced by the channel's throttle (None:
    apprise's own interval for the service, at most defaults.CHANNEL_THROTTLE)."""
    _install()
    target = apprise.Apprise(asset=apprise.AppriseAsset(service_timeout=0))  # see "No abandoned sends"
    target.add(url)
    for service in target:
        own = float(service.request_rate_per_sec)
        service.request_rate_per_sec = min(own, defaults.CHANNEL_THROTTLE) if throttle is None else throttle
    return target


def notify(target: apprise.Apprise, templates: Templates, queued: Queued) -> Outcome:
    """Render an alert or digest with the channel's templates and send it."""
    alert = queued.alert
    # An email's subject is a header of plain text: "&amp;" or "\(" there is what the reader
    # sees. Other services' title fields may be read as markup (a json:// receiver's page):
    # they keep the title escaped for the channel's format.
    apart = all(isinstance(service, NotifyEmail) for service in target)
    title, body = templates.render_digest(alert) if isinstance(alert, Digest) else templates.render_alert(alert, apart)
    title = subject(title) if apart else title  # an email's subject line has a length limit (values.py)
    answers: list[str | None] = []
    alert_token = channels.current_alert.set(queued)  # the console channel writes its fields
    answers_token = _answers.set(answers)
    pacing = max((float(service.request_rate_per_sec) for service in target), default=0.0)
    deadline = time.monotonic() + defaults.SEND_SECONDS + pacing
    deadline_token = _deadline.set(deadline)
    try:
        result = target.notify(body=body, title=title, body_format=FORMATS[templates.fmt])
    finally:
        _deadline.reset(deadline_token)
        _answers.reset(answers_token)
        channels.current_alert.reset(alert_token)
    if result:
        return Outcome(True)
    waits = [w for w in (parse_retry_after(a) for a in answers) if w is not None]
    reason = _reason(result) if time.monotonic() < deadline else (
        f"send failed: no answer within {defaults.SEND_SECONDS:.0f}s")
    return Outcome(False, reason, max(waits) if waits else None)


def send_now(url: str, throttle: float | None, templates: Templates, alert: Alert, data_dir: Path) -> Outcome:
    """Send one alert straight to a channel, not through the outbox (`monitor notify-test`)."""
    return notify(build(channels.with_defaults(url, data_dir), throttle), templates, Queued(alert))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a channel asks us to wait, capped at defaults.RETRY_AFTER_MAX."""
    wait = retry_after.seconds(value, now)
    return None if wait is None else min(wait, defaults.RETRY_AFTER_MAX)


def _reason(result: Any) -> str:
    """'send failed: ' and the first warning apprise recorded for the send, on one line."""
    for entry in result.logs():
        if entry.level in ("WARNING", "ERROR", "CRITICAL"):
            return "send failed: " + cut(one_line(str(entry.message)), REASON_CHARS)
    return "send failed"


def _observe(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    answers = _answers.get()
    if answers is not None and response.status_code in RATE_LIMITED:
        answers.append(response.headers.get("Retry-After"))


def _read_by_deadline(self: socket.SocketIO, buffer: Any) -> int | None:
    """socket.SocketIO.readinto, waiting no later than the send's deadline (outside a send:
    as it was). See "A deadline on each send"."""
    deadline = _deadline.get()
    if deadline is None:
        return _readinto(self, buffer)
    sock, left = self._sock, deadline - time.monotonic()  # type: ignore[attr-defined]
    if left <= 0:
        self._timeout_occurred = True  # type: ignore[attr-defined]  # as a timed-out read leaves it
        raise TimeoutError("timed out")
    before = sock.gettimeout()
    if before is not None and before <= left:
        return _readinto(self, buffer)
    sock.settimeout(left)
    try:
        return _readinto(self, buffer)
    finally:
        sock.settimeout(before)


def _install() -> None:
    """Once per process: every requests Session starts with `_observe` as a response hook,
    and reads through a socket's file keep a send's deadline."""
    global _installed
    if _installed:
        return
    socket.SocketIO.readinto = _read_by_deadline  # type: ignore[method-assign, assignment]
    original = requests.sessions.default_hooks

    def default_hooks() -> dict[str, list[Any]]:
        hooks = original()
        hooks["response"].append(_observe)
        return hooks

    requests.sessions.default_hooks = default_hooks
    _installed = True
