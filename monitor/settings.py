"""Load and validate settings.toml once, loudly: one line naming the file and key path.

Unknown keys, wrong types, bad durations, unparseable apprise URLs, a topic notifying a
channel that does not exist, duplicate feed names, malformed feed URLs or `redis_url` and
thresholds outside 0..1 are refused. `${NAME}` in a feed URL, a channel URL or `redis_url`
is replaced from the environment at load time (settings_env.py); the resolved value is
never echoed back in an error, and a URL is shown only masked (urls.masked).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor import defaults, rules, settings_env, settings_errors, urls
from monitor.delivery import policy, templates
from monitor.errors import SettingsError, shown
from monitor.settings_env import ENV_RE
from monitor.settings_errors import KeyProblem
from monitor.settings_surge import TopicSurge
from monitor.settings_types import Address, ArticlesMode, Duration, Name


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class MonitorSection(Strict):
    data_dir: str = defaults.DATA_DIR
    redis_url: str = ""
    key_prefix: str = Field(default=defaults.KEY_PREFIX, min_length=1)  # "": prune would take other keys
    model: str = defaults.MODEL
    http: Address = ""
    interval: Duration = Field(default=defaults.FEED_INTERVAL, gt=0)
    jitter: Duration = defaults.JITTER
    spread: bool = defaults.SPREAD
    concurrency: int = Field(default=defaults.CONCURRENCY, ge=1, le=1000)
    score_workers: int = Field(default=defaults.SCORE_WORKERS, ge=0, le=64)
    connect_timeout: Duration = Field(default=defaults.CONNECT_TIMEOUT, gt=0)
    read_timeout: Duration = Field(default=defaults.READ_TIMEOUT, gt=0)
    max_bytes: int = Field(default=defaults.MAX_BYTES, ge=1024)
    max_redirects: int = Field(default=defaults.MAX_REDIRECTS, ge=0, le=30)
    allow_private: bool = defaults.ALLOW_PRIVATE
    backoff_base: Duration = Field(default=defaults.BACKOFF_BASE, gt=0)
    backoff_max: Duration = Field(default=defaults.BACKOFF_MAX, gt=0)
    log_level: str = defaults.LOG_LEVEL
    ops_channel: str = ""
    feed_alert_after: Duration = Field(default=defaults.FEED_ALERT_AFTER, gt=0)
    backlog: Duration = defaults.BACKLOG
    articles: ArticlesMode = defaults.ARTICLES
    article_below_words: int = Field(default=defaults.ARTICLE_BELOW_WORDS, ge=0)
    article_bar: float = Field(default=defaults.ARTICLE_BAR, ge=0.0, le=1.0)
    article_per_host: int = Field(default=defaults.ARTICLE_PER_HOST, ge=1, le=100)
    article_max_bytes: int = Field(default=defaults.ARTICLE_MAX_BYTES, ge=1024)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://", "${")):
            raise ValueError("must be empty (embedded Redis) or a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.lower() not in {"debug", "info", "warning", "error"}:
            raise ValueError("must be one of debug, info, warning, error")
        return value.lower()


class DedupSection(Strict):
    seen_ttl: Duration = Field(default=defaults.SEEN_TTL, gt=0)
    window: Duration = Field(default=defaults.DEDUP_WINDOW, gt=0)
    follow_up_sources: int = Field(default=defaults.FOLLOW_UP_SOURCES, ge=0)
    near_duplicates: bool = defaults.NEAR_DUPLICATES
    jaccard: float = Field(default=defaults.NEARDUP_JACCARD, gt=0.0, le=1.0)
    containment: float = Field(default=defaults.NEARDUP_CONTAINMENT, gt=0.0, le=1.0)
    cosine: float = Field(default=defaults.NEARDUP_COSINE, gt=0.0, le=1.0)
    names: float = Field(default=defaults.NEARDUP_NAMES, gt=0.0, le=1.0)
    across_languages: bool = defaults.ACROSS_LANGUAGES


class AlertsSection(Strict):
    send_attempts: int = Field(default=defaults.SEND_ATTEMPTS, ge=1)
    send_backoff_base: Duration = Field(default=defaults.SEND_BACKOFF_BASE, gt=0)
    send_backoff_max: Duration = Field(default=defaults.SEND_BACKOFF_MAX, gt=0)
    claim_timeout: Duration = Field(default=defaults.CLAIM_TIMEOUT, gt=0)
    dead_max: int = Field(default=defaults.DEAD_MAX, ge=1, le=10**9)  # Redis takes up to 2**63 - 1
    labels_max: int = Field(default=defaults.LABELS_MAX, ge=1, le=10**9)


class Feed(Strict):
    name: Name
    url: str
    interval: Duration | None = Field(default=None, gt=0)
    enabled: bool = True
    allow_private: bool = defaults.ALLOW_PRIVATE
    articles: ArticlesMode | None = None  # None: [monitor] articles
    backlog: Duration | None = None  # None: [monitor] backlog
    topics: list[Name] | None = None  # None: every topic (rules.py)
    mute: list[str] = []  # words or /regexes/: a matching item alerts for no topic (rules.py)

    @field_validator("mute")
    @classmethod
    def _mute(cls, value: list[str]) -> list[str]:
        return _patterns(value)

    @model_validator(mode="after")
    def _url(self) -> Feed:
        # `${NAME}` stands for a value of the environment, checked again once expanded (load).
        problem = urls.problem(ENV_RE.sub("x", self.url))
        if problem:
            raise KeyProblem("url", f'feed "{self.name}": {problem}')
        return self


class Topic(TopicSurge, Strict):  # TopicSurge: the surge_* keys (settings_surge.py)
    title: str
    threshold: float
    notify: list[Name] = []
    require: list[str] = []  # words or /regexes/: at least one must match to alert (rules.py)
    exclude: list[str] = []  # words or /regexes/: none may match (rules.py)

    @field_validator("require", "exclude")
    @classmethod
    def _rules(cls, value: list[str]) -> list[str]:
        return _patterns(value)

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold_range(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"must be between 0 and 1 (got {value})")
        return value


class Channel(Strict):
    url: str
    mode: Literal["immediate", "digest"] = defaults.CHANNEL_MODE
    digest_every: Duration | None = Field(default=None, gt=0)
    digest_at: list[str] = []
    timezone: str = defaults.TIMEZONE
    max_per_hour: int = Field(default=defaults.MAX_PER_HOUR, ge=0)
    quiet_hours: str = ""
    urgent_score: float | None = Field(default=None, ge=0.0, le=1.0)
    format: Literal["text", "markdown", "html"] = defaults.CHANNEL_FORMAT
    title_template: str = ""
    body_template: str = ""
    throttle: Duration | None = Field(default=None, ge=0)

    @field_validator("digest_at")
    @classmethod
    def _digest_at(cls, value: list[str]) -> list[str]:
        for moment in value:
            policy.parse_time_of_day(moment)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        policy.parse_zone(value)
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        policy.parse_quiet_hours(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Channel:
        if self.mode == "digest" and not (self.digest_every or self.digest_at):
            raise ValueError('a digest channel needs digest_every (e.g. "1h") or digest_at (e.g. ["08:00"])')
        templates.compile_templates(self.format, self.title_template, self.body_template)
        return self


class Settings(Strict):
    monitor: MonitorSection = MonitorSection()
    dedup: DedupSection = DedupSection()
    alerts: AlertsSection = AlertsSection()
    feeds: list[Feed] = []
    topics: dict[Name, Topic] = {}
    channels: dict[Name, Channel] = {}

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        seen: set[str] = set()
        for index, feed in enumerate(self.feeds):
            if feed.name in seen:
                raise KeyProblem(f"feeds[{index}].name", f"duplicate feed name {shown(feed.name)}")
            seen.add(feed.name)
        for index, feed in enumerate(self.feeds):
            for wanted in feed.topics or []:
                if wanted not in self.topics:
                    raise KeyProblem(f"feeds[{index}].topics", f"topic {shown(wanted)} is not defined in [topics]")
        ops = self.monitor.ops_channel
        if ops and ops not in self.channels:
            raise KeyProblem("monitor.ops_channel", f"channel {shown(ops)} is not defined in [channels]")
        for name, topic in self.topics.items():
            for channel in topic.notify:
                if channel not in self.channels:
                    raise KeyProblem(
                        f"topics.{name}.notify", f"channel {shown(channel)} is not defined in [channels]"
                    )
        return self


def _patterns(value: list[str]) -> list[str]:
    for pattern in value:
        rules.compile_pattern(pattern)  # a bad one is refused at load, naming the key
    return value


@dataclass(frozen=True)
class Loaded:
    """Validated settings plus where they came from, with paths made absolute."""

    settings: Settings
    path: Path
    channel_urls: dict[str, str]  # environment resolved: never log these
    redis_url: str  # environment resolved: never log this
    feed_urls: dict[str, str]  # environment resolved: never log these (urls.masked(feed.url) is shown)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def data_dir(self) -> Path:
        return (self.base_dir / self.settings.monitor.data_dir).resolve()

    @property
    def model_path(self) -> Path:
        return (self.base_dir / self.settings.monitor.model).resolve()

    def interval(self, feed: Feed) -> float:
        return feed.interval or self.settings.monitor.interval


def default_path() -> Path:
    """$MONITOR_SETTINGS, else settings.toml (an empty variable is unset: it named ".")."""
    return Path(os.environ.get("MONITOR_SETTINGS") or defaults.SETTINGS_FILE)


def load(path: Path | str | None = None, channels: bool = True) -> Loaded:
    """Read, validate and resolve settings; raise SettingsError with one line on any problem.
    `channels=False` (commands that send nothing) leaves channel URLs unparsed by apprise,
    so those commands do not import it."""
    path = Path(path) if path is not None else default_path()
    label = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # -sig: as Notepad saves it
    except FileNotFoundError:
        raise SettingsError(f"{label}: file not found{settings_errors.where(path)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{label}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{label}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses per level: arrays or tables thousands deep
        raise SettingsError(f"{label}: not valid TOML: nested too deeply") from None
    settings = validate(raw, label)
    return Loaded(
        settings, path.resolve(),
        settings_env.channel_urls(((n, c.url) for n, c in settings.channels.items()), label, check=channels),
        settings_env.redis_url(settings.monitor.redis_url, label),
        settings_env.feed_urls(((f.name, f.url) for f in settings.feeds), label),
    )


def validate(raw: dict[str, Any], label: str = defaults.SETTINGS_FILE) -> Settings:
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError(settings_errors.describe(exc, label, Settings)) from None
