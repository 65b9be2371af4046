"""Several `monitor run` workers on one Redis, one of them killed with SIGKILL mid-cycle."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.articles import OFF_TOPIC, ON_TOPIC, rss

# Three `monitor run` processes over two poll intervals: seconds (see README, Tests).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FEEDS = 50
INTERVAL = 6.0  # the killed worker's leases (5 s, the minimum) lapse before the next cycle


def test_three_workers_one_killed(feed_server, json_receiver, make_settings) -> None:
    for n in range(FEEDS):
        title, text = ON_TOPIC[n % len(ON_TOPIC)]
        feed_server.set(f"/f{n}.xml", rss([(f"https://news.example.org/f{n}/story", f"{title} ({n})", text),
                                           (f"https://news.example.org/f{n}/other", *OFF_TOPIC[n % 3])]),
                        delay=0.3)
    path = make_settings({f"f{n}": feed_server.url(f"/f{n}.xml") for n in range(FEEDS)},
                         {"hook": json_receiver.url},
                         extra="[dedup]\nnear_duplicates = false\n", score_workers=1)
    text = path.read_text().replace('interval = "1h"', f'interval = "{INTERVAL:.0f}s"')
    path.write_text(text.replace("[monitor]\n", "[monitor]\nconcurrency = 5\n", 1))

    workers = [subprocess.Popen([sys.executable, "-m", "monitor.cli", "--settings", str(path), "run"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"}) for _ in range(3)]
    try:
        deadline = time.time() + 30
        while len(feed_server.requests) < 8 and time.time() < deadline:
            time.sleep(0.02)
        workers[0].send_signal(signal.SIGKILL)  # in the middle of the first cycle
        workers[0].wait(timeout=5)
        deadline = time.time() + 2.5 * INTERVAL
        while len(json_receiver.received) < FEEDS and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # anything sent twice would arrive by now
    finally:
        for proc in workers[1:]:
            proc.send_signal(signal.SIGTERM)
        for proc in workers[1:]:
            assert proc.wait(timeout=15) == 0

    titles = collections.Counter(m["title"] for m in json_receiver.received)
    expected = {f"[Turkey–Russia–Syria escalation] {ON_TOPIC[n % len(ON_TOPIC)][0]} ({n})" for n in range(FEEDS)}
    assert set(titles) == expected, f"missing: {expected - set(titles)}"
    assert max(titles.values()) == 1, [t for t, c in titles.items() if c > 1]
    # No feed polled twice within one interval (polls of a feed are at least 0.8 of it apart).
    times: dict[str, list[float]] = collections.defaultdict(list)
    for request in feed_server.requests:
        times[request["path"]].append(request["time"])
    for feed, stamps in times.items():
        gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
        assert all(gap >= 0.75 * INTERVAL for gap in gaps), (feed, gaps)
