"""Plain-text tables for command output: columns as wide as their widest cell, as a
terminal shows it (wcwidth): a CJK character or an emoji takes two columns, an Arabic
vowel mark or a combining accent none, so padding by len() pushed the next column out of
line under such a headline."""

from __future__ import annotations

from collections.abc import Sequence

from wcwidth import wcswidth


def width(text: str) -> int:
    """Columns a terminal gives `text` (its length where wcwidth cannot tell: a control character)."""
    columns = wcswidth(text)
    return columns if columns >= 0 else len(text)


def _pad(text: str, columns: int, right: bool) -> str:
    fill = " " * max(0, columns - width(text))
    return fill + text if right else text + fill


def render(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = (),
           tail: int | None = None) -> list[str]:
    """Lines of a table; columns in `right` are right-aligned (numbers). Column `tail`
    (default: none) is left unpadded at the end of its line, for long free text."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([width(headers[i])] + [width(r[i]) for r in cells]) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        out = []
        for i, value in enumerate(values):
            if i == tail or i == len(values) - 1:
                out.append(value)
            else:
                out.append(_pad(value, widths[i], i in right))
        return "  ".join(out).rstrip()

    return [line(list(headers))] + [line(r) for r in cells]
