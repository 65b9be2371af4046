"""An item a feed keeps for longer than `[dedup] seen_ttl` is not new again.

The seen-set forgets an item `seen_ttl` after it was claimed (30 days by default); a slow
feed (a ministry's, a think tank's) can list one for months. When such a feed changes, its
old items were checked against the seen-set, found unseen, and alerted a second time. A
feed's state now holds its items of the last poll that read it, and an item listed there
is not new whatever the seen-set says (bounded: one digest per item the feed lists).

Thirty-two days are passed here by deleting every key that expires within them (the
seen-set's days, the near-duplicate index, the alerts): what a real Redis holds then.
"""

from __future__ import annotations

import json

import redis

from monitor import settings
from monitor.keys import Keys
from tests.articles import OFF_TOPIC, ON_TOPIC, rss
from tests.polling import poll_and_send

MONTH_AND_A_BIT = 32 * 86_400


def _days_pass(client: redis.Redis) -> int:
    """Delete every key that would have expired within MONTH_AND_A_BIT; how many."""
    gone = [k for k in client.scan_iter(Keys().named(""), count=1000) if 0 < client.ttl(k) <= MONTH_AND_A_BIT]
    if gone:
        client.delete(*gone)
    return len(gone)


def _poll(loaded: settings.Loaded) -> tuple[int, int]:
    """One forced poll and the sends it made: (new items, alerts sent)."""
    polled = poll_and_send(loaded)
    assert [r.outcome for r in polled.results] == ["ok"], [r.error for r in polled.results]
    return polled.new, polled.sent


def test_an_item_left_in_its_feed_past_seen_ttl_is_not_alerted_again(
        feed_server, json_receiver, make_settings, redis_client) -> None:
    story, other = ("kept-story", *ON_TOPIC[0]), ("kept-other", *OFF_TOPIC[0])
    feed_server.set("/a.xml", rss([story, other]))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    assert _poll(loaded) == (2, 1)
    assert _days_pass(redis_client) > 0
    # The feed changes: a new on-topic story beside the two it still lists.
    feed_server.set("/a.xml", rss([("new-story", *ON_TOPIC[1]), story, other]))
    assert _poll(loaded) == (1, 1)
    assert len(json_receiver.received) == 2
    assert ON_TOPIC[1][0] in json.dumps(json_receiver.received[1], ensure_ascii=False)


def test_an_item_the_feed_dropped_and_lists_again_later_is_checked_against_the_seen_set(
        feed_server, json_receiver, make_settings, redis_client) -> None:
    story = ("back-story", *ON_TOPIC[0])
    feed_server.set("/a.xml", rss([story]))
    loaded = settings.load(make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url}))
    assert _poll(loaded) == (1, 1)
    feed_server.set("/a.xml", rss([("other", *OFF_TOPIC[0])]))  # the story leaves the feed
    assert _poll(loaded) == (1, 0)
    feed_server.set("/a.xml", rss([story, ("other", *OFF_TOPIC[0])]))  # and comes back within seen_ttl
    assert _poll(loaded) == (0, 0)  # the seen-set still knows it
    assert len(json_receiver.received) == 1
