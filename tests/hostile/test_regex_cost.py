"""Patterns that read hostile feed items and pages once. Each fault was a regex that could
read the same text many ways, or from many starts to the end, with the GIL held (the parse
thread, the event loop or the scoring worker stopped with it): measured on the patterns as
they were (/work-side screen of the 174 patterns in monitor/), each now reads its input in
milliseconds at its cap. The property tests hold each to the matches of the pattern before."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from monitor.ingest import aggregators, charsets, refresh, trailers
from monitor.ingest.aggregators import own_entry
from monitor.ingest.charsets import DETECT_BYTES, html_charset
from monitor.ingest.parse import parse_feed
from monitor.ingest.trailers import drop_related_lines

# The patterns as they were: the references for the property tests
_OLD_ENTRY = re.compile(r"<li>(.*?)</li>", re.S | re.I)
_OLD_META = re.compile(rb"<meta\s[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_OLD_VIEWS = re.compile(r"👁\S*\s*[\d.,]+\s*[KkMmКкМм]?\w*\Z")
_OLD_TAG = re.compile(rb"<meta\s[^>]*?http-equiv\s*=\s*[\"']?refresh\b[^>]*>", re.IGNORECASE)


@pytest.mark.timeout(30)
def test_a_cluster_of_unclosed_entries_is_read_once() -> None:
    """200 KB of "<li>" without "</li>": 53 s, each <li> read to the end (n^2)."""
    description = "<ol>" + "<li>" * 50_000
    assert own_entry(description) == description
    assert own_entry("<ol><li>Own <b>story</b></li><li>Other</li></ol>") == "Own <b>story</b>"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("head", [b"<meta charset=" + b" " * DETECT_BYTES + b"\x00", b"<meta " * 11_000])
def test_a_page_head_of_spaces_or_meta_tags_is_read_once(head: bytes) -> None:
    """The page's charset declaration: 64 KB of spaces after "charset=" ran past 20 s
    (`\\s*` twice around a quote that may be missing); "<meta " 11,000 times 5.3 s."""
    assert html_charset(head, None) != "x"
    assert html_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1254">', None) \
        == "windows-1254"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("head", [b"<meta http-equiv=refresh " * 2_700, b"<meta " * 11_000])
def test_a_page_head_of_refresh_tags_is_read_once(head: bytes) -> None:
    """On the event loop: "<meta http-equiv=refresh " over 64 KB ran past 20 s (n^3)."""
    assert refresh.target(head, "https://news.example.org/a") is None
    assert refresh.target(b'<meta http-equiv="refresh" content="0; url=/b">', "https://news.example.org/a") \
        == "https://news.example.org/b"


@pytest.mark.timeout(30)
def test_a_posts_last_lines_of_digits_after_an_eye_are_read_once() -> None:
    """"👁" and 198 digits on each of the last lines: n^3 tries (0.6 s an item, 600 s for
    a feed of 1,000 such items); a post's views line is still dropped."""
    text = "Strikes on Idlib.\n" + "\n".join("👁" + "1" * 198 + "!" for _ in range(8))
    assert all(drop_related_lines(text) == text for _ in range(100))  # a feed's items: 60 s before
    assert drop_related_lines("Strikes on Idlib.\nMore.\n👁 15.2K") == "Strikes on Idlib.\nMore."


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["<ol>", "<li>", "</li>", "<LI>", "x", "\n", "<", ">", "/"]), max_size=12))
def test_the_first_entry_is_the_one_found_before(parts: list[str]) -> None:
    text = "".join(parts)
    old, new = _OLD_ENTRY.search(text), aggregators._CLUSTER_ENTRY.match(text)
    assert (old and old[1]) == (new and new[1])


_META_PARTS = [b"<meta ", b"<META\t", b"charset", b"http-equiv", b"refresh", b"=", b" ", b'"', b"'", b"utf-8",
               b"content", b">", b"x", b"\n", b";"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_META_PARTS), max_size=14))
def test_the_declared_charset_and_refresh_tag_are_those_found_before(parts: list[bytes]) -> None:
    """The same wherever no '<' falls inside a tag (HTML escapes it there): "<meta <meta
    http-equiv=refresh>" was one tag to the old pattern, from its first '<'."""
    head = b"".join(parts)
    assume(re.search(rb"<[^>]*<", head) is None)
    old, new = _OLD_META.search(head), charsets._META.search(head)
    assert (old and old[1]) == (new and new[1])
    old, new = _OLD_TAG.search(head), refresh._TAG.search(head)
    assert (old and old[0]) == (new and new[0])


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["👁", "\ufe0f", " ", "1", "5", ".", ",", "K", "м", "views", "x"]), max_size=10)
       .filter(lambda parts: len("".join(parts)) <= 16))
def test_a_views_line_is_the_one_found_before(parts: list[str]) -> None:
    """The same for every views line of 16 characters or fewer after the eye (a real one
    is "👁 15.2K"); a longer part is no post's count."""
    line = "👁" + "".join(parts)
    assert bool(_OLD_VIEWS.match(line)) == bool(re.match(trailers._VIEWS + r"\Z", line))


# Runs of spaces and tabs around what a label, an outlet's name, a dateline, a photo credit or
# a trailer starts with: seven patterns (repeats._LABEL and _OUTLET, surface._AFTER,
# datelines._DATELINE_BEFORE and _AGENCY_DATELINE, trailers._BEFORE and _KINDS) read such a
# run from each of its characters, or each of its ends from each start: 0.3-0.8 s for 8,000
# characters, n^2. They are safe because a title and a text are one-spaced (each line) before
# any of them reads it; this holds that order (it fails when text.collapse and lines_of keep
# the runs).
_RUNS = ["Syria" + " \t" * 4_000 + "x", "A" + " " * 8_000 + "x", "ANKARA" + " \t" * 4_000 + "(AA)",
         "(Photo" + " " * 8_000, "x" + " (Son dakika)" * 600, "x" + "\t-" * 4_000 + " Reuters"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("run", _RUNS)
def test_titles_and_texts_are_one_spaced_before_the_patterns_that_read_runs(run: str) -> None:
    items = "".join(f"<item><title>{escape(run[:1_000])}</title><description>{escape(run * 3)}</description>"
                    f"<link>https://news.example.org/{n}</link></item>" for n in range(20))
    body = f"<rss><channel><title>t</title>{items}</channel></rss>".encode()
    found = parse_feed(body, "application/rss+xml", "f", datetime.now(UTC))
    assert len(found) == 20
    assert all("  " not in item.title + item.text and "\t" not in item.title + item.text for item in found)
