"""The values passed between stages: plain frozen dataclasses, no behaviour beyond views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Item:
    """One article from one feed, cleaned and identified."""

    id: str  # stable: GUID, else canonical link, else hash of title and text
    source: str  # the feed's name in settings.toml
    url: str  # canonical: tracking parameters and fragment removed
    title: str
    text: str  # plain text: HTML stripped, entities decoded, whitespace collapsed
    published: datetime  # UTC; the fetch time when the feed gives none

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

    item: Item
    scores: dict[str, TopicScore] = field(default_factory=dict)


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
    kind: str = "alert"  # "alert", "follow_up", "test" or "health"
    story: str = ""  # the near-duplicate story it starts or follows
