"""`has_words` (the short-item test of the article stage) agrees with counting every word."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.ingest.article import has_words, words

TEXTS = st.lists(st.sampled_from(["a", "bb", " ", "  ", "\n", "\t", "ç", "x\u00a0y"]), max_size=30).map("".join)


@settings(database=None, deadline=None)
@given(TEXTS, st.integers(min_value=-1, max_value=20))
def test_has_words_is_words_at_least_n(text: str, n: int) -> None:
    assert has_words(text, n) == (words(text) >= n)
