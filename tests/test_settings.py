"""Settings are validated once, loudly: one line naming the file and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import settings
from monitor.errors import SettingsError

ROOT = Path(__file__).resolve().parent.parent

BASE = """
[monitor]
data_dir = "data"

[[feeds]]
name = "one"
url = "https://example.org/feed.xml"

[topics.turkey_russia_syria]
title = "T"
threshold = 0.6
notify = ["console"]

[channels.console]
url = "console://"
"""


def load(tmp_path: Path, text: str) -> settings.Loaded:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return settings.load(path)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(SettingsError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert "\n" not in message
    return message.split(": ", 1)[1]


def test_shipped_settings_are_valid() -> None:
    loaded = settings.load(ROOT / "settings.toml")
    assert len(loaded.settings.feeds) >= 8
    assert "turkey_russia_syria" in loaded.settings.topics


def test_defaults_and_durations(tmp_path: Path) -> None:
    loaded = load(tmp_path, BASE.replace('data_dir = "data"', 'data_dir = "data"\ninterval = "5m"'))
    s = loaded.settings
    assert s.monitor.interval == 300 and s.dedup.seen_ttl == 30 * 86400 and s.dedup.window == 3 * 86400
    assert loaded.interval(s.feeds[0]) == 300
    assert loaded.data_dir == (tmp_path / "data").resolve()


@pytest.mark.parametrize(("change", "expected"), [
    (('data_dir = "data"', 'data_dir = "data"\ncolour = "red"'), "monitor.colour: unknown key"),
    (("threshold = 0.6", "threshold = 1.5"), "topics.turkey_russia_syria.threshold: must be between 0 and 1 (got 1.5)"),
    (("threshold = 0.6", 'threshold = "high"'),
     "topics.turkey_russia_syria.threshold: must be a number, not the string 'high'"),
    (('data_dir = "data"', 'data_dir = "data"\ninterval = "5 parsecs"'), "monitor.interval: bad duration '5 parsecs'"),
    (('notify = ["console"]', 'notify = ["desk"]'), "topics.turkey_russia_syria.notify: channel 'desk' is not defined"),
    (('url = "console://"', 'url = "nosuchscheme://x"'), "channels.console.url: apprise cannot parse this URL"),
    (('url = "console://"', 'url = "console://?rotate=ten"'),
     "channels.console.url: rotate='ten': not a size (write it as 10MB, 500KB or bytes)"),
    (('url = "console://"', 'url = "console://?rotate=10"'),
     "channels.console.url: rotate='10': below 1000 bytes, the file would rotate at every alert"),
    (('url = "console://"', 'url = "console://?keep=-1"'),
     "channels.console.url: keep='-1': not a number of files from 0 to 1000"),
    (('url = "console://"', 'url = "console://?rotate=5MB&Keep=many"'),
     "channels.console.url: keep='many': not a number of files from 0 to 1000"),
    (('name = "one"', 'name = "One Feed"'), "feeds[0].name: name 'One Feed' must match [a-z0-9_-]+"),
    (('url = "https://example.org/feed.xml"', "url = 42"), "feeds[0].url: Input should be a valid string"),
])
def test_invalid_settings_name_the_key(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    assert error(tmp_path, BASE.replace(*change)).startswith(expected)


def test_duplicate_feed_names(tmp_path: Path) -> None:
    text = BASE + '\n[[feeds]]\nname = "one"\nurl = "https://example.org/other.xml"\n'
    assert error(tmp_path, text) == "feeds[1].name: duplicate feed name 'one'"


def test_secrets_come_from_the_environment_and_stay_out_of_errors(tmp_path: Path, monkeypatch) -> None:
    text = BASE.replace('url = "console://"', 'url = "mailtos://alerts:${SMTP_PASSWORD}@mail.example.org?to=a@example.org"')
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    assert error(tmp_path, text) == "channels.console.url: environment variable SMTP_PASSWORD is not set"
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2")
    loaded = load(tmp_path, text)
    assert "hunter2" in loaded.channel_urls["console"]
    assert "hunter2" not in repr(loaded.settings)
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2 bad")
    bad = text.replace("mailtos://", "nosuch://")
    message = error(tmp_path, bad)
    assert "hunter2" not in message


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="file not found"):
        settings.load(tmp_path / "nope.toml")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load(tmp_path, "[monitor\n")
