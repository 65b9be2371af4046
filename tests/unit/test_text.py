"""text.unescape_left: how far references left in decoded text are decoded."""

from __future__ import annotations

import time

import pytest

from monitor.ingest.text import unescape_left


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("&#1055;&#1091;&#1090;&#1080;&#1085;", "Путин"),  # one level, always
        ("&amp;#1055;&amp;#1091;&amp;#1090;&amp;#1080;&amp;#1085;", "Путин"),  # letters: another
        ("&amp;amp;#1578;&amp;amp;#1585;", "تر"),  # and another
        ("&amp;amp;amp;#1055;", "&#1055;"),  # at most three levels
        ("&amp;amp; &amp;lt;b&amp;gt;", "&amp; &lt;b&gt;"),  # no letter so written: one level only
        ("&amp;#1055; &amp;amp; &amp;lt;", "П & <"),  # text, escaped twice throughout: a "<" sign
        ("AT&amp;T, ?a=1&amp;copy=2 &amp;#1055;", "AT&T, ?a=1&copy=2 П"),  # ";" required at each level
        ("&amp;#1; &amp;#xD800; &amp;#99999999; &amp;#1044;", "    &#99999999; Д"),  # no control, no surrogate
    ],
)
def test_unescape_left(text: str, expected: str) -> None:
    assert unescape_left(text) == expected


def test_unescape_left_is_linear() -> None:
    """A long chain of "amp;" and many references are each one pass per level."""
    hostile = "&" + "amp;" * 200_000 + "#1055; " + "&amp;#1055;" * 50_000
    started = time.perf_counter()
    unescape_left(hostile)
    assert time.perf_counter() - started < 2.0
