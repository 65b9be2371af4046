"""`has_words` (the short-item test of the article stage) agrees with counting every word, and
`wants_page` with its rule."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import urls
from monitor.ingest.article import ArticleConfig, ArticlesMode, has_words, words
from monitor.ingest.article_stage import wants_page
from monitor.items import Item, TopicScore

TEXTS = st.lists(st.sampled_from(["a", "bb", " ", "  ", "\n", "\t", "ç", "x\u00a0y"]), max_size=30).map("".join)


@settings(database=None, deadline=None)
@given(TEXTS, st.integers(min_value=-1, max_value=20))
def test_has_words_is_words_at_least_n(text: str, n: int) -> None:
    assert has_words(text, n) == (words(text) >= n)


MODES = st.sampled_from(["never", "auto", "always"])
LINKS = st.sampled_from(["https://outlet.example/world/1", "http://outlet.example/2", "https://t.me/rian_ru/4101",
                         "https://news.google.com/rss/articles/CBMi", "tag:outlet.example,2026:3", ""])


@settings(database=None, deadline=None, max_examples=400)
@given(MODES, LINKS, st.integers(min_value=0, max_value=8), st.integers(min_value=0, max_value=8),
       st.sampled_from([0.2, 0.5, 0.9]))
def test_wants_page_is_its_rule_whatever_order_it_tests_in(mode: ArticlesMode, link: str, n_words: int,
                                                           below: int, score: float) -> None:
    """Guard of the order of wants_page's tests (the word count before the link's host, which
    every item of a poll paid for): a page is wanted for a short item with a web link that is
    an article's, in mode "always", or "auto" with a score at the bar for a topic watched."""
    config = ArticleConfig(mode=mode, below_words=below, bar=0.5)
    text = " ".join(["word"] * n_words)
    item = Item(id="1", source="feed", url=link, title="Title", text=text, published=datetime(2026, 1, 1, tzinfo=UTC))
    scores = {"watched": TopicScore("watched", score), "other": TopicScore("other", 1.0)}
    web = link.startswith("http") and urls.host(link) not in ("t.me", "news.google.com")
    rule = (mode != "never" and web and words(text) < below
            and (mode == "always" or score >= 0.5))
    assert wants_page(config, item, scores, ["watched"]) == rule
