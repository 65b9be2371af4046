"""Command tables (monitor/cli/table.py) line up as a terminal shows them."""

from __future__ import annotations

from wcwidth import wcswidth

from monitor.cli import table


def test_columns_line_up_under_wide_and_zero_width_characters() -> None:
    """Padded by len(), a Chinese headline (two columns a character) pushed its row's next
    column 5 columns right, and an Arabic one with its vowel marks (no column each) 6 left."""
    rows = [("伊德利卜停火协议", "tr-wire", "0.91"),
            ("هُجُومٌ عَلَى إِدْلِب", "ar-wire", "0.88"),
            ("Turkish troops return fire", "en-wire", "0.75"),
            ("🇹🇷 Ankara", "x", "0.50")]
    lines = table.render(("title", "source", "score"), rows, right=(2,))
    starts = {wcswidth(line[:line.index(source)]) for line, (_, source, _) in zip(lines[1:], rows, strict=True)}
    assert len(starts) == 1, lines
    assert len({wcswidth(line) for line in lines[1:]}) == 1, lines  # the scores end in one column


def test_plain_text_is_laid_out_as_before() -> None:
    assert table.render(("a", "bb"), [("xyz", "1"), ("p", "22")], right=(1,)) == ["a    bb", "xyz  1", "p    22"]
