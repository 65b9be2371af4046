"""console://'s alerts.jsonl is rotated at a size, as logrotate would: a service that runs
for months holds a bounded amount of it, and no alert line is lost or written twice."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import apprise
import pytest

from monitor import defaults
from monitor.delivery import channels


def lines_of(target: Path, keep: int) -> list[str]:
    """Every line of the file and its rotated generations, oldest first."""
    files = [target.with_name(f"{target.name}.{n}") for n in range(keep, 0, -1)] + [target]
    return [line for f in files if f.exists() for line in f.read_text(encoding="utf-8").splitlines()]


def test_the_file_is_rotated_at_its_size_and_the_oldest_generation_goes(tmp_path: Path) -> None:
    target = tmp_path / "alerts.jsonl"
    written = [json.dumps({"n": n, "text": "x" * 40}) for n in range(100)]
    for line in written:
        channels.append_line(target, line, max_bytes=500, keep=3)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["alerts.jsonl", "alerts.jsonl.1", "alerts.jsonl.2", "alerts.jsonl.3"]
    kept = lines_of(target, 3)
    assert kept == written[-len(kept):]  # the newest, in order, each once
    assert all(p.stat().st_size <= 500 + len(written[0]) + 1 for p in tmp_path.iterdir())


def test_with_no_generations_kept_a_full_file_starts_afresh(tmp_path: Path) -> None:
    target = tmp_path / "alerts.jsonl"
    written = [json.dumps({"n": n, "text": "x" * 40}) for n in range(30)]
    for line in written:
        channels.append_line(target, line, max_bytes=500, keep=0)
    assert [p.name for p in tmp_path.iterdir()] == ["alerts.jsonl"]
    kept = target.read_text(encoding="utf-8").splitlines()
    assert kept == written[-len(kept):] and 0 < target.stat().st_size <= 500 + len(written[0]) + 1


def test_no_line_is_lost_or_torn_when_threads_append_across_rotations(tmp_path: Path) -> None:
    target = tmp_path / "alerts.jsonl"

    def send(worker: int) -> None:
        for n in range(150):
            channels.append_line(target, json.dumps({"worker": worker, "n": n}), max_bytes=2_000, keep=10_000)

    threads = [threading.Thread(target=send, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = [json.loads(line) for line in lines_of(target, 10_000)]
    assert sorted((r["worker"], r["n"]) for r in records) == [(w, n) for w in range(6) for n in range(150)]
    assert len(list(tmp_path.iterdir())) > 8  # ~22 KB of lines in files of 2 KB


def test_alerts_sent_through_console_rotate_with_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(defaults, "JSONL_MAX_BYTES", 300)
    monkeypatch.setattr(defaults, "JSONL_KEEP", 50)
    target = tmp_path / "alerts.jsonl"
    sender = apprise.Apprise()
    assert sender.add(channels.with_defaults("console://", tmp_path))
    for n in range(20):
        assert sender.notify(title=f"alert {n}", body="Turkish and Russian officials met on Idlib.")
    assert [json.loads(line)["title"] for line in lines_of(target, 50)] == [f"alert {n}" for n in range(20)]
    assert target.with_name("alerts.jsonl.1").exists()
    assert capsys.readouterr().out.count("alert ") == 20


def test_a_console_url_sets_the_size_and_the_generations_kept(tmp_path: Path) -> None:
    target = tmp_path / "alerts.jsonl"
    sender = apprise.Apprise()
    assert sender.add(channels.with_defaults("console://?rotate=1KB&keep=2", tmp_path))
    for n in range(60):  # ~150 B a line: ~9 KB in all, so the oldest are dropped
        assert sender.notify(title=f"alert {n}", body="Turkish and Russian officials met on Idlib.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alerts.jsonl", "alerts.jsonl.1", "alerts.jsonl.2"]
    kept = [json.loads(line)["title"] for line in lines_of(target, 2)]
    assert kept == [f"alert {n}" for n in range(60 - len(kept), 60)] and len(kept) < 30
    assert all(p.stat().st_size < 1_000 + 200 for p in tmp_path.iterdir())


def test_an_empty_jsonl_prints_the_alerts_and_writes_no_file(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # README: `console://?jsonl=` names no file
    sender = apprise.Apprise()
    assert sender.add(channels.with_defaults("console://?jsonl=", tmp_path))
    assert sender.notify(title="alert 1", body="Turkish and Russian officials met on Idlib.")
    assert "alert 1" in capsys.readouterr().out and list(tmp_path.iterdir()) == []


def test_a_jsonl_key_in_capitals_is_the_one_file_written(tmp_path: Path) -> None:
    # apprise reads query keys in lower case: JSONL=mine.jsonl is the file, under data_dir
    sender = apprise.Apprise()
    assert sender.add(channels.with_defaults("console://?JSONL=mine.jsonl", tmp_path))
    assert sender.notify(title="alert 1", body="Turkish and Russian officials met on Idlib.")
    assert [p.name for p in tmp_path.iterdir()] == ["mine.jsonl"]
    assert [json.loads(line)["title"] for line in lines_of(tmp_path / "mine.jsonl", 1)] == ["alert 1"]


def test_a_bad_rotation_that_reaches_a_send_fails_it_with_its_cause(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # settings refuse it at start-up; a URL handed to apprise some other way still loses nothing
    sender = apprise.Apprise()
    assert sender.add(channels.with_defaults("console://?rotate=ten", tmp_path))
    with caplog.at_level(logging.WARNING, logger="apprise"):
        assert not sender.notify(title="alert", body="Turkish and Russian officials met on Idlib.")
    assert "rotate='ten': not a size" in caplog.text and not (tmp_path / "alerts.jsonl").exists()


@pytest.mark.parametrize(("query", "expected"), [
    ({}, (defaults.JSONL_MAX_BYTES, defaults.JSONL_KEEP)),
    ({"rotate": "500KB", "keep": "0"}, (500_000, 0)),
    ({"rotate": "2 mb"}, (2_000_000, defaults.JSONL_KEEP)),
    ({"rotate": "1G", "keep": "12"}, (1_000_000_000, 12)),
    ({"rotate": "4096"}, (4096, defaults.JSONL_KEEP)),
])
def test_rotation_reads_sizes_as_people_write_them(query: dict[str, str], expected: tuple[int, int]) -> None:
    assert channels.rotation(query) == expected


def test_a_rotation_that_fails_still_writes_the_alert(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    target = tmp_path / "alerts.jsonl"
    target.write_text("x" * 100 + "\n")
    (tmp_path / "alerts.jsonl.1").mkdir()  # a directory where the rotated file would go
    (tmp_path / "alerts.jsonl.1" / "held").write_text("")
    with caplog.at_level(logging.WARNING):
        channels.append_line(target, '{"n": 1}', max_bytes=50, keep=1)
    assert target.read_text().splitlines()[-1] == '{"n": 1}'
    assert "not rotated" in caplog.text


def test_a_device_is_written_never_rotated(tmp_path: Path) -> None:
    # /dev/null is not a regular file: it is written, never renamed
    channels.append_line(Path("/dev/null"), '{"n": 1}', max_bytes=0, keep=1)
    assert Path("/dev/null").exists() and not Path("/dev/null.1").exists()


@pytest.mark.timeout(10)
def test_a_file_held_up_holds_up_only_its_own_channels(tmp_path: Path) -> None:
    # One lock served every file: a send stuck on one file (a slow disk, a FIFO) stopped
    # every console channel. The lock is per file, by its resolved path.
    slow, other = tmp_path / "slow.jsonl", tmp_path / "other.jsonl"
    with channels._lock_for(slow):  # a send under way on slow.jsonl, stuck
        channels.append_line(other, '{"n": 1}')
        assert channels._lock_for(tmp_path / "." / "slow.jsonl").locked()  # the same file, spelt otherwise
    assert other.read_text() == '{"n": 1}\n'
