"""Credentials in feed URLs and `redis_url`: never shown, and malformed ones refused early.

A feed URL may carry credentials (`https://reader:pass@host/feed?token=...`), written
literally or as `${NAME}` from the environment. Wherever a URL is shown (`status`,
`feeds list`, logs, error texts) its password and query values are `***`; a malformed URL
or `redis_url` stops `check` (exit 2) with one line naming the feed or key, never a
traceback and never the secret. Commands run through `monitor.cli.main.main`, in process.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest

from monitor import urls
from monitor.cli.main import main
from tests.articles import ON_TOPIC, rss

SECRETS = ("hunter2", "s3cret")


def monitor(path: Path, *args: str) -> int:
    return main(["--settings", str(path), *args])


def feed_text(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, str, str]:
    """Run a command; its exit code, stdout and stderr."""
    capsys.readouterr()
    code = monitor(path, *args)
    out, err = capsys.readouterr()
    return code, out, err


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} shown in: {text}"


# -- masking --------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:hunter2@example.org/feed?token=s3cret&page=2",
     "https://user:***@example.org/feed?token=***&page=***"),
    ("https://s3cret@example.org/feed", "https://***@example.org/feed"),  # a lone userinfo is a token
    ("https://s3cret:@example.org/feed", "https://***@example.org/feed"),  # an API key as Basic user
    ("https://example.org/feed?s3cret", "https://example.org/feed?***"),
    ("https://example.org/feed?token=${FEED_TOKEN}", "https://example.org/feed?token=***"),
    ("https://example.org/feed.xml", "https://example.org/feed.xml"),
    ("http://u:hunter2@[::1/x?token=s3cret", "http://u:***@[::1/x?token=***"),  # malformed: masked all the same
    # a password with an unencoded "/", "?" or "#" ends the authority early: "reader" with port "hunter2"
    ("https://reader:hunter2/x@example.org/feed", "https://reader:***@example.org/feed"),
    ("https://reader:hunter2?x@example.org/feed?token=s3cret", "https://reader:***@example.org/feed?token=***"),
    ("https://reader:hunter2#x@example.org/feed", "https://reader:***@example.org/feed"),
    ("https://example.org/feed#access_token=s3cret", "https://example.org/feed#access_token=***"),
    ("https://medium.com/feed/@hunter", "https://medium.com/feed/@hunter"),  # an "@" in a path is no userinfo
])
def test_masked_hides_userinfo_and_query_values(url: str, shown: str) -> None:
    """Attack surface: anything that prints a feed URL prints its credentials."""
    assert urls.masked(url) == shown


def test_status_and_feeds_list_mask_credentials(feed_server, make_settings, capsys) -> None:
    """Leak: `status --json`, `status` and `feeds list` printed `user:pass@` and `?token=`."""
    feed_server.set("/a.xml?token=s3cret&page=2", rss([("t1", *ON_TOPIC[0])]))
    path = make_settings({"a": f"http://reader:hunter2@127.0.0.1:{feed_server.port}/a.xml?token=s3cret&page=2"})
    code, out, err = feed_text(capsys, path, "poll", "--once")
    assert code == 0, out + err
    shown = f"http://reader:***@127.0.0.1:{feed_server.port}/a.xml?token=***&page=***"
    code, status_json, err = feed_text(capsys, path, "status", "--json")
    assert code == 0 and json.loads(status_json)["feeds"]["a"]["url"] == shown
    code, listed, _ = feed_text(capsys, path, "feeds", "list")
    assert code == 0 and shown in listed
    _, status_text, _ = feed_text(capsys, path, "status")
    assert_no_secret(out, err, status_json, listed, status_text)


def test_fetch_error_text_and_logs_mask_credentials(feed_server, make_settings, capsys, caplog) -> None:
    """Leak: a server redirects keeping the query string, to a URL aiohttp refuses and
    quotes whole in its error, which went to `poll` output, the log and `status`."""
    redirect = f"feed://127.0.0.1:{feed_server.port}/a.xml?token=s3cret"
    feed_server.set("/a.xml?token=s3cret", "", status=302, headers={"Location": redirect})
    path = make_settings({"a": f"http://127.0.0.1:{feed_server.port}/a.xml?token=s3cret"})
    with caplog.at_level(logging.WARNING, logger="monitor"):
        code, out, err = feed_text(capsys, path, "poll", "--once")
    assert code == 1
    assert f"a: error items=0 new=0 alerts=0 error=feed://127.0.0.1:{feed_server.port}/a.xml?token=***" in out
    _, status_json, _ = feed_text(capsys, path, "status", "--json")
    assert json.loads(status_json)["feeds"]["a"]["last_error"].endswith("token=***")
    assert "feed 'a': feed://" in caplog.text
    assert_no_secret(out, err, caplog.text, status_json)


def test_feeds_import_and_list_mask_odd_credentials(make_settings, capsys, tmp_path) -> None:
    """Leak: `feeds import` skipped `https://reader:hunter2/x@host/feed` (a password with an
    unencoded "/") as malformed and printed it whole; `feeds list` showed `#token=s3cret` and
    an API key given as the HTTP Basic user with no password (`https://s3cret:@host`)."""
    path = make_settings({})
    listing = tmp_path / "list.opml"
    listing.write_text('<opml version="2.0"><body>'
                       '<outline title="a" xmlUrl="https://reader:hunter2/x@news.example.org/feed"/>'
                       '<outline title="b" xmlUrl="https://reader:hunter2#x@news.example.org/feed"/>'
                       '<outline title="c" xmlUrl="https://news.example.org/feed#token=s3cret"/>'
                       '<outline title="d" xmlUrl="https://s3cret:@api.example.org/feed"/>'
                       "</body></opml>", encoding="utf-8")
    code, imported, err = feed_text(capsys, path, "feeds", "import", str(listing))
    assert code == 0 and imported.splitlines()[-1].endswith("2 feed(s) added, 0 already present, 2 skipped")
    assert "skipped https://reader:***@news.example.org/feed: malformed URL" in imported
    code, listed, _ = feed_text(capsys, path, "feeds", "list")
    assert code == 0 and "https://news.example.org/feed#token=***" in listed
    assert "https://***@api.example.org/feed" in listed  # `KEY:@`: the user is the secret
    assert_no_secret(imported, err, listed)


# -- ${NAME} in feed URLs ------------------------------------------------------------------


def test_environment_variables_in_feed_url_are_expanded_and_never_shown(
        feed_server, make_settings, capsys, monkeypatch) -> None:
    """Secrets kept out of settings.toml: `${NAME}` in a feed URL was fetched literally."""
    monkeypatch.setenv("FEED_PASSWORD", "hunter2")
    monkeypatch.setenv("FEED_TOKEN", "s3cret")
    feed_server.set("/a.xml?token=s3cret", rss([("t1", *ON_TOPIC[0])]))
    url = f"http://reader:${{FEED_PASSWORD}}@127.0.0.1:{feed_server.port}/a.xml?token=${{FEED_TOKEN}}"
    path = make_settings({"a": url})
    code, out, err = feed_text(capsys, path, "poll", "--once")
    assert code == 0 and "a: ok items=1" in out, out + err
    sent = feed_server.hits("/a.xml?token=s3cret")[0]["headers"]["Authorization"]
    assert base64.b64decode(sent.removeprefix("Basic ")) == b"reader:hunter2"
    _, status_json, _ = feed_text(capsys, path, "status", "--json")
    assert json.loads(status_json)["feeds"]["a"]["url"] == (
        f"http://reader:***@127.0.0.1:{feed_server.port}/a.xml?token=***")
    _, listed, _ = feed_text(capsys, path, "feeds", "list")
    assert_no_secret(out, err, status_json, listed)


def test_unset_environment_variable_in_feed_url_is_one_line_naming_feed_and_variable(
        make_settings, capsys, monkeypatch) -> None:
    """Misconfiguration: the variable is not set where the monitor runs."""
    monkeypatch.delenv("FEED_TOKEN", raising=False)
    path = make_settings({"a": "https://example.org/feed?token=${FEED_TOKEN}"})
    code, out, err = feed_text(capsys, path, "check")
    assert code == 2
    assert err == f'{path}: feeds[0].url: feed "a": environment variable FEED_TOKEN is not set\n'


def test_environment_variable_that_makes_the_url_malformed_is_refused_unquoted(
        make_settings, capsys, monkeypatch) -> None:
    """Misconfiguration: the variable's value breaks the URL; the value is not echoed."""
    monkeypatch.setenv("FEED_HOST", "s3cret host")
    path = make_settings({"a": "https://${FEED_HOST}/feed"})
    code, _, err = feed_text(capsys, path, "check")
    assert code == 2
    assert err == (f'{path}: feeds[0].url: feed "a": once its ${{…}} are expanded, '
                   "contains a space or control character\n")


