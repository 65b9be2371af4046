"""open_files.py: the soft limit of open files is raised to OPEN_FILES, or to the hard limit
if lower, and never lowered. `resource` is replaced by a fake here (the test process's own
limit is left alone); test_run.py shows `monitor run` raising its own."""

from __future__ import annotations

import logging
import resource

import pytest

from monitor import open_files
from monitor.limits import OPEN_FILES

INFINITY = resource.RLIM_INFINITY


class Limits:
    """getrlimit and setrlimit of RLIMIT_NOFILE, on a (soft, hard) pair of the test's."""

    def __init__(self, soft: int, hard: int, refuse: bool = False) -> None:
        self.soft, self.hard, self.refuse = soft, hard, refuse
        self.sets: list[tuple[int, int]] = []

    def getrlimit(self, which: int) -> tuple[int, int]:
        assert which == resource.RLIMIT_NOFILE
        return self.soft, self.hard

    def setrlimit(self, which: int, limits: tuple[int, int]) -> None:
        assert which == resource.RLIMIT_NOFILE
        if self.refuse:
            raise ValueError("not allowed to raise maximum limit")
        self.sets.append(limits)
        self.soft, self.hard = limits


@pytest.fixture
def limits(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Limits:
    """The fake, made of the test's `(soft, hard[, refuse])` parameter."""
    fake = Limits(*request.param)
    monkeypatch.setattr(open_files.resource, "getrlimit", fake.getrlimit)
    monkeypatch.setattr(open_files.resource, "setrlimit", fake.setrlimit)
    return fake


@pytest.mark.parametrize(("limits", "raised"), [
    ((1024, 524_288), OPEN_FILES),  # systemd's default: up to OPEN_FILES
    ((1024, 4096), 4096),  # a hard limit below OPEN_FILES: up to it
    ((1024, INFINITY), OPEN_FILES),  # no hard limit (macOS): OPEN_FILES, not infinity
], indirect=["limits"])
def test_the_soft_limit_is_raised_once_and_logged(limits: Limits, raised: int,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="monitor"):
        assert open_files.raise_soft_limit() == (1024, raised)
        assert open_files.raise_soft_limit() is None  # already so: nothing more
    assert limits.sets == [(raised, limits.hard)]
    assert [r.getMessage() for r in caplog.records] == [
        f"open files: soft limit raised from 1024 to {raised} (hard limit "
        f"{'unlimited' if limits.hard == INFINITY else limits.hard})"]


@pytest.mark.parametrize("limits", [
    (100_000, 524_288),  # already higher: never lowered
    (INFINITY, INFINITY),
    (4096, 4096),  # already at the hard limit
], indirect=True)
def test_a_soft_limit_already_as_high_is_left(limits: Limits) -> None:
    assert open_files.raise_soft_limit() is None
    assert limits.sets == []


@pytest.mark.parametrize("limits", [(1024, 524_288, True)], indirect=True)
def test_a_refusal_is_logged_and_the_limit_stays(limits: Limits, caplog: pytest.LogCaptureFixture) -> None:
    assert open_files.raise_soft_limit() is None
    assert (limits.soft, limits.hard) == (1024, 524_288)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"open files: could not raise the soft limit from 1024 to {OPEN_FILES}: "
                    "not allowed to raise maximum limit")]
