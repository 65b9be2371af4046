"""Telegram channels read through RSS bridges (tests/telegram.py): the monitor judges a post's
story, not the bridge's media tags, the forward's header, the channel's hashtags and call to
subscribe, nor its headline twice; and it shows the post's headline in the alert."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from monitor.ingest.article import ArticleConfig
from monitor.ingest.article_stage import wants_page
from monitor.ingest.parse import parse_feed
from monitor.items import Item, TopicScore
from tests import telegram
from tests.test_cli import monitor

FETCHED = datetime(2026, 12, 1, tzinfo=UTC)
POSTS = {telegram.link(post): post for post in telegram.posts()}
SHAPES = {"rsshub": lambda posts: telegram.rss(posts), "rssbridge": telegram.atom,
          "whole": lambda posts: telegram.rss(posts, "whole")}
# what a channel adds to a post, in each of the four languages
ADDED = ("#", "@", "подпис", "в свой telegram", "تابعونا", "للاشتراك", "takip edin", "abone ol", "subscribe",
         "follow us", "forwarded from", "👁")


def _items(shape: str) -> list[Item]:
    return parse_feed(SHAPES[shape](list(POSTS.values())), None, shape, FETCHED)


@pytest.mark.parametrize("shape", ["rsshub", "rssbridge"])
def test_a_posts_text_is_its_story_without_the_channels_additions(shape: str) -> None:
    for item in _items(shape):
        assert not any(added in item.text.lower() for added in ADDED), item.text
        assert not item.title.startswith(("🖼", "🎬", "🔁")), item.title


@pytest.mark.parametrize("shape", ["rsshub", "rssbridge", "whole"])
def test_a_post_with_no_words_is_no_item(shape: str) -> None:
    """A photo alone was an item titled "🖼" (RSSHub), "[Photo]", or "@syria_now posted a
    video" (rss-bridge), scored 0.060-0.159 on nothing or its channel's name."""
    read = {item.url for item in _items(shape)}
    assert read == {link for link, post in POSTS.items() if post["head"]}


def test_a_media_posts_headline_is_not_judged_twice() -> None:
    """RSSHub titles a post with a photo "🖼 <its first line>": the tag hid the repeat, and
    the headline was judged twice; a forward's header did the same."""
    for item in _items("rsshub"):
        head = POSTS[item.url]["head"]
        assert head not in item.text, (item.title, item.text)


def test_channels_tags_and_calls_to_subscribe_raise_no_alert(feed_server, json_receiver, make_settings,
                                                             shipped_threshold: float) -> None:
    """Off-topic posts tagged with the topic's countries through RSSHub ("#Сирия #Турция
    #Россия" under a minister's visit, or under a post on tourists to Antalya): the tags took
    them to 0.994 and 0.838, where the stories score 0.534 and 0.030."""
    tagged = [post for post in POSTS.values() if post["n"] in (4113, 4114, 4115, 5210)]
    on_topic = [post for post in POSTS.values() if post["n"] in (4101, 5201, 6302)]
    feed_server.set("/rsshub.xml", telegram.rss(tagged + on_topic), content_type="application/rss+xml")
    alerted = _alerted_titles("/rsshub.xml", feed_server, json_receiver, make_settings, shipped_threshold)
    assert alerted == sorted((post["emoji"] + post["head"]).strip() for post in on_topic)


def test_a_post_through_rss_bridge_is_alerted_under_its_headline_and_judged_once(
        feed_server, json_receiver, make_settings, shipped_threshold: float) -> None:
    """rss-bridge titles a post with its first 100 bytes and "...": the alert showed "Глава МИД
    Турции прибыл в Москву Министр проведёт..." for a post whose story scores 0.534 (the
    headline judged in two halves, 0.588 with its tags dropped, 0.996 with them), and "⚡️Сирийская
    армия при поддержке ВКС России взяла под..." for one on topic (0.914, Saraqib's name in no
    headline)."""
    posts = [post for post in POSTS.values() if post["n"] in (4113, 4106, 6303, 5203)]
    feed_server.set("/bridge.atom", telegram.atom(posts), content_type="application/atom+xml")
    alerted = _alerted_titles("/bridge.atom", feed_server, json_receiver, make_settings, shipped_threshold)
    assert alerted == sorted(post["emoji"] + post["head"] for post in posts if post["topic"])


