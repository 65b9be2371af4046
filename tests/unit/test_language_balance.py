"""Training weights each other language's positives up to the reference language's odds."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from monitor.model.train import language_balance, read_data


def odds(y: np.ndarray, weights: np.ndarray, mask: np.ndarray) -> float:
    pos = weights[mask & (y == 1)].sum()
    return float(pos / weights[mask & (y == 0)].sum())


@given(st.lists(st.tuples(st.sampled_from([None, "tr", "ar"]), st.booleans()), min_size=1, max_size=60))
def test_every_language_with_both_labels_gets_the_reference_odds(rows: list[tuple[str | None, bool]]) -> None:
    langs = [lang for lang, _ in rows]
    y = np.array([label for _, label in rows], dtype=int)
    weights = language_balance(y, langs)
    tags = np.array([lang or "" for lang in langs])
    assert (weights > 0).all() and (weights[y == 0] == 1).all() and (weights[tags == ""] == 1).all()
    ref = tags == ""
    if not (y[ref].any() and (y[ref] == 0).any()):
        assert (weights == 1).all()  # nothing to balance against
        return
    for lang in ("tr", "ar"):
        here = tags == lang
        if y[here].any() and (y[here] == 0).any():
            assert np.isclose(odds(y, weights, here), odds(y, weights, ref))
        else:
            assert (weights[here] == 1).all()


def test_the_lang_field_is_read_and_english_is_the_reference(tmp_path) -> None:
    rows = [{"text": "a", "topics": ["t"], "lang": "tr"}, {"text": "b", "topics": [], "lang": "en"},
            {"text": "c", "topics": []}]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert read_data([path]).langs == ["tr", None, None]
