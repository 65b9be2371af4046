"""Bad input at the command line and in settings.toml, each a one-line error (exit 2), never a
traceback; and a reload that fails for any reason leaves the settings watcher running.
Each test runs the real `monitor` command against the embedded Redis."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from monitor import codec
from monitor.delivery.alerts import alert_id
from monitor.keys import Keys
from tests.articles import ON_TOPIC, rss
from tests.test_cli import ROOT, monitor
from tests.test_delivery import alert
from tests.test_run import run_monitor, wait_for  # noqa: F401 - run_monitor is a fixture

TOPIC = "turkey_russia_syria"  # the topic make_settings writes


def settings_file(tmp_path: Path, body: str, extra: str = "") -> Path:
    """A settings.toml of `body` after an embedded-Redis [monitor] table (+ `extra` lines in it);
    `check` starts nothing on it."""
    path = tmp_path / "settings.toml"
    path.write_text(f'[monitor]\nredis_url = ""\ndata_dir = "{tmp_path / "data"}"\n{extra}{body}',
                    encoding="utf-8")
    return path


def one_line_error(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    """Checks a command exited 2 with one line on stderr holding every part."""
    line = result.stderr.strip()
    assert result.returncode == 2, result.stdout + result.stderr
    assert "\n" not in line and "Traceback" not in line, line
    for part in parts:
        assert part in line, line


# -- 1: regular expressions too big to compile ---------------------------------------------


def test_a_regex_with_a_huge_repeat_or_deep_nesting_is_a_settings_error(tmp_path: Path) -> None:
    topic = '[topics.t]\ntitle = "T"\nthreshold = 0.5\nrequire = ["/a{99999999999}/"]\n'
    path = settings_file(tmp_path, topic)
    one_line_error(monitor("check", settings=path), f"{path}: topics.t.require: bad regular expression",
                   "repeat count too big")
    feed = '[[feeds]]\nname = "f"\nurl = "https://example.org/rss"\nmute = ["/' + "(" * 5000 + ")" * 5000 + '/"]\n'
    path = settings_file(tmp_path, feed)
    one_line_error(monitor("check", settings=path), f"{path}: feeds[0].mute: bad regular expression",
                   "nested too deeply")


@pytest.mark.slow
def test_reload_refuses_a_huge_regex_or_a_crash_and_still_reloads_later(
        feed_server, json_receiver, second_receiver, make_settings, run_monitor) -> None:  # noqa: F811
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0])]))
    feed_server.set("/b.xml", rss([("t2", *ON_TOPIC[2])]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url, "ops": second_receiver.url},
                         notify=["hook"])
    good = path.read_text().replace("[monitor]\n", '[monitor]\nops_channel = "ops"\n', 1)
    path.write_text(good)
    proc = run_monitor(path)
    wait_for(lambda: len(json_receiver.received) == 1)
    path.write_text(good.replace("threshold =", 'require = ["/a{99999999999}/"]\nthreshold =', 1))
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: len(second_receiver.received) == 1)
    assert "repeat count too big" in second_receiver.received[0]["message"]
    # tomllib overflows the stack on nesting this deep: a RecursionError, which the watcher
    # outlived as it outlives whatever a reload raises; now a settings error of one line.
    path.write_text(good + "deep = " + "[" * 100_000 + "]" * 100_000 + "\n")
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: len(second_receiver.received) == 2)
    assert "not valid TOML: nested too deeply" in second_receiver.received[1]["message"]
    added = good.replace("[[feeds]]", f'[[feeds]]\nname = "b"\nurl = "{feed_server.url("/b.xml")}"\n\n[[feeds]]', 1)
    path.write_text(added)
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: len(json_receiver.received) == 2)  # the new feed polled: the reload happened
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    log = proc.stderr.read()
    assert log.count("reload refused, keeping the previous settings") == 2 and "settings reloaded: 2 feeds" in log


# -- 2: time zones that are no zone file --------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe", "x" * 300])
def test_a_timezone_that_is_a_folder_or_too_long_is_a_settings_error(tmp_path: Path, zone: str) -> None:
    path = settings_file(tmp_path, f'[channels.c]\nurl = "console://"\ntimezone = "{zone}"\n')
    one_line_error(monitor("check", settings=path), f"{path}: channels.c.timezone: unknown time zone")


# -- 3: ${NAME} in feed URLs added from the command line or from OPML ------------------------


def test_feeds_add_refuses_an_unset_variable_and_keeps_a_set_one(tmp_path: Path, monkeypatch) -> None:
    path = settings_file(tmp_path, "")
    before = path.read_text()
    monkeypatch.delenv("MONITOR_TEST_UNSET", raising=False)
    result = monitor("feeds", "add", "x", "https://a.example/rss?k=${MONITOR_TEST_UNSET}", settings=path)
    one_line_error(result, f'{path}: feeds[0].url: feed "x": environment variable MONITOR_TEST_UNSET is not set')
    assert path.read_text() == before
    monkeypatch.setenv("MONITOR_TEST_TOKEN", "abc")  # the subprocess inherits it
    assert monitor("feeds", "add", "y", "https://a.example/rss?k=${MONITOR_TEST_TOKEN}", settings=path).returncode == 0
    assert monitor("feeds", "list", settings=path).returncode == 0


def test_opml_import_skips_urls_that_would_read_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_TEST_SECRET", "s3cret")
    path = settings_file(tmp_path, "")
    before = path.read_text()
    source = tmp_path / "list.opml"
    source.write_text('<opml version="2.0"><body>'
                      '<outline title="leak" xmlUrl="https://evil.example/${MONITOR_TEST_SECRET}"/>'
                      '<outline title="unset" xmlUrl="https://a.example/${MONITOR_TEST_UNSET}"/>'
                      "</body></opml>", encoding="utf-8")
    result = monitor("feeds", "import", str(source), settings=path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"{source}: 0 feed(s) added, 0 already present, 2 skipped"
    assert "skipped https://evil.example/${MONITOR_TEST_SECRET}: holds ${" in result.stdout
    assert "s3cret" not in result.stdout and path.read_text() == before


# -- 4: durations that are no number -----------------------------------------------------


@pytest.mark.parametrize(("key", "value"), [("monitor.interval", "inf"), ("monitor.jitter", "nan"),
                                            ("dedup.seen_ttl", '"' + "9" * 400 + 'd"')])
def test_a_duration_must_be_finite(tmp_path: Path, key: str, value: str) -> None:
    table, name = key.split(".")
    line = f"{name} = {value}\n"
    ours = table == "monitor"
    path = settings_file(tmp_path, "" if ours else f"[{table}]\n{line}", extra=line if ours else "")
    one_line_error(monitor("check", settings=path), f"{path}: {key}: bad duration", "finite")


def test_a_duration_past_a_century_is_refused(tmp_path: Path) -> None:
    """A finite but huge seen_ttl passed `check`, and its expiry time would have failed every
    claim in Redis."""
    path = settings_file(tmp_path, '[dedup]\nseen_ttl = "99999999999999999999d"\n')
    one_line_error(monitor("check", settings=path), f"{path}: dedup.seen_ttl: bad duration", "at most 100 years")


# -- 5: the health and metrics address ---------------------------------------------------


def test_http_port_out_of_range_is_a_settings_error(tmp_path: Path) -> None:
    path = settings_file(tmp_path, "", extra='http = "127.0.0.1:99999"\n')
    one_line_error(monitor("check", settings=path), f"{path}: monitor.http: port 99999 is not a number from 1 to 65535")


@pytest.mark.slow
def test_run_exits_with_one_line_when_it_cannot_listen(make_settings) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        for address, reason in ((f"127.0.0.1:{taken.getsockname()[1]}", "address already in use"),
                                ("no-such-host.invalid:9464", "cannot listen on no-such-host.invalid:9464")):
            path = make_settings({})
            path.write_text(path.read_text().replace("[monitor]\n", f'[monitor]\nhttp = "{address}"\n', 1))
            result = monitor("run", settings=path)
            assert f"{path}: monitor.http: cannot listen on {address}" in result.stderr
            assert result.returncode == 2 and reason in result.stderr and "Traceback" not in result.stderr
    finally:
        taken.close()


# -- 6 and 7: labels ---------------------------------------------------------------------


def test_label_export_to_a_missing_folder_or_a_folder_is_bad_input(make_settings, tmp_path: Path) -> None:
    path = make_settings({})
    missing = tmp_path / "no" / "x.jsonl"
    one_line_error(monitor("label", "export", str(missing), settings=path),
                   f"label export: {missing}: cannot write: No such file or directory")
    one_line_error(monitor("label", "export", str(tmp_path), settings=path), f"label export: {tmp_path}: cannot write")


def test_verdicts_on_two_topics_of_one_alert_are_both_kept(make_settings, redis_client, tmp_path: Path) -> None:
    path = make_settings({}, extra='[topics.other]\ntitle = "Other"\nthreshold = 0.5\n')
    sent = replace(alert(1), id=alert_id("item1", TOPIC), topic=TOPIC)
    redis_client.set(Keys().alert(sent.id), codec.compress(codec.encode_alert(sent)))
    assert monitor("label", sent.id, "relevant", settings=path).returncode == 0
    other = monitor("label", sent.id, "irrelevant", "--topic", "other", settings=path)
    assert other.returncode == 0 and "irrelevant for other" in other.stdout
    out = tmp_path / "labels.jsonl"
    assert monitor("label", "export", str(out), settings=path).returncode == 0
    lines = sorted((line["only"], line["topics"]) for line in map(json.loads, out.read_text().splitlines()))
    assert lines == [(["other"], []), ([TOPIC], [TOPIC])]
    # keyed as `monitor review` keys its verdicts: by item and topic
    assert set(redis_client.hkeys(Keys().labels)) == {sent.id.encode(), alert_id("item1", "other").encode()}


# -- 8: recent and stories ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["recent", "stories"])
def test_an_unknown_topic_is_bad_input(make_settings, command: str) -> None:
    path = make_settings({})
    one_line_error(monitor(command, "--topic", "typo", settings=path),
                   f"--topic typo: no such topic in {path} (topics: {TOPIC})")


@pytest.mark.parametrize(("command", "n"), [("recent", "0"), ("stories", "-1")])
def test_n_must_be_positive(make_settings, command: str, n: str) -> None:
    result = monitor(command, "-n", n, settings=make_settings({}))
    assert result.returncode == 2 and f"argument -n: must be at least 1, not {n}" in result.stderr


@pytest.mark.parametrize("value", ["1.5", "nan", "-0.1"])
def test_topic_add_refuses_a_threshold_before_training(tmp_path: Path, value: str) -> None:
    # it trained for minutes, rewrote the model and wrote the examples, then refused it
    path = settings_file(tmp_path, "")
    examples = tmp_path / "quake.txt"
    examples.write_text("Earthquake hits eastern Turkey.\n", encoding="utf-8")
    result = monitor("topic", "add", "quake", "--title", "Quake", "--positive", str(examples),
                     "--threshold", value, settings=path)
    one_line_error(result, f"topic add: --threshold must be between 0 and 1 (got {float(value)})")
    assert not (ROOT / "models" / "topics" / "quake.jsonl").exists()


def test_similar_refuses_a_settings_file_that_is_not_there(tmp_path: Path) -> None:
    # it went on with the default thresholds, while `score` with the same path said so
    a = tmp_path / "a.txt"
    a.write_text("Turkish and Russian officers met in Ankara.", encoding="utf-8")
    one_line_error(monitor("similar", str(a), str(a), settings=tmp_path / "typo.toml"),
                   f"{tmp_path / 'typo.toml'}: file not found")


@pytest.mark.parametrize(("args", "reason"), [
    (["bench", "--feeds", "0"], "argument --feeds: must be at least 1, not 0"),
    (["bench", "--neardup-items", "-10"], "argument --neardup-items: must be at least 1, not -10"),
    (["bench", "--article-pages", "-3"], "argument --article-pages: must be at least 0, not -3"),
    (["review", "-n", "-5"], "argument -n: must be at least 1, not -5"),
    (["review", "--margin", "nan"], "argument --margin: must be a number from 0 to 1, not nan"),
])
def test_counts_and_margins_out_of_range_are_argument_errors(args: list[str], reason: str) -> None:
    # --feeds 0 was a ZeroDivisionError, -n -5 showed all but the last five
    result = monitor(*args)
    assert result.returncode == 2 and reason in result.stderr and "Traceback" not in result.stderr
