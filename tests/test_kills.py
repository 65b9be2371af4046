"""The whole service killed at seeded random moments, then run until quiet: every on-topic
story alerted once (and followed up once at its third source), nothing sent twice but
what a kill between the channel taking an alert and Redis recording it explains, the
outbox drained, no process left (tests/kill_harness.py has the harness and its long run).

    MONITOR_KILL_ROUNDS=150 MONITOR_KILL_SEED=1 .venv/bin/pytest -n 0 -s tests/test_kills.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.kill_harness import Harness

# `monitor run` started and killed 12 times, each start a few seconds (see README, Tests).
pytestmark = pytest.mark.slow

ROUNDS = int(os.environ.get("MONITOR_KILL_ROUNDS", "12"))
SEED = int(os.environ.get("MONITOR_KILL_SEED", "7"))


@pytest.mark.timeout(max(240, ROUNDS * 20))
def test_random_kills_lose_no_alert_and_send_none_twice(tmp_path: Path) -> None:
    report = Harness(tmp_path, SEED, ROUNDS, kill_after=(0.3, 1.5)).run()
    print(report.summary())
    assert report.ok, report.summary()
    assert report.kills and report.received >= report.expected > 0