# -- malformed URLs at check -----------------------------------------------------------------


@pytest.mark.parametrize(("url", "reason"), [
    ("http://u:hunter2@[::1/x", "malformed URL (unbalanced [ ] around the host)"),
    ("http:///feed.xml", "has no host"),
    ("http://", "has no host"),
    ("ftp://example.org/feed.xml", "must be an http:// or https:// URL"),
    ("file:///etc/passwd", "must be an http:// or https:// URL"),
    ("example.org/feed.xml", "must be an http:// or https:// URL"),
    ("http://example.org:99999/feed", "malformed URL (the port is not a number from 1 to 65535)"),
    ("http://example.org:abc/feed", "malformed URL (the port is not a number from 1 to 65535)"),
    ("http://user:hunter2/feed", "malformed URL (the port is not a number from 1 to 65535)"),  # no "@"
    ("http://exa mple.org/feed", "contains a space or control character"),
])
def test_malformed_feed_url_exits_2_at_check_with_one_line(url: str, reason: str, make_settings, capsys) -> None:
    """Bad input: `http://u:p@[::1/x` and other broken URLs passed `check`, then failed
    every poll (or raised inside aiohttp)."""
    path = make_settings({"a": url})
    code, out, err = feed_text(capsys, path, "check")
    assert (code, out) == (2, "")
    assert err == f'{path}: feeds[0].url: feed "a": {reason}\n'
    assert_no_secret(err)


