"""An item its outlet updates under the same GUID, with a new headline, is judged again.

Breaking stories are updated in place: "Turkish soldier killed" at noon becomes "33 Turkish
soldiers killed in Idlib strike" by evening, the same GUID and link. The monitor took any
item its feed still listed as seen, so the update was never scored (the first version, 0.03,
was the item's only judgement). Miniflux and FreshRSS read such an update; here a listed
item whose headline changed is judged again as a revision of its own, once per headline.
"""

from __future__ import annotations

import json
import re
import time
from email.utils import formatdate
from html import escape

from monitor import seen, settings
from monitor.keys import Keys
from tests.articles import OFF_TOPIC, ON_TOPIC, rss
from tests.polling import poll_and_send

EARLY = ("Turkish soldier dies of wounds", "A soldier died in hospital on Tuesday, officials said.")


def recent(items: list[tuple[str, str, str]]) -> str:
    """The feed, its items published in the last hour (within the near-duplicate window)."""
    return rss(items, first=time.time() - 3600)


def _poll(loaded: settings.Loaded) -> tuple[int, int]:
    polled = poll_and_send(loaded)
    assert [r.outcome for r in polled.results] in (["ok"], ["not_modified"]), [r.error for r in polled.results]
    return polled.new, polled.sent


def test_a_listed_item_updated_under_a_new_headline_is_judged_again(
        feed_server, json_receiver, make_settings) -> None:
    feed_server.set("/a.xml", recent([("breaking", *EARLY), ("other", *OFF_TOPIC[0])]))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    assert _poll(loaded) == (2, 0)  # the first version: off topic
    feed_server.set("/a.xml", recent([("breaking", *ON_TOPIC[0]), ("other", *OFF_TOPIC[0])]))
    assert _poll(loaded) == (1, 1)  # updated in place: judged again, and on topic
    assert ON_TOPIC[0][0] in json.dumps(json_receiver.received[0], ensure_ascii=False)
    assert _poll(loaded) == (0, 0)  # each revision once


def test_a_headline_retyped_or_with_its_counter_moved_on_is_not_a_revision(
        feed_server, json_receiver, make_settings) -> None:
    headline, text = ON_TOPIC[1]
    feed_server.set("/a.xml", recent([("story", f"Live: {headline} (3 new posts, 09:40)", text)]))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    assert _poll(loaded) == (1, 1)
    # retyped in capitals, with other punctuation, a live page's counter and time moved on
    feed_server.set("/a.xml", recent([("story", f"LIVE - {headline.upper()} (4 new posts, 09:55).", text)]))
    assert _poll(loaded) == (0, 0)


def test_an_alerted_story_updated_under_a_new_headline_alerts_no_second_time(
        feed_server, json_receiver, make_settings) -> None:
    headline, text = ON_TOPIC[2]
    feed_server.set("/a.xml", recent([("story", headline, text)]))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    assert _poll(loaded) == (1, 1)
    feed_server.set("/a.xml", recent([("story", headline + " (updated)", text + " More follows.")]))
    assert _poll(loaded) == (1, 0)  # judged again, and found to be the story already alerted
    assert len(json_receiver.received) == 1


def test_an_item_published_before_the_near_duplicate_window_is_not_revised(
        feed_server, json_receiver, make_settings) -> None:
    """Its first version has left the near-duplicate index: a revision would alert again."""
    headline, text = ON_TOPIC[2]
    feed_server.set("/a.xml", rss([("story", headline, text)], first=time.time() - 4 * 86_400))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    assert _poll(loaded) == (1, 1)
    feed_server.set("/a.xml", rss([("story", "Updated: " + headline, text)], first=time.time() - 4 * 86_400))
    assert _poll(loaded) == (0, 0)


def test_an_item_without_a_date_is_not_revised(feed_server, json_receiver, make_settings) -> None:
    """Dated at each poll, its age is unknown: retitled past the window it would alert again."""
    def undated(headline: str, text: str) -> str:
        return re.sub("<pubDate>.*?</pubDate>", "", rss([("story", headline, text)]))

    headline, text = ON_TOPIC[2]
    feed_server.set("/a.xml", undated(headline, text))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    assert _poll(loaded) == (1, 1)
    feed_server.set("/a.xml", undated("Updated: " + headline, text))
    assert _poll(loaded) == (0, 0)


def test_a_listing_saved_before_headlines_were_kept_revises_nothing(
        feed_server, json_receiver, make_settings, redis_client) -> None:
    feed_server.set("/a.xml", rss([("breaking", *EARLY)]))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    assert _poll(loaded) == (1, 0)
    # as the version before saved it: 16 hex digits an item, no headlines
    (digest,) = _listed(redis_client)
    redis_client.hset(Keys().feed("a"), "listed", digest)
    feed_server.set("/a.xml", rss([("breaking", *ON_TOPIC[0])]))
    assert _poll(loaded) == (0, 0)  # an upgrade judges nothing again
    assert _poll(loaded) == (0, 0) and _listed(redis_client)  # and the listing now keeps headlines


