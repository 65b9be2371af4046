"""The surge test, as pure functions of a topic's counts and the time.

A topic's distinct stories are counted in time buckets (SURGE_BUCKET, by each story's first
copy's published time). The window is the last `surge_window` of buckets, the current one
included; the baseline is the topic's own history before it, at most `surge_baseline` long,
and only what this monitor watched (from the topic's first recorded story on). With `n`
stories over a baseline of `T` seconds, the usual count of a window of `W` seconds is
`expected = (n + SURGE_PRIOR_STORIES) / T * W`, and a window of `k` stories is a surge when

    P(X >= k) <= surge_sensitivity  for X ~ Poisson(expected),
    k >= SURGE_MIN_STORIES and the window's distinct sources >= surge_min_sources.

A surge stays on (its "plateau") while windows stay elevated, P(X >= k) <= sqrt(sensitivity);
it ends a window after the last elevated one. While on, it alerts again only for a window of
SURGE_AGAIN times the surge's size (the most stories of a window within a window of its last
alert), a window or more after that alert.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from monitor import defaults

State = Literal["learning", "quiet", "elevated", "surge", "off"]
BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class SurgeConfig:
    """One topic's surge settings, and what its alert needs (built by wiring.py)."""

    topic: str
    title: str
    threshold: float  # an item counts for the topic from this score on
    notify: tuple[str, ...]
    window: float = defaults.SURGE_WINDOW
    min_sources: int = defaults.SURGE_MIN_SOURCES
    sensitivity: float = defaults.SURGE_SENSITIVITY
    baseline: float = defaults.SURGE_BASELINE
    story_ttl: float = defaults.DEDUP_WINDOW  # a story counts once within this (at least a window)
    bucket: float = defaults.SURGE_BUCKET
    min_history: float = defaults.SURGE_MIN_HISTORY
    min_stories: int = defaults.SURGE_MIN_STORIES
    prior_stories: int = defaults.SURGE_PRIOR_STORIES
    again: float = defaults.SURGE_AGAIN
    top: int = defaults.SURGE_TOP

    @property
    def window_buckets(self) -> int:
        return max(1, math.ceil(self.window / self.bucket - 1e-9))

    def bucket_of(self, moment: float) -> int:
        return int(moment // self.bucket)


@dataclass(frozen=True)
class Verdict:
    """A topic's window at one moment, against its usual rate."""

    topic: str
    now: float
    stories: int  # distinct stories first seen in the window
    sources: int  # distinct sources in the window (-1: not read)
    expected: float  # stories a window holds at the usual rate
    p_value: float  # P(X >= stories), X ~ Poisson(expected)
    history: float  # seconds of baseline watched
    positive: bool  # a surge by the test
    elevated: bool  # high enough to keep a surge on

    @property
    def learning(self) -> bool:
        return self.expected < 0


TAIL_EPS = 1e-17  # a series stops when its next term adds less than this share


def tail(k: int, expected: float) -> float:
    """P(X >= k) for X ~ Poisson(expected), to double precision (tests hold it to scipy's
    pdtrc). Worked out here because scipy.special was the only import of scipy in the
    service's own process: 26 MB of its memory and 0.16 s of its start."""
    if k <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    if expected < k + 1:  # the tail is the smaller part: its series, P(X = k) x sum of ratios
        term = total = 1.0
        n = 0
        while term > total * TAIL_EPS:
            n += 1
            term *= expected / (k + n)
            total += term
        return min(1.0, math.exp(k * math.log(expected) - expected - math.lgamma(k + 1)) * total)
    # else 1 - P(X < k): P(X = k - 1), P(X = k - 2) ... fall from the mode downwards
    term = total = math.exp((k - 1) * math.log(expected) - expected - math.lgamma(k))
    i = k - 1
    while i > 0 and term > total * TAIL_EPS:
        term *= i / expected
        i -= 1
        total += term
    return max(0.0, 1.0 - total)


def _span(cfg: SurgeConfig, since: float | None, now: float) -> tuple[int, int, int]:
    """(the baseline's first bucket, the window's first bucket, the current bucket)."""
    current = cfg.bucket_of(now)
    first = current - cfg.window_buckets + 1
    start = max(cfg.bucket_of(since), cfg.bucket_of(now - cfg.baseline)) if since is not None else first
    return start, first, current


def sums(cfg: SurgeConfig, counts: Mapping[int, int], since: float | None, now: float) -> tuple[int, int]:
    """(stories in the window, stories in the baseline before it) of counts by bucket, as
    the record script (lua.py) sums them in Redis."""
    start, first, current = _span(cfg, since, now)
    return (sum(c for b, c in counts.items() if first <= b <= current),
            sum(c for b, c in counts.items() if start <= b < first))


def assess(cfg: SurgeConfig, k: int, n: int, since: float | None, now: float, sources: int) -> Verdict:
    """The test of the window ending now: `k` stories in it, `n` in the baseline before it,
    `since` when the topic's history began (None: never). Too little history: `expected`
    is -1 and nothing fires."""
    start, first, _ = _span(cfg, since, now)
    history = max(0.0, (first - start) * cfg.bucket)
    if since is None or history < cfg.min_history:
        return Verdict(cfg.topic, now, k, sources, -1.0, 1.0, history, False, False)
    expected = (n + cfg.prior_stories) / history * cfg.window_buckets * cfg.bucket
    p = tail(k, expected)
    big = k >= cfg.min_stories
    return Verdict(cfg.topic, now, k, sources, expected, p, history,
                   big and sources >= cfg.min_sources and p <= cfg.sensitivity,
                   big and p <= math.sqrt(cfg.sensitivity))


def state(verdict: Verdict, active: bool) -> State:
    if verdict.learning:
        return "learning"
    if active:
        return "surge"
    return "elevated" if verdict.elevated else "quiet"


def sparkline(counts: Mapping[int, int], cfg: SurgeConfig, now: float, days: int = 7, per_day: int = 4) -> str:
    """The topic's stories over the last `days`, `per_day` bars a day, oldest first."""
    span = defaults.DAY / per_day
    end = cfg.bucket_of(now) + 1
    bins = [0] * (days * per_day)
    for b, c in counts.items():
        age = (end - b) * cfg.bucket
        slot = len(bins) - 1 - int((age - cfg.bucket) // span)
        if 0 <= slot < len(bins):
            bins[slot] += c
    top = max(bins)
    if top == 0:
        return BARS[0] * len(bins)
    return "".join(BARS[min(len(BARS) - 1, math.ceil(c / top * (len(BARS) - 1)))] for c in bins)
