"""Docs that cannot drift: every settings key, with its default, and every command is in
README.md, CI runs the README's own test command, and .ci/floors.txt pins each dependency
at its pyproject.toml floor."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from pydantic import BaseModel

from monitor import settings
from monitor.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


SECTIONS: dict[str, type[BaseModel]] = {
    "[monitor]": settings.MonitorSection, "[dedup]": settings.DedupSection,
    "[alerts]": settings.AlertsSection, "[[feeds]]": settings.Feed,
    "[topics.NAME]": settings.Topic, "[channels.NAME]": settings.Channel,
}
# The keys a table needs before any other key of it can be validated.
REQUIRED = {settings.Feed: {"name": "f", "url": "https://example.org/feed"},
            settings.Topic: {"title": "T", "threshold": 0.5}, settings.Channel: {"url": "console://"}}
# README's words for a default that is no value: "none", or the value the key inherits.
NO_VALUE = ("none", "`[monitor] interval`")


def _keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _rows(heading: str) -> dict[str, str]:
    """The first table under README's `### `heading``: key -> its default cell."""
    assert f"### `{heading}`" in README, heading
    table = re.search(r"(?:^\|.*\n)+", README.split(f"### `{heading}`", 1)[1], re.M)
    assert table, heading
    return dict(re.findall(r"^\| `(\w+)` \| (.+?) \| ", table.group(0), re.M))


def test_every_settings_key_is_documented() -> None:
    for heading, model in SECTIONS.items():
        section = README.split(f"### `{heading}`", 1)[1].split("\n### ", 1)[0]
        for key in _keys(model):
            assert f"| `{key}` |" in section, f"{heading} {key} is not documented in README.md"


def _documented(model: type[BaseModel], key: str, cell: str) -> Any:
    """The value README's default cell means, read as settings.toml and validated as the key
    is (so `"10m"` is 600.0 seconds); None for a documented "no value"."""
    if cell in NO_VALUE:
        return None
    literal = re.fullmatch(r"`(.+)`", cell)
    assert literal, f"{key}: default {cell!r} is neither `a TOML value` nor one of {NO_VALUE}"
    value = tomllib.loads(f"value = {literal.group(1)}")["value"]
    return getattr(model.model_validate({**REQUIRED.get(model, {}), key: value}), key)


@pytest.mark.parametrize("heading", SECTIONS)
def test_every_documented_default_is_the_real_one(heading: str) -> None:
    model, rows = SECTIONS[heading], _rows(heading)
    assert set(rows) == set(_keys(model)), f"{heading}: README rows and settings keys differ"
    for key, field in model.model_fields.items():
        cell = rows[key]
        if field.is_required():
            assert cell == "required", f"{heading} {key}: required, README says {cell}"
        else:
            real = field.get_default(call_default_factory=True)
            assert _documented(model, key, cell) == real, f"{heading} {key}: README {cell}, default {real!r}"


def test_every_command_is_documented() -> None:
    parser = cli._parser()
    commands = next(a for a in parser._actions if a.dest == "==SUPPRESS==" or a.choices)
    for name in commands.choices:
        assert re.search(rf"^    monitor {re.escape(name)}\b", README, re.M), name


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"^    (python3 -m venv .*)$", README, re.M)
    assert len(blocks) == 2, blocks
    run, test = blocks
    assert "monitor run" in run and "pytest" in test
    assert test in ci


def test_the_floors_file_pins_every_dependency_at_its_lower_bound() -> None:
    """A pin above its bound must say why (the registry has no such release)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = {canonicalize_name(r.name): r for r in map(Requirement, pyproject["project"]["dependencies"])}
    pins: dict[str, tuple[Version, str]] = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text(encoding="utf-8").splitlines():
        pin, _, why = line.partition("#")
        if pin.strip():
            name, version = pin.strip().split("==")
            pins[canonicalize_name(name)] = Version(version), why.strip()
    assert pins.keys() == wanted.keys(), f"in one of the two only: {sorted(pins.keys() ^ wanted.keys())}"
    for name, (version, why) in pins.items():
        specifier = wanted[name].specifier
        assert version in specifier, f"{name} {version} outside {specifier}"
        (lower,) = [Version(s.version) for s in specifier if s.operator == ">="]
        assert version == lower or why, f"{name}: {version} pinned above its floor {lower} with no reason"
