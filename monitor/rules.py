"""Rules beside the classifier: words and patterns that gate a topic's verdict.

Per topic, `require` (at least one must match) and `exclude` (none may match); per feed,
`topics` (the only topics this feed alerts for) and `mute` (an item matching one alerts
for no topic). Each pattern is a word or phrase, matched case-insensitively as whole words
("Idlib", "air strike"), or a regular expression written between slashes
("/erdo[gğ]an/"), searched case-insensitively. Patterns are matched on the title and the
text the classifier read. Pure functions: the alert stage and `monitor score` call
`judge`, which says whether the item alerts and which rule decided.

Patterns run under the `regex` module with a time limit (MATCH_SECONDS): Python's `re`
cannot stop a search, and "/(\\w+\\s?)+$/"-like patterns backtrack for minutes on an item's
text, holding the event loop (the alert stage judges there). A search that runs out of time
counts as no match, is logged, and the pattern then counts as no match without a search for
SLOW_REST seconds: 200 items over a threshold would otherwise hold the loop 20 s, 0.1 s
each. A pattern that matches empty text ("//", "/a*/") matches every item: refused.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from monitor.errors import shown

log = logging.getLogger(__name__)

MATCH_SECONDS = 0.1  # one pattern's search of one item: a word or /erdo[gğ]an/ takes microseconds
SLOW_REST = 600.0  # seconds a pattern that ran out of time is not searched again
_slow: dict[str, float] = {}  # pattern -> monotonic time until which it is not searched


@dataclass(frozen=True)
class Pattern:
    source: str  # as written in settings.toml
    regex: regex.Pattern[str]


def compile_pattern(text: str) -> regex.Pattern[str]:
    """A settings pattern; ValueError with the reason when it is not one."""
    if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
        try:
            compiled = regex.compile(text[1:-1], regex.IGNORECASE)
        except regex.error as exc:
            raise ValueError(f"bad regular expression {shown(text)}: {exc}") from None
        except (OverflowError, RecursionError) as exc:  # a huge repeat count, or nesting too deep
            reason = exc if isinstance(exc, OverflowError) else "nested too deeply"
            raise ValueError(f"bad regular expression {shown(text)}: {reason}") from None
        if _search(compiled, "") is not None:
            raise ValueError(f"regular expression {shown(text)} matches empty text, so every item: "
                             "write what it must find")
        return compiled
    words = text.split()
    if not words:
        raise ValueError("an empty pattern matches everything: write a word, a phrase or /regex/")
    return regex.compile(r"\b" + r"\s+".join(map(re.escape, words)) + r"\b", regex.IGNORECASE)


def _search(pattern: regex.Pattern[str], document: str) -> regex.Match[str] | None:
    """The pattern's first match, or None, also when it runs past MATCH_SECONDS (logged;
    then no search for SLOW_REST seconds)."""
    now = time.monotonic()
    if _slow.get(pattern.pattern, 0.0) > now:
        return None
    try:
        return pattern.search(document, timeout=MATCH_SECONDS)
    except TimeoutError:
        # Rests over are dropped here, else a pattern a reload removed stayed for the process's
        # life (this timeout has cost 0.1 s: the sweep costs nothing beside it).
        for ended in [p for p, until in _slow.items() if until <= now]:
            del _slow[ended]
        _slow[pattern.pattern] = now + SLOW_REST
        log.warning("pattern /%s/ ran past %.1fs on an item of %d characters: taken as no match, "
                    "and not searched for %.0f s", pattern.pattern[:60], MATCH_SECONDS, len(document), SLOW_REST)
        return None


def compile_all(texts: Sequence[str]) -> tuple[Pattern, ...]:
    return tuple(Pattern(t, compile_pattern(t)) for t in texts)


@dataclass(frozen=True)
class TopicGate:
    require: tuple[Pattern, ...] = ()
    exclude: tuple[Pattern, ...] = ()


@dataclass(frozen=True)
class FeedGate:
    topics: frozenset[str] | None = None  # None: every topic
    mute: tuple[Pattern, ...] = ()


@dataclass(frozen=True)
class Verdict:
    alert: bool
    rule: str  # which rule decided, in words


NO_GATE = TopicGate()
OPEN_FEED = FeedGate()


def judge(topic: str, score: float, threshold: float, document: str, gate: TopicGate = NO_GATE,
          feed: FeedGate = OPEN_FEED, feed_name: str = "") -> Verdict:
    """Whether an item alerts for `topic`: the feed's rules, the topic's exclusions, the
    classifier's threshold, then the topic's requirements, first one that says no wins."""
    if feed.topics is not None and topic not in feed.topics:
        return Verdict(False, f"feed {feed_name} alerts only for {', '.join(sorted(feed.topics)) or 'no topic'}")
    hit = _first(feed.mute, document)
    if hit:
        return Verdict(False, f"feed {feed_name} mutes {hit}")
    hit = _first(gate.exclude, document)
    if hit:
        return Verdict(False, f"exclude {hit}")
    classifier = f"classifier {score:.3f} {'>=' if score >= threshold else '<'} {threshold:.2f}"
    if not score >= threshold:  # NaN too: a score that is no number alerts for nothing
        return Verdict(False, classifier)
    if gate.require:
        hit = _first(gate.require, document)
        if not hit:
            return Verdict(False, f"{classifier}, but require: none of {_names(gate.require)} found")
        return Verdict(True, f"{classifier}, require {hit}")
    return Verdict(True, classifier)


def _first(patterns: Sequence[Pattern], document: str) -> str:
    """'<pattern>' matched '<text>' for the first pattern found in the document, else ''."""
    for pattern in patterns:
        found = _search(pattern.regex, document)
        if found:
            text = found.group(0)
            return repr(pattern.source) + ("" if text.lower() == pattern.source.lower() else f" matched {text!r}")
    return ""


def _names(patterns: Sequence[Pattern]) -> str:
    return ", ".join(repr(p.source) for p in patterns)
