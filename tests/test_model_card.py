"""The model card cannot drift from the shipped model: the version it names, its table of
thresholds and cross-validation figures, and its training counts are read from the model
file, settings.toml and train.jsonl (a retrain or a threshold moved without the card fails)."""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from itertools import takewhile
from pathlib import Path

import pytest

from monitor.model.classify import Classifier

ROOT = Path(__file__).resolve().parent.parent
CARD = (ROOT / "models" / "MODEL_CARD.md").read_text(encoding="utf-8")
LANGUAGES = {"English": "en", "Turkish": "tr", "Russian": "ru", "Arabic": "ar"}


@pytest.fixture(scope="module")
def meta() -> dict:
    return Classifier.load(ROOT / "models" / "topics.skops").metadata


def _number(cell: str) -> float:
    return float(cell.replace(",", "").split()[0])


def _table(header: str) -> list[list[str]]:
    """The cells of the rows of the table whose header line starts with `header`."""
    lines = CARD.split(header, 1)[1].splitlines()[2:]  # the header's rest and the rule left out
    return [[cell.strip(" *`") for cell in line.strip("|").split("|")]
            for line in takewhile(lambda line: line.startswith("|"), lines)]


def test_the_card_names_the_shipped_version(meta: dict) -> None:
    named = re.search(r"\*\*Shipped model: `([0-9a-f]{12}-\d{8})`\*\*", CARD)
    assert named and named.group(1) == meta["version"]


def test_the_thresholds_and_cross_validation_are_the_models(meta: dict) -> None:
    settings = tomllib.loads((ROOT / "settings.toml").read_text(encoding="utf-8"))["topics"]
    rows = {row[0]: row for row in _table("| topic | threshold (settings.toml)")}
    assert set(rows) == set(meta["topics"])
    for topic, cv in meta["cv"].items():
        row = rows[topic]
        assert _number(row[1]) == settings[topic]["threshold"], topic
        assert _number(row[2]) == cv["positives"], topic
        assert _number(row[3]) == round(cv["average_precision"], 3), topic
        assert _number(row[4]) == cv["suggested_threshold"], topic
        at = {round(t["threshold"], 2): t for t in cv["thresholds"]}
        stated = re.findall(r"([\d.]+) / ([\d.]+)(?: \(at ([\d.]+)\))?", row[5])
        assert stated, topic
        for precision, recall, threshold in stated:
            figures = at[float(threshold or settings[topic]["threshold"])]
            assert (float(precision), float(recall)) == (round(figures["precision"], 3),
                                                         round(figures["recall"], 3)), topic


def test_the_training_counts_are_train_jsonl_s() -> None:
    docs = [json.loads(line) for line in (ROOT / "models" / "train.jsonl").open(encoding="utf-8")]
    per_language = Counter(d.get("lang", "en") for d in docs)
    positives = Counter((d.get("lang", "en"), t) for d in docs for t in d["topics"])
    assert f"`models/train.jsonl`, {len(docs):,} documents" in CARD
    rows = _table("| | documents |")
    topics = ["turkey_russia_syria", "russia_ukraine_war", "israel_gaza", "iran_nuclear"]
    assert {row[0] for row in rows} == set(LANGUAGES)
    for row in rows:
        lang = LANGUAGES[row[0]]
        assert _number(row[1]) == per_language[lang], row[0]
        assert [_number(cell) for cell in row[2:]] == [positives[lang, t] for t in topics], row[0]
    assert f"{sum(1 for d in docs if not d['topics']):,} documents are on no topic" in CARD
