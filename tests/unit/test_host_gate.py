"""article.HostGate's rests: the expired are dropped in sweeps whose work the rests pay for
(amortised O(1) a call), never a sweep per call; and the gate stays bounded. The clock is
the test's (article's `time` replaced): nothing here is timed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from monitor.ingest import article

HOSTS = 20_000


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    # article's own name for the module only: time.monotonic itself stays, for everything else
    monkeypatch.setattr(article, "time", SimpleNamespace(monotonic=fake.monotonic))
    return fake


class Sweeps:
    """Counts the times `rest` rebuilt the gate's dict, and the entries those rebuilds went
    over (each rebuild reads every entry of the dict it replaces)."""

    def __init__(self, gate: article.HostGate) -> None:
        self.gate, self.seen = gate, gate._until
        self.rebuilds = self.work = 0

    def after_a_rest(self) -> None:
        if self.gate._until is not self.seen:
            self.rebuilds += 1
            self.work += len(self.seen)  # the old dict, as the rebuild read it: left alone since
            self.seen = self.gate._until


def test_20000_hosts_put_to_rest_are_not_swept_at_every_call(clock: Clock) -> None:
    """Fault: `rest` rebuilt its dict at every call, going over every resting host: 20,000
    hosts put to rest one after another read ~200 million entries (8-10 s of the event loop).
    Now a sweep comes once the dict has doubled: 14 of them, 32,752 entries read in all."""
    gate = article.HostGate()
    sweeps = Sweeps(gate)
    for i in range(HOSTS):
        gate.rest(f"h{i}.example", 60)
        sweeps.after_a_rest()
    assert len(gate._until) == HOSTS  # every one still resting: none may go
    assert sweeps.rebuilds <= HOSTS.bit_length()  # doubling: 15 for 20,000
    assert sweeps.work <= 2 * HOSTS
    assert all(gate.resting(f"h{i}.example") for i in range(0, HOSTS, 997))


def test_hosts_whose_rest_is_over_are_dropped_and_the_gate_stays_bounded(clock: Clock) -> None:
    """Every host rests 1 s and the clock moves on 1 s a call, so each rest but the last is
    over: the dict never holds more than a few entries, whatever the number of hosts."""
    gate = article.HostGate()
    sweeps = Sweeps(gate)
    biggest = 0
    for i in range(HOSTS):
        gate.rest(f"h{i}.example", 1)
        sweeps.after_a_rest()
        biggest = max(biggest, len(gate._until))
        clock.now += 1
    assert biggest <= 3
    assert sweeps.work <= 2 * HOSTS


def test_a_mix_of_long_and_short_rests_keeps_within_twice_the_resting(clock: Clock) -> None:
    """One host in ten rests an hour, the others a second, the clock moving on a second a
    call: the dict holds at most twice the most hosts resting at once (plus one), and
    `resting` answers as the rests say for those swept and those not yet."""
    gate = article.HostGate()
    sweeps = Sweeps(gate)
    most_live = biggest = 0
    for i in range(HOSTS):
        gate.rest(f"h{i}.example", 3_600 if i % 10 == 0 else 1)
        sweeps.after_a_rest()
        most_live = max(most_live, sum(1 for t in gate._until.values() if t > clock.now))
        biggest = max(biggest, len(gate._until))
        clock.now += 1
    assert most_live == 361  # the last hour's long rests, and the one just begun
    assert biggest <= 2 * most_live + 1
    assert sweeps.work <= 3 * HOSTS
    recent = range(HOSTS - 3_000, HOSTS)  # long rests not over yet: the last hour's
    assert all(gate.resting(f"h{i}.example") == (i % 10 == 0) for i in recent)
    assert not any(gate.resting(f"h{i}.example") for i in range(0, HOSTS - 3_600, 10))


def test_a_second_rest_of_a_host_keeps_the_later_end(clock: Clock) -> None:
    gate = article.HostGate()
    gate.rest("a.example", 600)
    gate.rest("a.example", 5)  # a shorter Retry-After does not cut the rest short
    assert gate.resting("a.example", now=clock.now + 599)
    assert not gate.resting("a.example", now=clock.now + 601)
