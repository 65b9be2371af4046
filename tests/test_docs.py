"""Docs that cannot drift: every settings key and command is in README.md, and CI runs the
README's own test command."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from monitor import settings
from monitor.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def test_every_settings_key_is_documented() -> None:
    sections = {
        "[monitor]": settings.MonitorSection, "[dedup]": settings.DedupSection,
        "[alerts]": settings.AlertsSection, "[[feeds]]": settings.Feed,
        "[topics.NAME]": settings.Topic, "[channels.NAME]": settings.Channel,
    }
    for heading, model in sections.items():
        assert f"### `{heading}`" in README, heading
        section = README.split(f"### `{heading}`", 1)[1].split("\n### ", 1)[0]
        for key in _keys(model):
            assert f"| `{key}` |" in section, f"{heading} {key} is not documented in README.md"


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
