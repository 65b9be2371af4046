"""Aggregators' search feeds (monitor/ingest/aggregators.py): Google Alerts', Bing News's and
Yahoo News's redirect links are read as the article's address, a Google News cluster as
its item's own entry, and no page is read behind a Google News link."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor import codec, settings, wiring
from monitor.ingest import aggregators
from monitor.ingest.article import ArticleConfig
from monitor.ingest.article_stage import wants_page
from monitor.ingest.parse import parse_feed
from monitor.items import Alert, Item
from monitor.model.classify import Classifier
from monitor.pipeline import PollResult, poll_once
from tests import aggregators as agg
from tests.conftest import FeedServer

ROOT = Path(__file__).resolve().parent.parent
TOPIC = "turkey_russia_syria"
BASE = "https://www.example-news.com"
ON = [s for s in agg.STORIES if s.on_topic]
NOW = datetime(2025, 3, 12, 12, tzinfo=UTC)


def items(body: str, kind: str = "application/rss+xml") -> list[Item]:
    return parse_feed(body.encode(), kind, "f", NOW)


def own_ids() -> dict[str, str]:
    """Each story's item id in its outlet's own feed (its GUID the article's address)."""
    return {item.url: item.id for item in items(agg.outlet_rss(BASE, agg.STORIES))}


@pytest.mark.parametrize("form", ["alert", "bing", "yahoo"])
def test_a_redirect_link_is_read_as_the_articles_address_and_item(form: str) -> None:
    """Fault: the item's link (its page, the alert's link) was Google's, Bing's or Yahoo's
    redirect, and its id the aggregator's: an article was another item in each alert and
    feed that listed it than in its outlet's own feed, and alerted in each."""
    body = {"alert": agg.google_alert(BASE, "111", agg.STORIES, ("Idlib",)),
            "bing": agg.bing_news(BASE, agg.STORIES), "yahoo": agg.yahoo_news(BASE, agg.STORIES)}[form]
    got = items(body, "application/atom+xml" if form == "alert" else "application/rss+xml")
    assert [i.url for i in got] == [f"{BASE}/{s.key}" for s in agg.STORIES]
    assert [i.id for i in got] == [own_ids()[i.url] for i in got]


def test_a_new_click_id_or_another_alert_is_the_same_item() -> None:
    """Fault: Bing's tid is new at each response, and every item of a Bing feed was new at
    every poll (scored and its page read again); two alerts listing one article gave two."""
    bing = [[i.id for i in items(agg.bing_news(BASE, ON, tid=tid))] for tid in ("A1B2", "C3D4")]
    alerts = [[i.id for i in items(agg.google_alert(BASE, alert, ON), "application/atom+xml")]
              for alert in ("111", "112", "221")]
    assert bing[0] == bing[1] == alerts[0] == alerts[1] == alerts[2]


@pytest.mark.parametrize("link", [
    "https://www.google.com/search?q=https://www.example-news.com/a",  # a search, not a redirect
    "https://www.google.com/url?sa=t&url=javascript:alert(1)",  # no web address
    "https://www.bing.com/news/search?q=Idlib&format=rss",
    "https://evil.example/url?url=https://www.example-news.com/a",  # another host's /url
    "https://news.google.com/rss/articles/CBMiXGh0dHBz?oc=5",
    "http://[::1",
])
def test_other_links_are_no_redirects(link: str) -> None:
    assert aggregators.wrapped(link) is None


def test_the_addresses_google_and_bing_encode_are_decoded() -> None:
    article = "https://www.example-news.com/world/a?id=1&x=%C3%A7"
    assert aggregators.wrapped(agg.bing_link(article, "T")) == article
    assert aggregators.wrapped("https://www.google.com/url?q=https%3A%2F%2Fwww.example-news.com%2Fb&sa=D") == \
        "https://www.example-news.com/b"


def test_a_google_news_cluster_is_scored_as_its_own_headline() -> None:
    """Fault: a cluster's <ol> of several outlets' headlines was the item's text, scored as
    its own: a story on the lira, among headlines on Idlib, scored 1.000 (0.003 alone)."""
    lira = agg.BY_KEY["reuters/lira"]
    (item,) = items(agg.google_news([lira]))
    assert (item.title, item.text) == (lira.title, "")
    model = Classifier.load(ROOT / "models" / "topics.skops")
    alone, clustered = (model.score([d], explain=False)[0][TOPIC].score for d in (
        lira.title, item.document))
    assert clustered == alone < 0.1


def test_no_page_is_read_behind_a_google_news_link() -> None:
    """Fault: the article stage read news.google.com's page (script that sends a browser on,
    or a consent wall) for each short Google News item."""
    config = ArticleConfig(mode="always")
    gn, = items(agg.google_news(ON[:1], clusters=False))
    assert not wants_page(config, gn, {}, [TOPIC])
    own = items(agg.outlet_rss(BASE, ON[:1]))[0]
    assert wants_page(config, own, {}, [TOPIC])


def _settings(make_settings, server: FeedServer) -> Path:
    return make_settings({"own": server.url("/own.xml"), "alert": server.url("/alert.xml"),
                          "bing": server.url("/bing.xml")}, threshold=0.57)


def _serve(server: FeedServer, poll: int) -> None:
    base = server.url("")
    server.set("/own.xml", agg.outlet_rss(base, ON[:1]))
    server.set("/alert.xml", agg.google_alert(base, f"11{poll}", ON[:1], ("Idlib",)),
               content_type="application/atom+xml")
    server.set("/bing.xml", agg.bing_news(base, ON[:1], tid=f"{poll}7D1"))
    server.set(f"/{ON[0].key}", agg.article_page(ON[0]), content_type="text/html; charset=utf-8")


def test_one_article_in_its_outlets_feed_an_alert_and_bing_is_one_item(feed_server, make_settings) -> None:
    """End to end, two polls, the second with new click ids: one item, one alert, with the
    article's link; one page read (before: 2 alerts, with Google's and Bing's links, and 2
    items new again at the second poll)."""
    _serve(feed_server, 1)
    loaded = settings.load(_settings(make_settings, feed_server))

    async def run() -> tuple[list[list[PollResult]], list[Alert]]:
        async with wiring.runtime(loaded) as rt:
            first = await poll_once(rt, force=True)
            _serve(feed_server, 2)
            second = await poll_once(rt, force=True)
            entries = rt.store.redis.xrange(rt.store.keys.outbox)
            return [first, second], [codec.decode_alert(f[b"alert"]) for _, f in entries]  # type: ignore[union-attr]

    polls, alerts = asyncio.run(run())
    assert [sum(r.new for r in results) for results in polls][1] == 0  # the first: each feed's, at once
    assert [a.url for a in alerts] == [feed_server.url(f"/{ON[0].key}")]
    assert len(feed_server.hits(f"/{ON[0].key}")) == 1
