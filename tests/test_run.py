"""`monitor run` as a real process: health and metrics, reload on SIGHUP and on change."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.articles import ON_TOPIC, rss
from tests.conftest import free_port

# Each test runs `monitor run` as a real process: seconds each (see README, Tests).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def run_monitor() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(settings: Path, open_files: int | None = None) -> subprocess.Popen[str]:
        """`monitor run`; with `open_files`, under that soft limit of open files (as systemd's 1,024)."""
        argv = [sys.executable, "-m", "monitor.cli", "--settings", str(settings), "run"]
        if open_files is not None:  # the shell sets it and becomes the monitor: one pid
            argv = ["sh", "-c", f'ulimit -Sn {open_files} && exec "$@"', "sh", *argv]
        proc = subprocess.Popen(argv,
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_health_and_metrics(feed_server, json_receiver, make_settings, run_monitor) -> None:
    port = free_port()
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}, score_workers=1)
    text = path.read_text().replace("[monitor]\n", f'[monitor]\nhttp = "127.0.0.1:{port}"\n', 1)
    path.write_text(text)
    proc = run_monitor(path)
    wait_for(lambda: json_receiver.received)
    status, body = get(f"http://127.0.0.1:{port}/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    # The receiver holds the alert before the sender hears its answer and counts the send.
    sent = 'monitor_sends_total{channel="hook",result="ok"} 1.0'
    wait_for(lambda: sent in get(f"http://127.0.0.1:{port}/metrics")[1], timeout=10)
    status, body = get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    assert 'monitor_polls_total{feed="a",outcome="ok"} 1.0' in body
    assert 'monitor_items_total{stage="alerted"} 1.0' in body
    assert sent in body
    assert 'monitor_stage_seconds_count{stage="classify"} 1.0' in body
    assert 'monitor_outbox_alerts{state="queued"} 0.0' in body
    assert "monitor_feed_staleness_seconds{feed=\"a\"}" in body and "monitor_info{" in body
    memory = {m[1]: float(m[2]) for m in re.finditer(r'^monitor_redis\{what="(\w+)"\} (\S+)$', body, re.M)}
    assert set(memory) == {"used_memory", "used_memory_peak", "keys"} and min(memory.values()) > 0
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_reload_adds_and_removes_feeds_and_refuses_bad_files(feed_server, json_receiver, second_receiver,
                                                            make_settings, run_monitor) -> None:
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0])]))
    feed_server.set("/b.xml", rss([("t2", *ON_TOPIC[2])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url, "ops": second_receiver.url},
                         notify=["hook"])
    path.write_text(path.read_text().replace("[monitor]\n", '[monitor]\nops_channel = "ops"\n', 1))
    proc = run_monitor(path)
    wait_for(lambda: len(json_receiver.received) == 1)
    good = path.read_text()
    path.write_text(good.replace("[[feeds]]", "colour = 'red'\n[[feeds]]", 1))  # invalid: unknown key
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: second_receiver.received)  # the refusal has reached the operator
    assert proc.poll() is None and len(json_receiver.received) == 1
    added = good.replace("[[feeds]]", f'[[feeds]]\nname = "b"\nurl = "{feed_server.url("/b.xml")}"\n\n[[feeds]]', 1)
    path.write_text(added)  # picked up by the file watcher, no signal needed
    wait_for(lambda: len(json_receiver.received) == 2)
    assert json_receiver.received[1]["title"].endswith(ON_TOPIC[2][0])
    wait_for(lambda: len(second_receiver.received) == 2)  # the operator hears of both, once each
    assert [m["title"] for m in second_receiver.received] == [
        "Monitor: [Monitor health] Settings reload refused", "Monitor: [Monitor health] Settings reload succeeded"]
    assert "alerts.colour: unknown key" in second_receiver.received[0]["message"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    log = proc.stderr.read()
    assert "reload refused, keeping the previous settings" in log and "alerts.colour: unknown key" in log
    assert "settings reloaded: 2 feeds" in log


def test_a_hanging_channel_does_not_hold_up_the_others(feed_server, json_receiver, second_receiver,
                                                       make_settings, run_monitor) -> None:
    json_receiver.delay = 20  # "slow" answers after 20 s, i.e. it hangs for this test
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0]), ("t2", *ON_TOPIC[1]), ("t3", *ON_TOPIC[2])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"slow": json_receiver.url, "fast": second_receiver.url})
    started = time.time()
    proc = run_monitor(path)
    wait_for(lambda: len(second_receiver.received) == 3, timeout=15)
    assert time.time() - started < 15 and json_receiver.received == []
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_state_of_removed_feeds_and_channels_goes_at_start_and_on_reload(
        feed_server, json_receiver, second_receiver, make_settings, run_monitor, redis_client) -> None:
    from monitor import codec
    from monitor.keys import Keys
    from tests.test_delivery import alert

    keys = Keys()
    redis_client.hset(keys.feed("gone"), "last_status", "ok")
    redis_client.zadd(keys.schedule, {"gone": 1.0, "never-polled": 2.0})
    redis_client.hset(keys.channel("old"), "failures", 2)
    redis_client.zadd(keys.sent("old"), {"x": time.time()})
    redis_client.rpush(keys.digest("old"), codec.encode_alert(alert(1, channel="old")))
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0])]))
    feed_server.set("/b.xml", rss([("t2", *ON_TOPIC[2])]))
    path = make_settings({"a": feed_server.url("/a.xml"), "b": feed_server.url("/b.xml")},
                         {"hook": json_receiver.url, "ops": second_receiver.url}, notify=["hook"])
    path.write_text(path.read_text().replace("[monitor]\n", '[monitor]\nops_channel = "ops"\n', 1))
    proc = run_monitor(path)
    wait_for(lambda: second_receiver.received)  # the folded alert is reported, not kept
    message = second_receiver.received[0]["message"]
    assert "1 alert(s) folded for removed channel 'old' were never sent" in message and "Story 1" in message
    wait_for(lambda: len(json_receiver.received) == 2)
    assert not any(redis_client.exists(k) for k in (keys.feed("gone"), keys.channel("old"), keys.sent("old"),
                                                     keys.digest("old")))
    assert redis_client.exists(keys.feed("a")) and redis_client.exists(keys.feed("b"))
    assert set(redis_client.zrange(keys.schedule, 0, -1)) == {b"a", b"b"}
    text = path.read_text()
    start = text.index("[[feeds]]\nname = \"b\"")
    path.write_text(text[:start] + text[text.index("[topics.", start):])  # feed b removed
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: not redis_client.exists(keys.feed("b")))
    assert redis_client.exists(keys.feed("a")) and redis_client.zrange(keys.schedule, 0, -1) == [b"a"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert "state of 1 removed feed(s) deleted: b" in proc.stderr.read()


def test_a_model_retrained_at_the_same_path_is_reloaded(feed_server, make_settings, run_monitor,
                                                        tmp_path: Path) -> None:
    """Issue 18, item 1: `monitor train` writes the configured path; the service picks the new
    model up (and /metrics' monitor_info names it) without a restart."""
    import shutil

    from monitor.model.classify import Classifier
    from monitor.model.train import train

    model = tmp_path / "topics.skops"
    shutil.copy(ROOT / "models" / "topics.skops", model)
    before = Classifier.load(model).version
    port = free_port()
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0])]))
    path = make_settings({"a": feed_server.url("/a.xml")})
    text = path.read_text().replace("[monitor]\n", f'[monitor]\nhttp = "127.0.0.1:{port}"\n', 1)
    path.write_text(text.replace(str(ROOT / "models" / "topics.skops"), str(model)))
    proc = run_monitor(path)

    def metrics() -> str:
        try:
            return get(f"http://127.0.0.1:{port}/metrics")[1]
        except urllib.error.URLError:  # not listening yet
            return ""

    wait_for(lambda: f'model="{before}"' in metrics())
    data = tmp_path / "tiny.jsonl"
    lines = (ROOT / "models" / "train.jsonl").read_text(encoding="utf-8").splitlines()[::60]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    after = train([data], model, folds=3).metadata["version"]
    assert after != before
    wait_for(lambda: f'model="{after}"' in metrics())
    assert f'model="{before}"' not in metrics()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert "settings reloaded" in proc.stderr.read()