def _listed(client) -> dict[str, str | None]:
    raw = client.hget(Keys().feed("a"), "listed").decode()
    listing = seen.parse_listing(raw)
    return listing if raw.startswith(seen.TITLED) else {}


def test_an_item_whose_guid_another_item_takes_later_alerts_once(
        feed_server, json_receiver, make_settings) -> None:
    """An item alone under its GUID took the GUID's id; when a later item with the same GUID
    (a CMS giving one to several) appeared, it took its link's id instead, was new to the
    seen-set and alerted a second time (near-duplicates off here; on, past their window).
    The story published first keeps the GUID's id."""
    headline, text = ON_TOPIC[2]
    first = ("https://news.example.org/first", headline, text, time.time() - 7200)
    later = ("https://news.example.org/later", *OFF_TOPIC[0], time.time() - 3600)
    feed_server.set("/a.xml", _one_guid([first]))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url},
                                         extra="[dedup]\nnear_duplicates = false\n"))
    assert _poll(loaded) == (1, 1)
    feed_server.set("/a.xml", _one_guid([later, first]))
    assert _poll(loaded) == (1, 0)  # the later item only
    assert _poll(loaded) == (0, 0) and len(json_receiver.received) == 1


def _one_guid(items: list[tuple[str, str, str, float]]) -> str:
    """RSS whose (link, headline, text, published) items all have the GUID "story"."""
    entries = "".join(
        f"<item><guid isPermaLink=\"false\">story</guid><link>{link}</link><title>{escape(title)}</title>"
        f"<description>{escape(text)}</description><pubDate>{formatdate(at, usegmt=True)}</pubDate></item>"
        for link, title, text, at in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{entries}</channel></rss>'


def test_the_item_holding_a_shared_guid_keeps_it_when_its_feed_dates_it_again(
        feed_server, json_receiver, make_settings) -> None:
    """Of items sharing a GUID, the story published first kept the GUID's id; an edit that
    moved its date past another's (or a new item dated before it) gave the id to the other,
    and the holder, under its link's id, was new and alerted again. The feed's listing names
    the holder: it keeps the id whatever the dates."""
    headline, text = ON_TOPIC[2]
    now = time.time()
    held = ("https://news.example.org/held", headline, text, now - 7200)
    other = ("https://news.example.org/other", *OFF_TOPIC[0], now - 3600)
    feed_server.set("/a.xml", _one_guid([other, held]))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url},
                                         extra="[dedup]\nnear_duplicates = false\n"))
    assert _poll(loaded) == (2, 1)
    feed_server.set("/a.xml", _one_guid([(*held[:3], now - 600), other]))  # the holder edited: dated later
    assert _poll(loaded) == (0, 0)
    backdated = ("https://news.example.org/backdated", *OFF_TOPIC[1], now - 86400)
    feed_server.set("/a.xml", _one_guid([(*held[:3], now - 600), other, backdated]))
    assert _poll(loaded) == (1, 0)  # the new item alone
    assert len(json_receiver.received) == 1


def test_an_item_dated_far_ahead_is_not_revised(feed_server, json_receiver, make_settings, redis_client) -> None:
    """Its date stayed within the near-duplicate window for as long as it was ahead (an item
    dated 2099 for ever): retitled once its first version had left the index (4 days passed
    here by deleting the keys that expire within them), it alerted a second time. Dated
    more than a day ahead (CLOCK_AHEAD: a wrong time zone is less), its age is unknown, as an
    undated item's is."""
    headline, text = ON_TOPIC[2]
    ahead = time.time() + 400 * 86_400
    feed_server.set("/a.xml", rss([("story", headline, text)], first=ahead))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    assert _poll(loaded) == (1, 1)
    window = 4 * 86_400
    gone = [k for k in redis_client.scan_iter(Keys().named(""), count=1000) if 0 < redis_client.ttl(k) <= window]
    redis_client.delete(*gone)
    feed_server.set("/a.xml", rss([("story", "Updated: " + headline, text)], first=ahead))
    assert _poll(loaded) == (0, 0)  # (1, 1) before: the story alerted again
    assert len(json_receiver.received) == 1


def test_an_item_dated_hours_ahead_by_a_wrong_time_zone_is_still_revised(
        feed_server, json_receiver, make_settings) -> None:
    """Local time written as GMT (+03:00 read as Z): three hours ahead, still revised."""
    feed_server.set("/a.xml", rss([("breaking", *EARLY)], first=time.time() + 3 * 3600))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    assert _poll(loaded) == (1, 0)
    feed_server.set("/a.xml", rss([("breaking", *ON_TOPIC[0])], first=time.time() + 3 * 3600))
    assert _poll(loaded) == (1, 1)
