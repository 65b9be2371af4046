"""A feed's first poll does not alert its archive (`[monitor] backlog`, default 2 days).

A feed just added lists weeks of items; so does every feed after Redis lost its state. Its
first successful poll takes the items published longer ago than `backlog` as read: never
scored, never alerted, and in the listing it saves, so later polls pass them by. Later polls
alert any new item whatever its date: a feed whose dates are wrong is never silenced.
"""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import redis

from monitor import settings
from monitor.errors import SettingsError
from tests.articles import ON_TOPIC
from tests.polling import poll_and_send

DAY = 86_400.0


def _feed(items: list[tuple[str, int, float | None]]) -> str:
    """RSS of (guid, ON_TOPIC index, age in days or None for no date) items."""
    entries = []
    for guid, story, age in items:
        headline, text = ON_TOPIC[story]
        date = "" if age is None else f"<pubDate>{formatdate(time.time() - age * DAY, usegmt=True)}</pubDate>"
        entries.append(f"<item><guid>{escape(guid)}</guid><title>{escape(headline)}</title>"
                       f"<link>https://news.example.org/{guid}</link>"
                       f"<description>{escape(text)}</description>{date}</item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            f"<link>https://news.example.org/</link><description>t</description>{''.join(entries)}</channel></rss>")


def _with_default(path: Path, extra: str = "") -> Path:
    """The test settings with the default backlog (conftest's turn it off) and `extra` after."""
    text = path.read_text(encoding="utf-8").replace('backlog = "0s"\n', "", 1)
    path.write_text(text + extra, encoding="utf-8")
    return path


def _poll(loaded: settings.Loaded) -> tuple[int, int, float]:
    """One forced poll: (new items, alerts sent, items taken as backlog)."""
    polled = poll_and_send(loaded)
    assert all(r.outcome == "ok" for r in polled.results), [r.error for r in polled.results]
    return polled.new, polled.sent, polled.metrics.items.labels("backlog")._value.get()


def _titles(receiver) -> list[str]:
    return [title for message in receiver.received for title, _ in ON_TOPIC
            if title in json.dumps(message, ensure_ascii=False)]


def test_a_new_feeds_archive_is_taken_as_read_and_later_items_alert_whatever_their_date(
        feed_server, json_receiver, make_settings) -> None:
    feed_server.set("/a.xml", _feed([("old", 0, 10), ("recent", 1, 0.05), ("undated", 2, None)]))
    path = _with_default(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    loaded = settings.load(path)
    assert loaded.settings.monitor.backlog == 2 * DAY
    assert _poll(loaded) == (2, 2, 1)  # the 10-day-old story is the archive
    assert sorted(_titles(json_receiver)) == sorted([ON_TOPIC[1][0], ON_TOPIC[2][0]])
    # The next poll: a new item dated 20 days ago (a backdated story) alerts; the archive stays read.
    feed_server.set("/a.xml", _feed([("backdated", 3, 20), ("old", 0, 10), ("recent", 1, 0.05),
                                     ("undated", 2, None)]))
    assert _poll(loaded) == (1, 1, 0)
    assert _titles(json_receiver)[-1] == ON_TOPIC[3][0]
    assert ON_TOPIC[0][0] not in _titles(json_receiver)


def test_a_feed_sets_its_own_backlog(feed_server, json_receiver, make_settings) -> None:
    feed_server.set("/slow.xml", _feed([("month", 0, 40), ("weeks", 1, 10)]))
    feed_server.set("/all.xml", _feed([("years", 2, 900)]))
    path = make_settings({"slow": feed_server.url("/slow.xml"), "all": feed_server.url("/all.xml")},
                         {"hook": json_receiver.url})
    text = _with_default(path).read_text(encoding="utf-8")
    text = text.replace('name = "slow"\n', 'name = "slow"\nbacklog = "31d"\n', 1)
    path.write_text(text.replace('name = "all"\n', 'name = "all"\nbacklog = "0s"\n', 1), encoding="utf-8")
    assert _poll(settings.load(path)) == (2, 2, 1)
    assert sorted(_titles(json_receiver)) == sorted([ON_TOPIC[1][0], ON_TOPIC[2][0]])


def test_after_redis_lost_its_state_the_archive_is_not_alerted_again(
        feed_server, json_receiver, make_settings, redis_client: redis.Redis) -> None:
    feed_server.set("/a.xml", _feed([("old", 0, 5), ("older", 1, 9)]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url})
    assert _poll(settings.load(path)) == (2, 2, 0)  # backlog "0s": a feed polled for a while
    redis_client.flushdb()  # Redis restarted without its data: seen-set, listing, outbox gone
    assert _poll(settings.load(_with_default(path))) == (0, 0, 2)
    assert len(json_receiver.received) == 2


def test_a_negative_backlog_is_refused_naming_its_key(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[monitor]\nbacklog = "-1d"\n[topics.t]\ntitle = "T"\nthreshold = 0.5\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"monitor\.backlog"):
        settings.load(path)
