"""The command line as a script or an impatient operator uses it: options after the
command, output piped into `head`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli.main import PIPE_CLOSED, main
from tests.articles import ON_TOPIC
from tests.conftest import ROOT


def test_settings_is_accepted_after_the_command(make_settings, tmp_path: Path, capsys) -> None:
    """Fault: `monitor feeds list --settings X` was refused ("unrecognized arguments")."""
    path = make_settings({"a": "http://127.0.0.1:9/a.xml"})
    assert main(["feeds", "list", "--settings", str(path)]) == 0
    assert capsys.readouterr().out.startswith("a ")
    assert main(["feeds", "--settings", str(path), "-v", "list"]) == 0
    # After the command, it wins over one before it; before it, it still works alone.
    assert main(["--settings", str(tmp_path / "none.toml"), "score", "--settings", str(path),
                 str(_article(tmp_path))]) == 0
    assert "turkey_russia_syria" in capsys.readouterr().out
    assert main(["--settings", str(path), "feeds", "list"]) == 0
    assert capsys.readouterr().out.startswith("a ")


def _article(tmp_path: Path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(" ".join(ON_TOPIC[0]), encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("command", [["score", "--json", "-"], ["tune"]])
def test_output_piped_into_head_stops_quietly(command: list[str], make_settings) -> None:
    """Fault: `monitor score --json | head` and `monitor tune | head` printed a
    BrokenPipeError traceback once `head` had exited."""
    path = make_settings({})
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--settings", str(path), *command],
                            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the command writes (it starts in ~1 s)
    _, err = proc.communicate(" ".join(ON_TOPIC[0]), timeout=60)
    assert (proc.returncode, err) == (PIPE_CLOSED, "")
