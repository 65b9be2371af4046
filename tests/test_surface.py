"""A feed's label before a headline and an outlet's name after it: dropped before counting
(monitor/model/surface.py), so a story scores as its bare headline does. Texts written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.model.classify import Classifier
from monitor.model.surface import bare

ROOT = Path(__file__).resolve().parent.parent
TOPIC = "turkey_russia_syria"

# Mid-range items (0.3-0.85 on the shipped model): a saturated score would hide the shift.
# On the old code the outlet cost the Russian one 0.35 (0.60 -> 0.25).
ITEMS = {
    "ru": ("Авиаудар по рынку в Идлибе", "Местные жители обвинили в налёте российскую авиацию."),
    "tr": ("Muhalifler helikopter düşürdü", "Helikopter Serakib yakınında düştü."),
    "en": ("Observation post surrounded as Syrian troops advance",
           "Turkish soldiers at the post were cut off after the army took the nearby town."),
}
DRESSED = {
    "ru": ["СРОЧНО: {h}", "Молния | {h}", "🔴 {h}", "{h} (ФОТО)", "{h} | RT на русском", "{h} - ТАСС"],
    "tr": ["[VİDEO] {h}", "🔴 CANLI: {h}", "{h} - Anadolu Ajansı", "{h} - TRT Haber"],
    "en": ["BREAKING: {h}", "VIDEO: {h}", "⚡️ Breaking news | {h}", "{h} - Al Jazeera", "{h} (video)"],
}


@pytest.fixture(scope="module")
def model() -> Classifier:
    return Classifier.load(ROOT / "models" / "topics.skops")


@pytest.mark.parametrize("lang", sorted(ITEMS))
def test_a_dressed_headline_scores_as_the_bare_one(model: Classifier, lang: str) -> None:
    head, lead = ITEMS[lang]
    texts = [f"{head}\n{lead}"] + [f"{form.format(h=head)}\n{lead}" for form in DRESSED[lang]]
    clean, *dressed = (s[TOPIC].score for s in model.score(texts, explain=False))
    assert 0.3 <= clean <= 0.85
    assert dressed == pytest.approx([clean] * len(dressed), abs=1e-9)


@pytest.mark.parametrize("text", [
    "Video games sell well\nx",  # a word, not a label: no separator after it
    "Breaking News\nChip shortage hits car production",  # a headline of its own
    "BREAKING:\nlead",  # nothing would be left of the headline
    "Lead line\nBREAKING: the second line is not a headline",
    "Reuters names new editor - Reuters\nx",  # Reuters: training titles end with it
    "SON DAKİKA: Erdoğan konuştu\nx", "عاجل | بوتين\nx",  # in the training texts: kept
])
def test_what_is_not_a_feed_label_stays(text: str) -> None:
    assert bare(text) == text


def test_training_texts_are_counted_as_before() -> None:
    """The shipped model was trained on these texts as they were: bare must leave every one
    (27,395 on 2026-12-02) as it is, or the model would need training again."""
    texts = [json.loads(line)["text"] for line in (ROOT / "models" / "train.jsonl").open(encoding="utf-8")]
    assert len(texts) > 20_000
    assert [t for t in texts if bare(t) != t] == []
