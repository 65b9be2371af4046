"""The values passed between stages: plain frozen dataclasses, no behaviour beyond views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal

AlertKind = Literal["alert", "follow_up", "test", "health", "surge"]
Basis = Literal["page", "feed"]  # what an item was judged on: the page behind its link, or its feed text
ALERT_KINDS: tuple[AlertKind, ...] = ("alert", "follow_up", "test", "health", "surge")


@dataclass(frozen=True, slots=True)
class Item:
    """One article from one feed, cleaned and identified."""

    id: str  # stable: GUID, else canonical link, else hash of title and text
    source: str  # the feed's name in settings.toml
    url: str  # canonical: tracking parameters and fragment removed
    title: str
    text: str  # plain text: HTML stripped, entities decoded, whitespace collapsed
    published: datetime  # UTC; the fetch time when the feed gives none
    language: str = "und"  # ISO 639-1 code of its text (language.py), "und" until detected or when unclear

    @property
    def document(self) -> str:
        """What the classifier and the near-duplicate detector read."""
        return f"{self.title}\n{self.text}" if self.text else self.title


@dataclass(frozen=True, slots=True)
class TopicScore:
    """One topic's calibrated probability for one document, and why."""

    topic: str
    score: float
    terms: tuple[str, ...] = ()  # the terms that raised the score most, strongest first


@dataclass(frozen=True, slots=True)
class Scored:
    """An item with its score for every topic of the model."""

    item: Item  # its text is the page's when judged on the page
    scores: dict[str, TopicScore] = field(default_factory=dict)
    judged_on: Basis = "feed"

    @property
    def language(self) -> str:
        """The item's language, detected once on its feed text (a page is in the feed's language)."""
        return self.item.language


@dataclass(frozen=True, slots=True)
class SurgeStory:
    """One story of a surge's window, with the sources that carried it there."""

    title: str
    url: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SurgeFacts:
    """What a surge alert says: the window against the topic's usual rate (monitor/surge/)."""

    window: float  # seconds
    stories: int  # distinct stories first seen in the window
    sources: int  # distinct sources in the window
    expected: float  # stories the usual rate gives a window
    p_value: float  # Poisson probability of at least `stories` at the usual rate
    top: tuple[SurgeStory, ...] = ()  # most sources first


@dataclass(frozen=True, slots=True)
class Source:
    """One outlet's copy of a near-duplicate story."""

    item_id: str
    source: str
    url: str
    published: datetime
    language: str = "und"  # the item's ISO 639-1 code; "und" in entries stored before it was kept


@dataclass(frozen=True, slots=True)
class Alert:
    """One item to send to one channel for one topic."""

    id: str  # short id shown to the user (for feedback and lookup)
    channel: str
    topic: str
    topic_title: str
    score: float
    threshold: float
    terms: tuple[str, ...]
    item_id: str
    source: str
    title: str
    url: str
    published: datetime
    text: str = ""
    kind: AlertKind = "alert"
    story: str = ""  # the near-duplicate story it starts or follows
    judged_on: Basis = "feed"  # scored on the page behind the link, or on the feed text
    language: str = "und"  # the item's ISO 639-1 code; "und" for health/test alerts and those stored before
    surge: SurgeFacts | None = None  # kind "surge" only
    sources: tuple[Source, ...] = ()  # the story's copies up to this alert, first first (empty: not checked)


@dataclass(frozen=True, slots=True)
class Digest:
    """A channel's folded alerts, sent together as one message."""

    id: str
    channel: str
    alerts: tuple[Alert, ...]
    kind: ClassVar[Literal["digest"]] = "digest"


@dataclass(frozen=True, slots=True)
class Queued:
    """An alert or digest as the outbox holds it, with its retry bookkeeping."""

    alert: Alert | Digest
    attempts: int = 0  # failed sends so far (reset to 0 when a dead letter is resent)
    last_error: str = ""  # why the last send failed


@dataclass(frozen=True, slots=True)
class Recent:
    """What the `recent` stream keeps of one scored item (written by its claim)."""

    id: str
    source: str
    title: str
    url: str
    published: datetime
    story: str | None  # the near-duplicate story, when the item was checked for one
    seen_at: float
    scores: Mapping[str, float]  # every topic's score, rounded
    terms: Mapping[str, tuple[str, ...]]  # every topic's strongest terms
    language: str = "und"  # ISO 639-1 code; "und" in records stored before languages were detected


@dataclass(frozen=True, slots=True)
class Label:
    """An operator's verdict on a sent alert, kept as training data."""

    id: str  # the alert's short id
    topic: str
    relevant: bool
    time: float
    title: str
    text: str
    score: float | None
