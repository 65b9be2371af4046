"""The package layout installs whole: `pip install .` (not editable) finds only packages
with an __init__.py, so a stage directory without one would be missing from the install."""

from __future__ import annotations

from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_every_directory_of_modules_is_an_installed_package() -> None:
    found = set(find_packages(str(ROOT), include=["monitor*"]))
    dirs = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "monitor").rglob("*.py")
            if "__pycache__" not in p.parts}
    assert dirs <= found, f"directories missing an __init__.py: {sorted(dirs - found)}"
