"""The surge alert: one per channel the topic notifies, `kind = "surge"`, saying what changed."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime

from monitor.delivery.surge_body import duration
from monitor.items import Alert, SurgeFacts, SurgeStory
from monitor.surge.counter import WindowStory
from monitor.surge.model import SurgeConfig, Verdict


def top_stories(stories: Mapping[str, WindowStory], n: int) -> tuple[SurgeStory, ...]:
    """The stories first counted in the window (those the surge is made of), most sources
    first; an older story re-carried in the window is not part of it."""
    fresh = [s for s in stories.values() if s.counted]
    ranked = sorted(fresh, key=lambda s: len(s.sources), reverse=True)
    return tuple(SurgeStory(s.title, s.url, s.sources) for s in ranked[:n])


def facts(cfg: SurgeConfig, verdict: Verdict, top: tuple[SurgeStory, ...]) -> SurgeFacts:
    return SurgeFacts(window=cfg.window_buckets * cfg.bucket, stories=verdict.stories,
                      sources=verdict.sources, expected=round(verdict.expected, 3),
                      p_value=float(f"{verdict.p_value:.3g}"), top=top)


def headline(f: SurgeFacts) -> str:
    return (f"{f.stories} stories from {f.sources} sources in {duration(f.window)} "
            f"(usually {f.expected:.1f})")


def summary(f: SurgeFacts) -> str:
    """The surge as plain text: kept as the alert's text (labels, exports)."""
    lines = [headline(f) + f", p = {f.p_value:.2g}"]
    lines += [f"- {s.title} ({', '.join(s.sources)})" for s in f.top]
    return "\n".join(lines)


def surge_alerts(cfg: SurgeConfig, verdict: Verdict, top: tuple[SurgeStory, ...]) -> list[Alert]:
    """The alerts of a surge, one per channel; their id is the same on every channel."""
    f = facts(cfg, verdict, top)
    short = hashlib.sha1(f"surge\0{cfg.topic}\0{verdict.now!r}\0{verdict.stories}".encode()).hexdigest()[:8]
    first = f.top[0] if f.top else SurgeStory("", "", ())
    moment = datetime.fromtimestamp(verdict.now, tz=UTC)
    return [Alert(id=short, channel=channel, topic=cfg.topic, topic_title=cfg.title, score=1.0,
                  threshold=0.0, terms=(), item_id="", source=", ".join(first.sources[:3]) or "monitor",
                  title=headline(f), url=first.url, published=moment, text=summary(f), kind="surge",
                  story=f"surge:{short}", surge=f)
            for channel in cfg.notify]
