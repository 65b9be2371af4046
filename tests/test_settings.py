"""Settings are validated once, loudly: one line naming the file and the key path."""

from __future__ import annotations

import re
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
    # yarl raised IndexError where urlsplit read a host: `monitor check` ended in a traceback
    (('url = "https://example.org/feed.xml"', 'url = "http://[v1.x]@/feed"'),
     'feeds[0].url: feed "one": malformed URL'),
    # "$" let a final newline by: `check` printed "channel desk" and ": ok" on the next line
    (('name = "one"', 'name = "one\\n"'), "feeds[0].name: name 'one\\n' must match [a-z0-9_-]+"),
    (("[channels.console]", '[channels."console\\n"]'), 'channels."console\\n": name \'console\\n\' must match'),
    (('data_dir = "data"', 'data_dir = "data"\nhttp = "127.0.0.1:9464\\n"'), "monitor.http: must be empty (off)"),
    # "": the prune at start and reload deleted other applications' feed:*, channel:*, ... keys
    (('data_dir = "data"', 'data_dir = "data"\nkey_prefix = ""'), "monitor.key_prefix: String should have at least 1"),
    # past int64, the first dead letter failed its LTRIM and the poll with it
    (('url = "console://"', 'url = "console://"\n[alerts]\ndead_max = 99999999999999999999'),
     "alerts.dead_max: Input should be less than or equal to 1000000000"),
])
def test_invalid_settings_name_the_key(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    assert error(tmp_path, BASE.replace(*change)).startswith(expected)


LONG = "x" * 5000


@pytest.mark.parametrize("change", [
    ('data_dir = "data"', f'data_dir = "data"\ninterval = "{LONG}"'),
    ("threshold = 0.6", f'threshold = "{LONG}"'),
    ('notify = ["console"]', f'notify = ["{LONG}"]'),
    ('name = "one"', f'name = "{LONG.upper()}"'),
    ('title = "T"', f'title = "T"\nrequire = ["/{LONG}(/"]'),
    ('url = "console://"', f'url = "console://?rotate={LONG}"'),
    ('url = "console://"', f'url = "console://"\nmode = "digest"\ndigest_at = ["{LONG}"]'),
    ('url = "console://"', f'url = "console://"\ntimezone = "{LONG}"'),
])
def test_a_long_bad_value_is_quoted_in_part(tmp_path: Path, change: tuple[str, str]) -> None:
    """A 5,000-character bad value made a 5,000-character line of `monitor check`: an error
    quotes its first 60 characters and says how long it is."""
    message = error(tmp_path, BASE.replace(*change))
    assert re.search(r"\(5,00\d characters\)", message) and len(message) < 250, message


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


@pytest.mark.parametrize("url", ["tgram://bot${TOKEN}", "discord://${TOKEN}", "nosuch://user:${TOKEN}@host"])
def test_a_url_apprise_cannot_parse_logs_no_secret(tmp_path: Path, monkeypatch, caplog, url: str) -> None:
    # apprise logged the URL as expanded, at ERROR: "Unparseable Telegram URL tgram://botSECRET123"
    monkeypatch.setenv("TOKEN", "SECRET123")
    with caplog.at_level("DEBUG"):
        message = error(tmp_path, BASE.replace('url = "console://"', f'url = "{url}"'))
    assert message == "channels.console.url: apprise cannot parse this URL (check its scheme and form)"
    assert "SECRET123" not in caplog.text


def test_a_redis_url_set_empty_by_its_variable_is_refused(tmp_path: Path, monkeypatch) -> None:
    # it fell back to the embedded Redis: each worker with a state of its own, alerts twice
    monkeypatch.setenv("REDIS_URL", "")
    text = BASE.replace('data_dir = "data"', 'data_dir = "data"\nredis_url = "${REDIS_URL}"')
    assert error(tmp_path, text) == ("monitor.redis_url: '${REDIS_URL}' is empty once expanded "
                                     "(leave redis_url out for the embedded Redis)")


@pytest.mark.parametrize(("query", "reason"), [
    ("?foo=bar", "unknown option 'foo' in its query for a redis:// URL (ssl_* options are rediss:// ones)"),
    ("?ssl_cert_reqs=none", "unknown option 'ssl_cert_reqs' in its query for a redis:// URL "
                            "(ssl_* options are rediss:// ones)"),
])
def test_a_redis_url_with_an_option_redis_py_does_not_take_is_one_line(tmp_path: Path, monkeypatch, query: str,
                                                                       reason: str) -> None:
    # `check`, `status` and `run` raised a TypeError from the first connection, a traceback
    monkeypatch.setenv("REDIS_URL", f"redis://u:S3CRET@127.0.0.1:1/0{query}")
    text = BASE.replace('data_dir = "data"', 'data_dir = "data"\nredis_url = "${REDIS_URL}"')
    message = error(tmp_path, text)
    assert message == f"monitor.redis_url: {reason}" and "S3CRET" not in message
    monkeypatch.setenv("REDIS_URL", "rediss://u:S3CRET@127.0.0.1:1/0?ssl_cert_reqs=bogus")
    assert error(tmp_path, text) == "monitor.redis_url: Invalid SSL Certificate Requirements Flag: bogus"
    monkeypatch.setenv("REDIS_URL", "rediss://u:S3CRET@127.0.0.1:1/0?ssl_cert_reqs=none&socket_timeout=5")
    assert load(tmp_path, text).redis_url.endswith("socket_timeout=5")


@pytest.mark.parametrize("nested", ["x = " + "[" * 5000 + "]" * 5000, "x = " + "{a = " * 3000 + "1" + "}" * 3000])
def test_toml_nested_too_deeply_is_one_line(tmp_path: Path, nested: str) -> None:
    # tomllib raised RecursionError: a traceback and exit code 1
    assert error(tmp_path, nested + "\n" + BASE) == "not valid TOML: nested too deeply"


def test_a_file_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    # as Windows' Notepad saves UTF-8: it was "not valid TOML (line 1, column 1)"
    path = tmp_path / "settings.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert settings.load(path).settings.feeds[0].name == "one"


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="file not found"):
        settings.load(tmp_path / "nope.toml")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load(tmp_path, "[monitor\n")


def test_an_empty_monitor_settings_is_unset(monkeypatch) -> None:
    # it named "." ("cannot read: Is a directory")
    monkeypatch.setenv("MONITOR_SETTINGS", "")
    assert settings.default_path() == Path("settings.toml")
