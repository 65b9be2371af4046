"""The `monitor` command as users run it: a real subprocess against local servers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.articles import OFF_TOPIC, ON_TOPIC, rss

ROOT = Path(__file__).resolve().parent.parent


def monitor(*args: str, settings: Path | None = None, timeout: float = 60,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "monitor.cli"]
    if settings is not None:
        cmd += ["--settings", str(settings)]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout,
                          input=stdin, cwd=ROOT)


def test_bad_settings_exit_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[monitor]\nredis_url = ""\n[topics.t]\ntitle = "T"\nthreshold = 2\n', encoding="utf-8")
    result = monitor("check", settings=path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"{path}: topics.t.threshold: must be between 0 and 1 (got 2.0)"


@pytest.mark.slow
def test_poll_once_then_status(feed_server, json_receiver, make_settings) -> None:
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0]), ("o1", *OFF_TOPIC[0])]))
    feed_server.set("/b.xml", "down", status=503)
    path = make_settings({"a": feed_server.url("/a.xml"), "b": feed_server.url("/b.xml")},
                         {"hook": json_receiver.url})
    result = monitor("poll", "--once", settings=path)
    assert result.returncode == 1, result.stderr  # one feed failed
    assert "a: ok items=2 new=2 alerts=1" in result.stdout
    assert "b: error" in result.stdout and "HTTP 503" in result.stdout
    assert len(json_receiver.received) == 1

    status = monitor("status", "--json", settings=path)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["feeds"]["a"]["last_status"] == "ok" and data["feeds"]["a"]["alerts"] == 1
    assert data["feeds"]["b"]["errors"] == 1 and data["feeds"]["b"]["last_error"] == "HTTP 503"
    assert data["outbox"] == {"queued": 0, "sending": 0, "retry": 0, "dead": 0, "held": 0}
    # the server's memory, to watch state settle over months: the poll left keys behind
    assert data["redis"]["keys"] > 5 and data["redis"]["used_memory_peak"] >= data["redis"]["used_memory"] > 0
    text = monitor("status", settings=path).stdout
    assert "HTTP 503" in text and "outbox: queued 0" in text
    assert re.search(r"^redis: used_memory \d+\.\d MB \(peak \d+\.\d MB\), \d+ keys in its database$", text, re.M)


@pytest.mark.slow
def test_check_and_notify_test(json_receiver, make_settings, monkeypatch) -> None:
    path = make_settings({}, {"hook": json_receiver.url})
    result = monitor("check", settings=path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "channel hook: ok" in result.stdout and "model:" in result.stdout
    result = monitor("notify-test", "hook", settings=path)
    assert result.returncode == 0 and "channel hook: sent" in result.stdout
    assert json_receiver.received[0]["title"].startswith("Test: ")
    assert monitor("notify-test", "nope", settings=path).returncode == 2  # bad input


@pytest.mark.slow
def test_run_stops_cleanly_on_sigterm(feed_server, json_receiver, make_settings) -> None:
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[3])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url})
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--settings", str(path), "run"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.time() + 30
        while not json_receiver.received and time.time() < deadline:
            time.sleep(0.1)
        assert len(json_receiver.received) == 1
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        assert code == 0 and time.monotonic() - started < 10
        assert "stopped" in proc.stderr.read()
    finally:
        proc.kill()


@pytest.mark.slow
def test_feeds_add_remove_list_keep_comments(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    original = (ROOT / "settings.toml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    added = monitor("feeds", "add", "local", "https://example.org/rss.xml", "--interval", "15m", settings=path)
    assert added.returncode == 0, added.stderr
    text = path.read_text(encoding="utf-8")
    assert 'name = "local"' in text and 'interval = "15m"' in text
    assert "# Secrets never go in this file" in text and "# empty: embedded Redis" in text
    listed = monitor("feeds", "list", settings=path).stdout
    assert "local" in listed and "every 15m" in listed and "aljazeera" in listed
    assert 'interval = "15m"\n\n[topics' in text  # a blank line after the added table
    duplicate = monitor("feeds", "add", "local", "https://example.org/x.xml", settings=path)
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    same_url = monitor("feeds", "add", "again", "https://example.org/rss.xml", settings=path)  # as import refuses it
    assert same_url.returncode == 2 and "feed 'local' already has this URL" in same_url.stderr
    bad = monitor("feeds", "add", "Bad Name", "https://example.org/x.xml", settings=path)
    assert bad.returncode == 2 and "must match [a-z0-9_-]+" in bad.stderr
    assert monitor("feeds", "remove", "local", settings=path).returncode == 0
    assert path.read_text(encoding="utf-8") == original


@pytest.mark.slow
def test_label_export_tune_and_outbox(feed_server, json_receiver, make_settings, tmp_path: Path) -> None:
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[1]), ("o1", *OFF_TOPIC[1])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url})
    assert monitor("poll", "--once", settings=path).returncode == 0
    alert_id = json_receiver.received[0]["message"].rsplit("Alert id: ", 1)[1].strip()
    labelled = monitor("label", alert_id, "relevant", settings=path)
    assert labelled.returncode == 0 and "relevant for turkey_russia_syria" in labelled.stdout
    assert monitor("label", "nosuchid", "relevant", settings=path).returncode == 2
    out = tmp_path / "labels.jsonl"
    assert monitor("label", "export", str(out), settings=path).returncode == 0
    [line] = [json.loads(x) for x in out.read_text().splitlines()]
    assert line["topics"] == ["turkey_russia_syria"] and ON_TOPIC[1][0] in line["text"]
    tune = monitor("tune", "turkey_russia_syria", settings=path)
    assert tune.returncode == 0, tune.stderr
    assert "precision of sent alerts: 1.00 (1 of 1 labelled alerts relevant)" in tune.stdout
    assert "<- current" in tune.stdout and "cv precision" in tune.stdout
    assert monitor("tune", "turkey_russia_syria", "--set", "0.7", settings=path).returncode == 0
    assert "threshold = 0.7" in path.read_text()
    box = json.loads(monitor("outbox", "--json", settings=path).stdout)
    assert box["alerts"] == [] and box["counts"]["queued"] == 0 and box["counts"]["dead"] == 0


def test_an_edit_keeps_the_settings_files_mode(tmp_path: Path) -> None:
    # mkstemp's 0600 replaced a root-owned 0644 file (`tune --set`, `feeds add`: one writer),
    # and the service's user could no longer read it
    path = tmp_path / "settings.toml"
    path.write_text((ROOT / "settings.toml").read_text(encoding="utf-8"), encoding="utf-8")
    path.chmod(0o644)
    assert monitor("feeds", "add", "local", "https://example.org/rss.xml", settings=path).returncode == 0
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.slow
def test_poll_once_deletes_the_state_of_a_removed_feed_and_channel(feed_server, make_settings, rc) -> None:
    """Cron mode (`poll --once`) prunes as the service's start does: a feed renamed and a
    digest channel replaced in settings.toml kept their keys for good (no TTL), and the
    old channel's folded alerts were never sent nor reported."""
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0])]))
    digest = 'mode = "digest"\ndigest_every = "1d"\n'
    path = make_settings({"alpha": feed_server.url("/a.xml")}, {"desk": "console://"}, extra=digest)
    assert monitor("poll", "--once", settings=path).returncode == 0
    assert rc.exists("monitor:feed:alpha") and rc.llen("monitor:digest:desk") == 1
    path = make_settings({"beta": feed_server.url("/a.xml")}, {"desk2": "console://"}, extra=digest)
    result = monitor("poll", "--once", settings=path)
    assert result.returncode == 0, result.stderr
    assert not rc.exists("monitor:feed:alpha", "monitor:channel:desk", "monitor:digest:desk")
    assert "state of 1 removed feed(s) deleted: alpha" in result.stderr
    assert "1 alert(s) folded for removed channel 'desk' were never sent" in result.stderr
