"""Plain-text tables for command output: columns as wide as their widest cell."""

from __future__ import annotations

from collections.abc import Sequence


def render(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = (),
           tail: int | None = None) -> list[str]:
    """Lines of a table; columns in `right` are right-aligned (numbers). Column `tail`
    (default: none) is left unpadded at the end of its line, for long free text."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(headers[i])] + [len(r[i]) for r in cells]) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        out = []
        for i, value in enumerate(values):
            if i == tail or i == len(values) - 1:
                out.append(value)
            else:
                out.append(value.rjust(widths[i]) if i in right else value.ljust(widths[i]))
        return "  ".join(out).rstrip()

    return [line(list(headers))] + [line(r) for r in cells]