@pytest.mark.parametrize("shape", ["rsshub", "rssbridge", "whole"])
def test_a_posts_title_is_its_headline(shape: str) -> None:
    """The alert's title: RSSHub's first line of a post ("❗️❗️❗️", "#SonDakika" above its
    headline), rss-bridge's first 100 bytes ("...Москву Министр проведёт..."), or the whole
    post (199 characters in an alert) were the titles."""
    for item in _items(shape):
        post = POSTS[item.url]
        assert item.title == (post["emoji"] + post["head"]).strip()


def test_a_whole_post_title_is_its_headline_and_the_rest_its_text() -> None:
    for item in _items("whole"):
        assert item.text == " ".join(POSTS[item.url]["body"])


@pytest.mark.parametrize("link", ["https://t.me/rian_ru/4101", "https://t.me/s/rian_ru/4101",
                                  "https://t.me/syria_now/5202?single", "http://telegram.me/tass_agency/4102",
                                  "https://tass.t.me/4101"])
def test_a_telegram_posts_page_is_not_read(link: str) -> None:
    """With articles = "auto", a short post scoring article_bar read the page at its link: a
    Telegram post's is the post in a widget, or the channel's last twenty posts (t.me/s/)."""
    config = ArticleConfig(mode="always")
    item = Item(id="1", source="hub", url=link, title="Турецкие военные ответили огнём", text="",
                published=FETCHED)
    scores = {"turkey_russia_syria": TopicScore("turkey_russia_syria", 0.9)}
    assert not wants_page(config, item, scores, ["turkey_russia_syria"])
    assert wants_page(config, replace(item, url="https://ria.example/world/20261130/turkey.html"), scores,
                      ["turkey_russia_syria"])


def test_a_reply_is_judged_on_its_own_words_not_the_post_it_quotes(feed_server, json_receiver, make_settings,
                                                                    shipped_threshold: float) -> None:
    """A post replying to an earlier one: RSSHub quotes that post before it, and the reply
    (Moscow's denial) read as a copy of the earlier story (Jaccard 0.46, rss-bridge's 0.42):
    one alert where two stories were told."""
    earlier = dict(POSTS["https://t.me/mideast_wire/7407"], n=7400, reply=None, emoji="", tags="#Syria",
                   head="Turkish soldiers killed at an observation post near Saraqib, Ankara says",
                   body=["The defence ministry said Syrian government artillery hit the post overnight and "
                         "Turkish guns returned fire on army positions."])
    reply = dict(POSTS["https://t.me/mideast_wire/7407"],
                 reply={"author": "Mideast Wire", "text": f"{earlier['head']}<br/>{earlier['body'][0]}"})
    feed_server.set("/rsshub.xml", telegram.rss([earlier, reply]), content_type="application/rss+xml")
    path = make_settings({"hub": feed_server.url("/rsshub.xml")}, {"hook": json_receiver.url},
                         threshold=shipped_threshold)
    path.write_text(path.read_text().replace("[monitor]\n", '[monitor]\narticles = "never"\n', 1))
    result = monitor("poll", "--once", settings=path)
    assert result.returncode == 0, result.stderr
    assert sorted(m["title"].split("] ", 1)[1] for m in json_receiver.received) == sorted(
        [earlier["head"], reply["head"]])


def _alerted_titles(feed_path: str, feed_server, json_receiver, make_settings, threshold: float) -> list[str]:
    """The headlines alerted by `monitor poll --once` of the served feed, pages not read."""
    path = make_settings({"feed": feed_server.url(feed_path)}, {"hook": json_receiver.url}, threshold=threshold)
    path.write_text(path.read_text().replace("[monitor]\n", '[monitor]\narticles = "never"\n', 1))
    result = monitor("poll", "--once", settings=path)
    assert result.returncode == 0, result.stderr
    return sorted(m["title"].split("] ", 1)[1] for m in json_receiver.received)
