"""Arabic number words are folded as the rest of the project folds Arabic (normalise.py), so
the hamza's seat, ta marbuta and short vowels written either way read as one number."""

from __future__ import annotations

import pytest

from monitor.dedup.numwords import spelled


@pytest.mark.parametrize("text", [
    "قتل ثلاثمائة جندي", "قتل ثلاثمئة جندي", "قتل ثلاثمئه جندي", "قتل ثلاثميه جندي", "قتل ثلاثمِئةِ جندي",
])
def test_three_hundred_however_the_hamza_is_written(text: str) -> None:
    assert [value for value, _ in spelled(text, "ar")] == [300]


@pytest.mark.parametrize(("text", "value"), [
    ("مقتل خمسةُ جنود", 5), ("مقتل جنديين", 2), ("اصابة اربعة مدنيين", 4), ("سقوط مئتي قذيفة", 200),
])
def test_counts_with_vowels_and_without_hamza(text: str, value: int) -> None:
    assert [v for v, _ in spelled(text, "ar")] == [value]
