"""Surges as users meet them: through a real poll to a real channel (breaking through quiet
hours), in `monitor status`, and in `monitor surge --replay` with its plot."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from monitor import limits
from monitor.keys import Keys
from monitor.surge.counter import Seen, SurgeCounter
from monitor.surge.detector import SurgeDetector
from monitor.surge.model import SurgeConfig
from tests.articles import ON_TOPIC, rss
from tests.test_cli import monitor

TOPIC = "turkey_russia_syria"
HOUR, DAY = 3600.0, 86400.0


def fresh_rss(items: list[tuple[str, str, str]]) -> str:
    """RSS 2.0 of (guid, headline, text) items published in the last minutes."""
    return rss(items, first=time.time() - 60, step=-60)


def seed_quiet_history(client: redis.Redis, days: float = 3.0) -> None:
    """The topic's history as a running monitor would have left it: a story every 8 hours."""
    d = SurgeDetector(SurgeCounter(client, Keys()), {TOPIC: SurgeConfig(TOPIC, "T", 0.5, ())})
    start = time.time() - days * DAY
    for n in range(int(days * 3)):
        at = start + n * 8 * HOUR
        d.observe([Seen(TOPIC, f"old{n}", f"feed{n % 3}", f"Old story {n}", "", at)], at)


def quiet_now() -> str:
    """quiet_hours around the present minute (UTC)."""
    now = datetime.now(tz=UTC)
    return f'quiet_hours = "{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"\n'


@pytest.mark.slow
def test_a_poll_that_brings_a_burst_sends_one_surge_alert_through_quiet_hours(
        feed_server, json_receiver, make_settings, redis_client) -> None:
    seed_quiet_history(redis_client)
    # 4 stories from 3 sources, and a copy of a's first story in c: the near-dup story counts once
    feeds = {"a": [ON_TOPIC[0], ON_TOPIC[1]], "b": [ON_TOPIC[2]], "c": [ON_TOPIC[3], ON_TOPIC[0]]}
    for name, items in feeds.items():
        feed_server.set(f"/{name}.xml", fresh_rss([(f"{name}{i}", h, t) for i, (h, t) in enumerate(items)]))
    path = make_settings({n: feed_server.url(f"/{n}.xml") for n in feeds}, {"hook": json_receiver.url},
                         extra=quiet_now())  # appended to the last table: [channels.hook]
    # 4 stories where 0.3 is usual: P = 1.5e-4, a surge at this sensitivity (not at the default 1e-4)
    path.write_text(path.read_text().replace('notify = ["hook"]', 'notify = ["hook"]\nsurge_sensitivity = 0.001'))
    done = monitor("poll", "--once", settings=path, timeout=120)
    assert done.returncode == 0, done.stderr
    [message] = json_receiver.received  # the 4 item alerts wait for the end of the quiet hours
    assert message["title"].startswith("Surge: [Turkey–Russia–Syria escalation] 4 stories from 3 sources")
    body = message["message"]  # the copy's story first, with both its sources (polled in either order)
    assert body.split("\n")[2] in (f"- {ON_TOPIC[0][0]} (a, c)", f"- {ON_TOPIC[0][0]} (c, a)")
    again = monitor("poll", "--once", "--force", settings=path, timeout=120)
    assert again.returncode == 0 and len(json_receiver.received) == 1  # nothing new: no second surge
    status = monitor("status", "--json", settings=path)
    [row] = json.loads(status.stdout)["topics"]
    assert row["state"] == "surge" and row["stories"] == 4 and row["sources"] == 3 and len(row["last_days"]) == 28


def test_status_says_a_new_topic_is_learning(make_settings, redis_client) -> None:
    path = make_settings({})
    SurgeDetector(SurgeCounter(redis_client, Keys()), {TOPIC: SurgeConfig(TOPIC, "T", 0.5, ())}).observe(
        [Seen(TOPIC, "s1", "bbc", "A story", "", time.time() - 60)], time.time())
    done = monitor("status", settings=path)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith(f"topic {TOPIC}"))
    assert "learning, 1 stories from 1 sources in the last 2h, too little history to tell (0.0 of 2 days)" in line
    assert line.endswith("▁" * 27 + "█")


def replay_file(path: Path) -> Path:
    """Four quiet days (a story every 8 hours), then ten stories from five outlets in an hour,
    one of them given as text for the model, and a copy of it from four more outlets."""
    start, lines = datetime(2026, 3, 1, tzinfo=UTC), []
    outlets = ["bbc", "guardian", "aljazeera", "reuters", "anadolu"]
    for n in range(12):
        lines.append({"title": f"Quiet story {n}", "text": f"words {n}", "source": outlets[n % 5],
                      "published": (start + timedelta(hours=8 * n)).isoformat(), "scores": {TOPIC: 0.9}})
    for n in range(10):
        lines.append({"title": f"Burst story {n}", "text": f"more words {n}", "source": outlets[n % 5],
                      "published": (start + timedelta(days=4, minutes=6 * n)).isoformat(), "scores": {TOPIC: 0.9}})
    for n, outlet in enumerate(["x1", "x2", "x3", "x4"]):
        lines.append({"title": ON_TOPIC[0][0], "text": ON_TOPIC[0][1], "source": outlet,
                      "published": (start + timedelta(days=4, minutes=61 + n)).isoformat()})
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


