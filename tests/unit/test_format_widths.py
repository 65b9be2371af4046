"""The width check of the template sandbox (delivery/sandbox.py, _check_format) against
Python's own formatting: whatever format it lets through makes no field wider than the
limit, however the format is written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SecurityError

from monitor.delivery import sandbox

LIMIT = 20  # the check's limit for this test, so that short formats can exceed it
PARTS = ["%", "%", "(", ")", "a", "{", "}", ":", ".", ">", "0", "9", "60", "999", "d", "s", "f", "*", "[", "]",
         "!r", "%%", "{{", "}}", " "]


class _Any(dict[str, int]):
    """A mapping with every key, for `%(key)d` and `{key}`."""

    def __missing__(self, key: str) -> int:
        return 1


def _renderings(fmt: str) -> Iterator[str]:
    """What Python makes of the format with small arguments, in each way it can be called."""
    for call in ([lambda: fmt % _Any()] + [lambda n=n: fmt % ((1,) * n) for n in range(1, 6)]
                 + [lambda: fmt.format(*[1] * 6, **_Any()), lambda: fmt.format_map(_Any())]):
        try:
            yield call()
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            continue


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PARTS), max_size=10).map("".join))
@example("%(a)999d")
@example("%((a))999d")
@example("%%%999d")
@example("{0[:]:>999}")
@example("%5%999d")
@example("{:{}}")
@example("%.60f")
@example("{:.60}")
def test_a_format_let_through_makes_no_field_wider_than_the_limit(fmt: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sandbox, "RENDER_MAX_CHARS", LIMIT)
        try:
            sandbox._check_format(fmt, "a format")
        except SecurityError:
            return
    for rendered in _renderings(fmt):
        # each field ('%' or '{' at most) holds 1 padded to the limit, or "1." and as many digits
        assert len(rendered) <= len(fmt) + (fmt.count("%") + fmt.count("{")) * (LIMIT + 2), (fmt, rendered)