@pytest.mark.parametrize(("redis_url", "reason"), [
    ("redis://localhost:abc/0", "the port is not a number from 1 to 65535"),
    ("redis://:hunter2@localhost:99999/0", "the port is not a number from 1 to 65535"),
    ("redis://:hunter2@[::1/0", "unbalanced [ ] around the host"),
    ("${REDIS_URL}", "unbalanced [ ] around the host"),  # from the environment, below
])
def test_malformed_redis_url_is_a_one_line_settings_error(redis_url: str, reason: str, make_settings,
                                                         capsys, monkeypatch) -> None:
    """Bad input: a malformed `redis_url` gave a ValueError traceback (with the URL in it)."""
    monkeypatch.setenv("REDIS_URL", "redis://:hunter2@[::1:6379/0")
    path = make_settings({})
    text = path.read_text()
    path.write_text(text.replace(text.split("redis_url = ", 1)[1].split("\n", 1)[0], json.dumps(redis_url), 1))
    code, out, err = feed_text(capsys, path, "check")
    assert (code, out) == (2, "")
    assert err == f"{path}: monitor.redis_url: {reason}\n"
    assert_no_secret(err)


def test_relative_item_links_do_not_inherit_the_feed_urls_credentials(
        feed_server, json_receiver, make_settings, capsys) -> None:
    """Leak: an item's relative link (`/news/1`, `#top`) was resolved against the feed URL
    with its `user:pass@` (and, for `#top`, its `?token=`), and went out in alerts."""
    body = rss([("t1", *ON_TOPIC[0]), ("t2", *ON_TOPIC[1])])
    body = body.replace("https://news.example.org/t1?utm_source=rss", "/news/t1")
    body = body.replace("https://news.example.org/t2?utm_source=rss", "#t2")
    feed_server.set("/a.xml?token=s3cret", body)
    base = f"127.0.0.1:{feed_server.port}"
    path = make_settings({"a": f"http://reader:hunter2@{base}/a.xml?token=s3cret"}, {"hook": json_receiver.url})
    code, out, err = feed_text(capsys, path, "poll", "--once")
    assert code == 0, out + err
    _, recent, _ = feed_text(capsys, path, "recent", "--json")
    links = sorted(record["url"] for record in json.loads(recent))
    assert links == [f"http://{base}/a.xml", f"http://{base}/news/t1"]  # "#t2": the feed's page itself
    assert json_receiver.received and all(f"http://{base}/" in alert["message"] for alert in json_receiver.received)
    assert_no_secret(out, err, recent, json.dumps(json_receiver.received))


def test_a_channel_token_in_its_path_stays_out_of_the_debug_log(json_receiver, make_settings, capsys,
                                                                 caplog, monkeypatch) -> None:
    """Leak: at `-v` (or log_level = "debug") urllib3, under apprise's requests, logged
    `"POST /hooks/s3cret HTTP/1.1" 200`: a Mattermost (Discord, Slack, Telegram) token."""
    monkeypatch.setenv("MATTERMOST_TOKEN", "s3cret")
    path = make_settings({}, {"hook": f"mmost://127.0.0.1:{json_receiver.port}/${{MATTERMOST_TOKEN}}"})
    with caplog.at_level(logging.DEBUG):
        code, out, err = feed_text(capsys, path, "-v", "notify-test", "hook")
    assert code == 0 and "channel hook: sent" in out, out + err
    assert json_receiver.received  # it went to /hooks/s3cret
    assert_no_secret(out, err, caplog.text)


def test_outbox_masks_credentials_in_a_failed_sends_reason(redis_client, json_receiver, make_settings,
                                                           capsys) -> None:
    """Leak: `monitor outbox` and `--json` showed a failed send's reason as stored; an
    exception's text (`send raised X: ...`) may quote a URL with its credentials."""
    from monitor import codec
    from monitor.items import Queued
    from monitor.keys import Keys
    from tests.test_delivery import alert

    reason = "channel 'hook': send raised ConnectionError: https://reader:hunter2@hooks.example/x?token=s3cret"
    redis_client.zadd(Keys().retry, {codec.encode_queued(Queued(alert(1), 1, reason)): 2e9})
    redis_client.rpush(Keys().dead, codec.encode_queued(Queued(alert(2), 5, reason)))
    path = make_settings({}, {"hook": json_receiver.url})
    code, table, err = feed_text(capsys, path, "outbox")
    assert code == 0 and "https://reader:***@hooks" in table, table + err
    code, raw, err = feed_text(capsys, path, "outbox", "--json")
    shown = {a["id"]: (a["why"], a["last_error"]) for a in json.loads(raw)["alerts"]}
    assert shown["a0000001"][1].endswith("https://reader:***@hooks.example/x?token=***"), shown
    assert shown["a0000002"][0] == shown["a0000002"][1]  # a dead letter's why is its last error
    assert_no_secret(table, raw, err)
