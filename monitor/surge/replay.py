"""`monitor surge --replay`: dated items through the real scorer and surge detector, with the
clock set to each item's date, in a Redis of the replay's own (never the monitor's state).

An input line is `{"text", "published"}` with optional `title`, `source`, `url`, `id`,
`story` (items sharing it are copies) and `scores` (`{topic: score}`: already scored, the
model is not asked). Items without `story` are grouped into stories as the near-dup stage
groups them: the same shingle test (dedup/index.py `similarity`) against the topic's
stories of the last `[dedup] window`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.dedup.index import Measured, NearDupConfig, measured, similarity
from monitor.errors import InputError, shown_json
from monitor.limits import ITEM_TEXT_CHARS, ITEM_TITLE_CHARS
from monitor.surge.counter import Seen
from monitor.surge.detector import Observed, SurgeDetector

Scorer = Callable[[Sequence[str]], list[dict[str, float]]]


@dataclass(frozen=True)
class Dated:
    """One replayed item."""

    id: str
    time: float
    text: str
    title: str
    source: str
    url: str
    story: str
    scores: dict[str, float] | None


@dataclass
class Replay:
    """What a replay saw: each topic's window at every moment it counted, and the surges."""

    timeline: dict[str, list[tuple[float, int, float]]] = field(default_factory=dict)  # time, stories, usual
    surges: list[Observed] = field(default_factory=list)
    items: int = 0
    on_topic: dict[str, int] = field(default_factory=dict)


def read_items(path: Path) -> list[Dated]:
    """The file's items, oldest first; a bad line is an InputError naming the file and line."""
    from monitor.model.dataset import json_line, read_input_file, text_lines

    # a regular file only: /dev/zero was read without end (MemoryError), a FIFO waited
    lines = text_lines(read_input_file(path), path)
    items = [_item(path, n, json_line(line, f"{path}:{n}")) for n, line in enumerate(lines, 1) if line.strip()]
    return sorted(items, key=lambda d: d.time)


SHAPE = 'expected a JSON object {"text", "published"}'
WHEN = '"published" must be an ISO 8601 date and time, like "2024-12-01T10:00:00Z", or Unix seconds'
SCORES = '"scores" must map topic names to scores from 0 to 1, like {"turkey_russia_syria": 0.93}'


def _item(path: Path, n: int, data: Any) -> Dated:
    """Line n's item, from its decoded JSON; what is wrong with it, in the file's words, as
    an InputError."""
    try:
        if not isinstance(data, dict):
            raise ValueError(SHAPE)
        text, title = _string(data, "text")[:ITEM_TEXT_CHARS], _string(data, "title")[:ITEM_TITLE_CHARS]
        if not (text or title):  # cut above as the monitor keeps an item's text and title
            raise ValueError('needs "text" (or "title")')
        url = _string(data, "url")
        ref = str(data.get("id") or url or hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()[:16])
        return Dated(ref, _time(data), text, title, _string(data, "source") or "replay", url,
                     _string(data, "story"), _scores(data.get("scores")))
    except ValueError as exc:
        raise InputError(f"{path}:{n}: {exc}") from None


def _string(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and key == "story":  # a story's number
        return str(value)
    raise ValueError(f'"{key}" must be a string, not {shown_json(value)}')


def _time(data: dict[str, Any]) -> float:
    """`published` as Unix seconds: an ISO 8601 string (UTC unless it says), or a number."""
    if "published" not in data:
        raise ValueError(f'missing field "published" ({WHEN})')
    value = data["published"]
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            when = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):
            when = datetime.fromisoformat(value)
        else:
            raise TypeError
    except (ValueError, TypeError, OverflowError, OSError):  # a day out of range, a year past 9999
        raise ValueError(f"{WHEN}, not {shown_json(value)}") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _scores(value: object) -> dict[str, float] | None:
    """Scores given with the item (the model is not asked), each a probability."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
            isinstance(s, int | float) and not isinstance(s, bool) and 0 <= s <= 1 for s in value.values()):
        raise ValueError(f"{SCORES}, not {shown_json(value)}")  # NaN fails 0 <= s: it compares false
    return {str(t): float(s) for t, s in value.items()}


def document(item: Dated) -> str:
    return f"{item.title}\n{item.text}" if item.title and item.text else item.title or item.text


def score_all(items: Sequence[Dated], scorer: Scorer) -> list[dict[str, float]]:
    """Every item's scores: its own when given, else the model's (one batch)."""
    todo = [i for i, item in enumerate(items) if item.scores is None]
    scored = scorer([document(items[i]) for i in todo]) if todo else []
    out = [item.scores or {} for item in items]
    for i, scores in zip(todo, scored, strict=True):
        out[i] = scores
    return out


class Stories:
    """Story ids for one topic's replayed items: given, or by the near-dup test in the window."""

    def __init__(self, cfg: NearDupConfig) -> None:
        self.cfg = cfg
        self.recent: list[tuple[float, str, Measured]] = []  # (time, story, the document's measures)

    def story_of(self, item: Dated) -> str:
        if item.story:
            return item.story
        self.recent = [r for r in self.recent if r[0] >= item.time - self.cfg.window_seconds]
        # Each document's shingles and sketch once, not once a pair (similarity's way):
        # 1,000 items took 84 s, each compared afresh with every earlier one in the window.
        doc = measured(document(item), self.cfg)
        story = next((s for _, s, d in self.recent if similarity(doc, d, self.cfg).duplicate), item.id)
        self.recent.append((item.time, story, doc))
        return story


def replay(items: Sequence[Dated], scores: Sequence[dict[str, float]], detector: SurgeDetector,
           neardup: NearDupConfig) -> Replay:
    """Feed the items to the detector moment by moment (items of one moment together)."""
    out = Replay(items=len(items))
    stories = {topic: Stories(neardup) for topic in detector.configs}
    for cfg in detector.configs.values():  # every topic is watched from the first item on
        if items:
            detector.counter.begin(cfg, items[0].time)
    for moment, batch in _moments(items, scores):
        seen = [Seen(t, stories[t].story_of(item), item.source, item.title or item.text[:120], item.url,
                     item.time)
                for item, s in batch for t, cfg in detector.configs.items() if s.get(t, 0.0) >= cfg.threshold]
        for s in seen:
            out.on_topic[s.topic] = out.on_topic.get(s.topic, 0) + 1
        for observed in detector.observe(seen, moment):
            v = observed.verdict
            out.timeline.setdefault(v.topic, []).append((moment, v.stories, v.expected))
            if observed.fired:
                out.surges.append(observed)
    return out


def _moments(items: Sequence[Dated], scores: Sequence[dict[str, float]]
             ) -> Iterable[tuple[float, list[tuple[Dated, dict[str, float]]]]]:
    batch: list[tuple[Dated, dict[str, float]]] = []
    for item, s in zip(items, scores, strict=True):
        if batch and item.time != batch[0][0].time:
            yield batch[0][0].time, batch
            batch = []
        batch.append((item, s))
    if batch:
        yield batch[0][0].time, batch


def as_json(result: Replay) -> dict[str, Any]:
    return {"items": result.items, "on_topic": result.on_topic, "surges": [
        {"topic": o.verdict.topic, "time": datetime.fromtimestamp(o.verdict.now, tz=UTC).isoformat(),
         "stories": o.verdict.stories, "sources": o.verdict.sources, "expected": round(o.verdict.expected, 3),
         "p_value": o.verdict.p_value,
         "top": [{"title": s.title, "sources": list(s.sources)} for s in o.top]}
        for o in result.surges]}
