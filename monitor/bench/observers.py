"""What the benchmark watches of the pipeline, through the runtime's `Observer` interface:
each new item's latency, and every stage interval, from which a stage's wall and busy
time are computed.

A stage runs as many instances at once (fetches wait together on the event loop, near-dup
checks and claims run in threads), so the sum of its durations, its busy time, can be
many times the pass's wall time; the union of its intervals, its wall time, cannot.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

STAGES = ("fetch", "parse", "seen", "classify", "neardup", "claim", "surge")

COUNTED_BY_PASS = frozenset({"fetch", "parse", "seen"})
"""Stages timed before their item count is known (`Runtime.timed` takes it at the start),
so they report 0 items: through them went every item the pass parsed."""

_FETCH_STARTED: ContextVar[float] = ContextVar("fetch_started")
"""When the current feed poll's fetch started: each poll is a task with its own context,
which its Redis steps in threads carry along (asyncio.to_thread copies it)."""


@dataclass
class Latencies:
    """Each new item's time from its feed's fetch to its claim."""

    seconds: list[float] = field(default_factory=list)

    def stage(self, name: str, started: float, ended: float, items: int) -> None:
        if name == "fetch":
            _FETCH_STARTED.set(started)
        elif name == "claim":  # one batch per feed: one latency per item claimed in it
            self.seconds += [ended - _FETCH_STARTED.get()] * items


@dataclass(frozen=True, slots=True)
class Interval:
    started: float  # perf_counter
    ended: float
    items: int


@dataclass
class Intervals:
    """Every interval of every stage, as told (from threads too: a list append is atomic)."""

    by_stage: dict[str, list[Interval]] = field(default_factory=dict)

    def stage(self, name: str, started: float, ended: float, items: int) -> None:
        self.by_stage.setdefault(name, []).append(Interval(started, ended, items))

    def table(self, items_parsed: int) -> dict[str, dict[str, Any]]:
        """Per stage: items through it, wall and busy seconds, items per wall-second."""
        out = {}
        for stage in STAGES:
            spans = self.by_stage.get(stage, [])
            items = items_parsed if stage in COUNTED_BY_PASS else sum(s.items for s in spans)
            wall = wall_seconds(spans)
            out[stage] = {"items": items, "wall_seconds": round(wall, 4),
                          "busy_seconds": round(sum(s.ended - s.started for s in spans), 4),
                          "items_per_wall_second": round(items / wall, 1) if wall and items else None}
        return out


def wall_seconds(spans: Iterable[Interval]) -> float:
    """The length of the union of the intervals: time during which at least one ran."""
    total, reach = 0.0, float("-inf")  # reach: the end of the union so far
    for span in sorted(spans, key=lambda s: s.started):
        if span.ended > reach:
            total += span.ended - max(span.started, reach)
            reach = span.ended
    return total