def test_alerts_are_served_as_atom_and_json_feed(feed_server, json_receiver, make_settings, run_monitor) -> None:
    """Issue 18: with `[monitor] http` set, any feed reader can follow the monitor."""
    import feedparser

    port = free_port()
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0]), ("t2", *ON_TOPIC[1])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url})
    path.write_text(path.read_text().replace("[monitor]\n", f'[monitor]\nhttp = "127.0.0.1:{port}"\n', 1))
    proc = run_monitor(path)
    wait_for(lambda: len(json_receiver.received) == 2)
    base = f"http://127.0.0.1:{port}"
    status, body = get(f"{base}/alerts.atom")
    parsed = feedparser.parse(body)
    assert status == 200 and parsed.version == "atom10"
    assert sorted(e.title.split("] ", 1)[1] for e in parsed.entries) == sorted([ON_TOPIC[0][0], ON_TOPIC[1][0]])
    status, body = get(f"{base}/alerts.json?topic=turkey_russia_syria")
    items = json.loads(body)["items"]
    assert status == 200 and len(items) == 2 and all(i["_monitor"]["score"] >= 0.5 for i in items)
    assert {i["id"] for i in items} == {m["message"].rsplit("Alert id: ", 1)[1].strip() for m in json_receiver.received}
    status, body = get(f"{base}/alerts.json?topic=nosuch")
    assert status == 404 and "no topic 'nosuch'" in body
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def soft_open_files(pid: int) -> int:
    line = next(x for x in Path(f"/proc/{pid}/limits").read_text().splitlines() if x.startswith("Max open files"))
    return int(line.split()[3])


def test_run_raises_its_soft_limit_of_open_files(feed_server, json_receiver, make_settings, run_monitor) -> None:
    """Started under systemd's soft limit of 1,024 open files (512 here), `monitor run` raises
    it to OPEN_FILES, or to the hard limit if lower, once at start, and says so."""
    import resource

    from monitor.limits import OPEN_FILES

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else min(OPEN_FILES, hard)
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0])]))
    proc = run_monitor(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}), open_files=512)
    wait_for(lambda: json_receiver.received)  # started, and polled
    assert soft_open_files(proc.pid) == wanted
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert f"open files: soft limit raised from 512 to {wanted}" in proc.stderr.read()