@pytest.mark.slow
def test_replay_prints_and_plots_each_surge(tmp_path: Path, make_settings) -> None:
    path = make_settings({})
    data = replay_file(tmp_path / "items.jsonl")
    done = monitor("surge", "--replay", str(data), "--topic", TOPIC, "--plot", str(tmp_path / "out.png"),
                   settings=path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"replayed 26 item(s); over the threshold: {TOPIC} 26"  # the model scored the 4 copies
    assert lines[1].startswith(f"surge {TOPIC} 2026-03-05 00:24 UTC: 5 stories from 5 sources in 2h (usually 0.")
    assert lines[-1] == "1 surge(s)"
    png = (tmp_path / "out.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    as_json = json.loads(monitor("surge", "--replay", str(data), "--json", settings=path).stdout)
    [surge] = [s for s in as_json["surges"] if s["topic"] == TOPIC]
    assert surge["stories"] == 5 and as_json["on_topic"][TOPIC] == 26


def test_replay_refuses_bad_input_with_one_line(tmp_path: Path, make_settings) -> None:
    path = make_settings({})
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "published": "2026-03-01"}\n{"text": "b"}\n')
    done = monitor("surge", "--replay", str(bad), settings=path)
    assert done.returncode == 2 and done.stderr.strip() == (
        f'{bad}:2: missing field "published" ("published" must be an ISO 8601 date and time, like '
        '"2024-12-01T10:00:00Z", or Unix seconds)')
    done = monitor("surge", "--replay", str(bad), "--topic", "nosuch", settings=path)
    assert done.returncode == 2 and done.stderr.strip() == "--topic nosuch: no such topic in settings.toml"


def test_a_replay_file_that_is_no_file_or_nested_too_deep_is_one_line(tmp_path: Path) -> None:
    """Fault: /dev/zero was read without end (MemoryError) and a line of 100,000 "[" raised
    RecursionError: tracebacks. Now one line naming the file (and the line)."""
    from monitor.errors import InputError
    from monitor.surge.replay import read_items

    with pytest.raises(InputError, match="^/dev/zero: cannot read: not a regular file"):
        read_items(Path("/dev/zero"))
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"text": "x", "published": "2024-01-01T00:00:00Z"}\n' + "[" * 100_000 + "\n")
    with pytest.raises(InputError, match=f"^{deep}:2: not JSON: nested too deeply"):
        read_items(deep)
    long = tmp_path / "long.jsonl"
    long.write_text(json.dumps({"text": "word " * 100_000, "published": "2024-01-01T00:00:00Z"}) + "\n")
    [item] = read_items(long)
    assert len(item.text) == limits.ITEM_TEXT_CHARS


@pytest.mark.parametrize(("line", "error"), [
    ('"an item"', 'expected a JSON object {"text", "published"}'),
    ('{"text": "a", "published": "2026-01-01",}', "not JSON: Expecting property name enclosed in double quotes"),
    ('{"text": {"en": "a"}, "published": "2026-01-01"}', '"text" must be a string, not {"en": "a"}'),
    ('{"text": "a", "published": "2026-02-30"}', '"published" must be an ISO 8601 date and time, like '
                                                 '"2024-12-01T10:00:00Z", or Unix seconds, not "2026-02-30"'),
    ('{"text": "a", "published": true}', "or Unix seconds, not true"),
    ('{"text": "a", "published": 1e30}', "or Unix seconds, not 1e+30"),
    ('{"text": "a", "published": "2026-01-01", "scores": true}', '"scores" must map topic names to scores from 0 '
                                                                  'to 1, like {"turkey_russia_syria": 0.93}, not true'),
    ('{"text": "a", "published": "2026-01-01", "scores": {"t": NaN}}', 'not {"t": NaN}'),
    ('{"text": "a", "published": "2026-01-01", "scores": {"t": 1.5}}', 'not {"t": 1.5}'),
    ('{"text": "a", "published": "2026-01-01", "scores": {"t": "%s"}}' % ("x" * 100),
     'not {"t": "' + "x" * 53 + '… (109 characters)'),
])
def test_a_bad_replay_line_says_what_is_wrong_in_the_files_words(tmp_path: Path, line: str, error: str) -> None:
    """Fault: a line that was no object, a score map that was none, a date out of range or
    a number printed Python's words ("'bool' object has no attribute 'items'", "Invalid
    isoformat string", "float() argument must be ... not 'dict'"), and JSON's errors came
    without "not JSON"."""
    from monitor.errors import InputError
    from monitor.surge.replay import read_items

    path = tmp_path / "items.jsonl"
    path.write_text('{"text": "fine", "published": "2026-01-01T00:00:00Z"}\n' + line + "\n")
    with pytest.raises(InputError) as caught:
        read_items(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:2: ") and error in message and "\n" not in message


def test_a_replay_item_may_be_dated_in_unix_seconds(tmp_path: Path) -> None:
    from monitor.surge.replay import read_items

    path = tmp_path / "items.jsonl"
    path.write_text('{"text": "a", "published": 1764806400}\n{"title": "b", "published": "2025-12-04T00:00:00",'
                    ' "scores": {"turkey_russia_syria": 1}, "story": 7}\n')
    first, second = read_items(path)
    assert (first.text, first.time) == ("a", 1764806400.0)  # 2025-12-04 00:00 UTC
    assert (second.title, second.time, second.scores, second.story) == (
        "b", 1764806400.0, {"turkey_russia_syria": 1.0}, "7")
