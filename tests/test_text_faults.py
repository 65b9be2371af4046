"""Hostile text a feed or a page can deliver, on the real normaliser, language detector,
HTML cleaner and extractor: long runs of combining marks, a lone surrogate, nesting past
libxml2's default depth, and a page of endless tiny elements."""

from __future__ import annotations

import unicodedata

import pytest

from monitor import language, limits
from monitor.ingest import article
from monitor.ingest.text import html_to_text
from monitor.normalise import MARK_RUN_MAX, cap_mark_runs, normalise

ZALGO = "Turkish troops a" + "\u0301\u0316" * 50_000 + " entered Idlib"


def longest_mark_run(text: str) -> int:
    longest = run = 0
    for ch in text:
        run = run + 1 if unicodedata.combining(ch) else 0
        longest = max(longest, run)
    return longest


def test_runs_of_combining_marks_are_cut_before_normalising() -> None:
    """Unicode normalisation reorders a run of marks in time that grows with its square:
    200 KB of alternating marks took 23 s to score. Runs are cut to Unicode's stream-safe 30."""
    capped = cap_mark_runs(ZALGO)
    assert longest_mark_run(ZALGO) == 100_000 and longest_mark_run(capped) == MARK_RUN_MAX
    assert capped.startswith("Turkish troops a") and capped.endswith(" entered Idlib")
    assert normalise(ZALGO) == "turkish troops a entered idlib"
    tibetan = "a" + "\u0f73" * 20_000  # class 0 itself, but each decomposes into two marks
    assert len(cap_mark_runs(tibetan)) == 1 + MARK_RUN_MAX
    ordinary = "Erdoğan'ın açıklaması: " + "ş" * 3_000  # precomposed letters are no run of marks
    assert cap_mark_runs(ordinary) == ordinary


@pytest.mark.timeout(20)
def test_a_long_latin_run_beside_a_mixed_cyrillic_word_is_folded_in_one_pass() -> None:
    """The look-alike fold searched with a pattern around the pair, which backtracked over
    every start in a long Latin run: 100 KB took 226 s (a 20,000-character item 9 s, in the
    scoring worker every feed shares). Words are now found as runs first."""
    text = "b" * 100_000 + " Tурция"
    assert normalise(text) == "b" * 100_000 + " турция"


def test_a_lone_surrogate_does_not_fail_language_detection() -> None:
    """fastText refused a string holding a lone surrogate (TypeError)."""
    assert language.detect("\ud800 Turkish troops entered Idlib on Monday, the ministry said.") == "en"


def test_full_width_latin_is_read_as_its_letters() -> None:
    """fastText read full-width Latin ("Ｔｕｒｋｅｙ ｓｈｅｌｌｓ …") as Norwegian."""
    assert language.detect("Ｔｕｒｋｅｙ ｓｈｅｌｌｓ ｓｙｒｉａｎ ａｒｍｙ ｐｏｓｉｔｉｏｎｓ ｉｎ ｉｄｌｉｂ") == "en"


def test_text_nested_past_255_levels_is_kept() -> None:
    """libxml2 stops at ~255 levels unless asked for huge trees: the rest of the item was lost."""
    nested = "<span>" * 300 + "Turkish troops entered Syria." + "</span>" * 300
    html = f"<p>Intro.</p>{nested}<p>Moscow talks ended.</p>"
    assert html_to_text(html) == "Intro. Turkish troops entered Syria. Moscow talks ended."


def test_a_page_of_endless_tiny_elements_is_not_extracted() -> None:
    """trafilatura took 19 s on 2 MB of `<p>word.</p>` in the scoring worker; past
    ARTICLE_MAX_TAGS a page is thin and the item is judged on its feed text."""
    story = "<p>" + "Turkish and Russian officers met in Ankara to discuss the Idlib ceasefire. " * 20 + "</p>"
    ordinary = f"<html><body><article><h1>Talks</h1>{story}</article></body></html>".encode()
    assert "Idlib ceasefire" in article.extract(ordinary, "https://news.example/a", 20_000)
    flood = ordinary.replace(b"</article>", b"<p>word.</p>" * limits.ARTICLE_MAX_TAGS + b"</article>")
    assert article.extract(flood, "https://news.example/a", 20_000) == ""
    assert article.extract_titled(flood, "https://news.example/a", 20_000) == ("", "")


def test_markup_of_endless_attributes_is_not_parsed() -> None:
    """libxml2's HTML parser slows with the square of one element's attributes: a page of
    12 tags and 170,000 attributes took 27 s to extract, and 24 item fragments of 20,000
    each held a 4.8 MB feed's parse 12 s. Past the bounds a page is thin, and an item's
    HTML loses its tags by a plain pattern."""
    flood = " ".join(f"a{i}=x" for i in range(limits.ARTICLE_MAX_ATTRIBUTES + 1))
    story = "<p>" + "Turkish and Russian officers met in Ankara to discuss the Idlib ceasefire. " * 20 + "</p>"
    page = f"<html><body><article><h1>Talks</h1><p {flood}>x</p>{story}</article></body></html>".encode()
    assert article.extract(page, "https://news.example/a", 20_000) == ""
    assert article.extract_titled(page, "https://news.example/a", 20_000) == ("", "")
    item = f"<p {flood[:limits.ITEM_HTML_CHARS]}>Ankara talks</p><p>Idlib ceasefire agreed.</p>"
    assert html_to_text(item[:limits.ITEM_HTML_CHARS]) == ""  # the tag never ends: nothing but it
    item = f"<p {' '.join(f'a{i}=x' for i in range(6_000))}>Ankara talks</p><p>Idlib ceasefire agreed.</p>"
    assert html_to_text(item) == "Ankara talks Idlib ceasefire agreed."
