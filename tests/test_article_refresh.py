"""A page that only sends the reader on with a meta refresh is followed once (refresh.py):
read as it was, it was thin and its item was judged on its feed text. Real parts as in
test_articles.py; the article is the tests' own writing (test_article_charsets.py)."""

from __future__ import annotations

import pytest

from monitor.ingest import article_stage
from monitor.ingest.refresh import target
from tests.test_article_charsets import LEAD, TITLE, turkish_page
from tests.test_articles import _with_monitor, feed, poll


def _refresh(to: str, delay: int = 0) -> bytes:
    return (f'<html><head><meta http-equiv="refresh" content="{delay}; url={to}"><title>Yönlendiriliyor</title>'
            f'</head><body><p>Yönlendiriliyorsunuz. <a href="{to}">Buraya tıklayın</a>.</p></body></html>').encode()


def test_a_page_that_sends_the_reader_on_is_followed(feed_server, make_settings) -> None:
    feed_server.set("/a/1", turkish_page().encode(), content_type="text/html; charset=utf-8")
    feed_server.set("/r/1", _refresh("/a/1"), content_type="text/html; charset=utf-8")
    feed_server.set("/feed", feed([(feed_server.url("/r/1"), TITLE, LEAD)]))
    path = _with_monitor(make_settings({"f": feed_server.url("/feed")}), 'articles = "always"\n')
    _, alerts, _ = poll(path)
    assert [a.judged_on for a in alerts] == ["page"]
    assert "Recep Tayyip Erdoğan" in alerts[0].text


def test_a_chain_of_refreshes_is_followed_once_and_ends_on_the_feed_text(feed_server, make_settings) -> None:
    feed_server.set("/r/1", _refresh("/r/2"), content_type="text/html; charset=utf-8")
    feed_server.set("/r/2", _refresh("/r/1"), content_type="text/html; charset=utf-8")
    feed_server.set("/feed", feed([(feed_server.url("/r/1"), TITLE, LEAD)]))
    path = _with_monitor(make_settings({"f": feed_server.url("/feed")}), 'articles = "always"\n')
    _, alerts, _ = poll(path)
    assert [a.judged_on for a in alerts] == ["feed"]


def test_a_refresh_to_the_home_page_is_not_the_item_s_page(feed_server, make_settings) -> None:
    """A link shortener's or a removed article's answer that sends the reader to the site's
    home page (landing.py): the item is judged on its feed text, not on the home page."""
    home = turkish_page().replace("</article>", "<p>Derbi golsüz bitti, iki takımdan da kazanan olmadı.</p></article>")
    feed_server.set("/", home.encode(), content_type="text/html; charset=utf-8")  # the item's teaser among others
    feed_server.set("/spor/2026/derbi", _refresh("/"), content_type="text/html; charset=utf-8")
    feed_server.set("/feed", feed([(feed_server.url("/spor/2026/derbi"), "Derbide kazanan çıkmadı", "")]))
    path = _with_monitor(make_settings({"f": feed_server.url("/feed")}), 'articles = "always"\n')
    _, alerts, rt = poll(path)
    assert feed_server.hits("/") and alerts == []
    assert article_stage.read_counts(rt.store)["unrelated"] == 1


@pytest.mark.parametrize(("tag", "expected"), [
    ('<meta http-equiv="refresh" content="0; url=https://b.example/story">', "https://b.example/story"),
    ("<META HTTP-EQUIV='Refresh' CONTENT='0;URL=/story/1'>", "https://a.example/story/1"),
    ('<meta content="1;url=&quot;/s?a=1&amp;b=2&quot;" http-equiv="refresh">', "https://a.example/s?a=1&b=2"),
    ('<meta http-equiv="refresh" content="300">', None),  # a site reloading its page
    ('<meta http-equiv="refresh" content="600; url=https://b.example/">', None),  # too slow to be a redirect
    ('<meta http-equiv="refresh" content="0; url=https://a.example/x#top">', None),  # itself
    ('<meta http-equiv="refresh" content="0; url=javascript:alert(1)">', None),
    ('<meta http-equiv="refresh" content="0; url=file:///etc/passwd">', None),
])
def test_target(tag: str, expected: str | None) -> None:
    assert target(f"<html><head>{tag}</head></html>".encode(), "https://a.example/x") == expected


@pytest.mark.parametrize("to", ["http://[::1", "http://[v1.x]@/story"])
def test_a_refresh_to_no_address_leaves_the_item_on_its_feed_text(feed_server, make_settings, to: str) -> None:
    """"url=http://[::1" (found by fuzzing pages): urllib raised ValueError on the event loop,
    out of the article stage, and the poll ended without the item or the feed's other items
    (at every poll: the feed's error). "http://[v1.x]@/story": urllib splits it, and yarl
    raised IndexError when the page was read."""
    feed_server.set("/r/1", _refresh(to), content_type="text/html; charset=utf-8")
    feed_server.set("/a/2", turkish_page().encode(), content_type="text/html; charset=utf-8")
    feed_server.set("/feed", feed([(feed_server.url("/r/1"), TITLE, LEAD),
                                   (feed_server.url("/a/2"), TITLE + " (2)", LEAD + " İkinci.")]))
    path = _with_monitor(make_settings({"f": feed_server.url("/feed")}), 'articles = "always"\n')
    _, alerts, rt = poll(path)  # the second is the first's story again: one alert
    assert [a.judged_on for a in alerts] == ["feed"]
    counts = article_stage.read_counts(rt.store)
    assert counts["thin"] + counts["error"] == 1 and counts["page"] == 1  # the second: its address unread


@pytest.mark.parametrize("to", ["http://[::1", "http://[x@]y/"])
def test_target_of_no_address(to: str) -> None:
    assert target(_refresh(to), "https://a.example/x") is None
