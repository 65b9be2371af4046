"""Per-channel delivery policy, as pure functions of the time: send now, or fold into a digest.

A channel is `immediate` (each alert sent on its own) or `digest` (alerts collected and sent
together every `digest_every` or at the `digest_at` times of day). On any channel an alert
folds into the next digest instead of being sent when the channel already sent
`max_per_hour` messages in the last hour, or during `quiet_hours` unless its score is at
least `urgent_score`. Nothing is dropped: a folded alert waits in the channel's digest.
An immediate channel's folded alerts go out as one digest as soon as it may send again; a
digest channel's digest, when it is due and the hour has room (`max_per_hour` counts
digests too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor import defaults
from monitor.errors import shown
from monitor.items import Alert
from monitor.seen import latest_stamp

TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_time_of_day(value: str) -> int:
    """'07:30' -> minutes after midnight."""
    match = TIME_RE.match(value.strip())
    if not match:
        raise ValueError(f"bad time of day {shown(value)}: use HH:MM, e.g. \"07:30\"")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_quiet_hours(value: str) -> tuple[int, int] | None:
    """'22:00-07:00' -> (1320, 420); '' -> None."""
    if not value:
        return None
    start, sep, end = value.partition("-")
    if not sep:
        raise ValueError(f"bad quiet hours {shown(value)}: use HH:MM-HH:MM, e.g. \"22:00-07:00\"")
    return parse_time_of_day(start), parse_time_of_day(end)


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a tzdata folder ("Europe"), a name too long
        raise ValueError(f"unknown time zone {shown(name)} (use an IANA name such as \"Europe/Istanbul\")") from None


@dataclass(frozen=True)
class ChannelPolicy:
    mode: Literal["immediate", "digest"] = defaults.CHANNEL_MODE
    digest_every: float | None = None  # seconds
    digest_at: tuple[int, ...] = ()  # minutes after midnight, in `zone`
    zone: str = defaults.TIMEZONE
    max_per_hour: int = defaults.MAX_PER_HOUR  # 0: no limit
    quiet: tuple[int, int] | None = None  # minutes after midnight, in `zone`
    urgent_score: float | None = None  # at least this breaks through quiet hours

    def local(self, now: float) -> datetime:
        return datetime.fromtimestamp(now, tz=ZoneInfo(self.zone))


def in_quiet_hours(policy: ChannelPolicy, now: float) -> bool:
    if policy.quiet is None:
        return False
    local = policy.local(now)
    minute = local.hour * 60 + local.minute
    start, end = policy.quiet
    return start <= minute < end if start <= end else minute >= start or minute < end


def decide(policy: ChannelPolicy, score: float, now: float, sent_last_hour: int,
           urgent: bool = False) -> tuple[str, str]:
    """("send" | "fold", why) for one alert on this channel at this time; an `urgent` one
    (a surge) breaks through quiet hours as one scoring `urgent_score` does."""
    if policy.mode == "digest":
        return "fold", "digest channel"
    urgent = urgent or (policy.urgent_score is not None and score >= policy.urgent_score)
    if in_quiet_hours(policy, now) and not urgent:
        return "fold", "quiet hours"
    if hour_full(policy, sent_last_hour):
        return "fold", f"rate limit of {policy.max_per_hour} per hour"
    return "send", "immediate"


def digest_due(policy: ChannelPolicy, now: float, last_digest: float, sent_last_hour: int,
               waiting_since: float | None = None) -> bool:
    """Whether the channel's waiting alerts should go out now as one digest. A digest is a
    message too, so it waits for room in the hour. `waiting_since`: when the alerts now
    waiting began to wait (the fold that started this digest). A `digest_at` time before
    it passed with nothing to send and does not make this digest due (after a quiet spell
    `last_digest` is days old); one since then that was missed (the service was down) does.
    Either time more than CLOCK_SKEW ahead was stamped by a clock since set back (an NTP
    step, a VM resumed): read as it is, a digest every hour stamped 3 h ahead waited 4 h.
    Such a digest is due: the one sent resets both times."""
    if in_quiet_hours(policy, now) or hour_full(policy, sent_last_hour):
        return False
    if policy.mode == "immediate":  # folded by the rate limit or quiet hours: send when allowed
        return True
    if max(last_digest, waiting_since or 0.0) > latest_stamp(now):  # by a clock since set back
        return bool(policy.digest_every or policy.digest_at)  # when is unknown: not hours later
    if policy.digest_every and now - last_digest >= policy.digest_every:
        return True
    since = last_digest if waiting_since is None else max(last_digest, waiting_since)
    return any(since <= t <= now and t > last_digest for t in _scheduled(policy, since, now))


def hour_full(policy: ChannelPolicy, sent_last_hour: int) -> bool:
    """The channel sent its `max_per_hour` messages (alerts and digests) in the last hour."""
    return bool(policy.max_per_hour) and sent_last_hour >= policy.max_per_hour


def _scheduled(policy: ChannelPolicy, start: float, end: float) -> Iterable[float]:
    """The `digest_at` times between start and end, as timestamps (DST-aware)."""
    zone = ZoneInfo(policy.zone)
    day = datetime.fromtimestamp(start, tz=zone).date()
    last = datetime.fromtimestamp(end, tz=zone).date()
    while day <= last:
        for minute in policy.digest_at:
            moment = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
            yield moment.timestamp()
        day += timedelta(days=1)


@dataclass(frozen=True)
class DigestGroup:
    """The alerts of one topic's story in a digest, best first."""

    topic_title: str
    story: str
    alerts: tuple[Alert, ...]

    @property
    def best(self) -> Alert:
        return self.alerts[0]


def group_digest(alerts: Sequence[Alert]) -> list[tuple[str, int, list[DigestGroup]]]:
    """[(topic title, alert count, groups by story highest score first)], topics by best score."""
    by_topic: dict[str, dict[str, list[Alert]]] = {}
    for alert in alerts:
        story = alert.story or alert.item_id  # an alert checked for no story is its own
        by_topic.setdefault(alert.topic_title, {}).setdefault(story, []).append(alert)
    topics = []
    for title, stories in by_topic.items():
        groups = [DigestGroup(title, story, tuple(sorted(items, key=_score, reverse=True)))
                  for story, items in stories.items()]
        groups.sort(key=lambda g: g.best.score, reverse=True)
        topics.append((title, sum(len(g.alerts) for g in groups), groups))
    topics.sort(key=lambda t: t[2][0].best.score, reverse=True)
    return topics


def _score(alert: Alert) -> float:
    return alert.score
