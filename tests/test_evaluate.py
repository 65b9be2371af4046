"""Evaluation on a small labelled file written here, with the shipped model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from monitor import settings
from monitor.cli.analysis import format_table, run_evaluate
from monitor.errors import InputError
from monitor.model.classify import Classifier
from monitor.model.evaluate import evaluate, metrics

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "topics.skops"
TOPIC = "turkey_russia_syria"

ROWS = [
    ("Putin and Erdogan agree new ceasefire for Syria's Idlib after talks in Moscow. Turkish "
     "and Russian troops will patrol the M4 highway, the two presidents said.", [TOPIC]),
    ("Russian warplanes bombed rebel-held towns in Idlib, killing 12 civilians, as Turkey "
     "sent more troops to its observation posts in the province.", [TOPIC]),
    ("Turkey says Syrian government shelling killed two of its soldiers in Idlib; Ankara "
     "asks Moscow to restrain Damascus.", [TOPIC]),
    ("The city council approved a new cycle lane along the river on Tuesday.", []),
    ("Shares in the airline rose after it reported higher summer bookings.", []),
    ("Ukraine said Russian drones hit power stations near Kharkiv overnight.",
     ["russia_ukraine_war"]),
]


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps({"text": t, "topics": k}) + "\n" for t, k in ROWS))
    return path


def test_metrics_counts_and_rates() -> None:
    y = np.array([True, True, False, False, False])
    probs = np.array([0.9, 0.4, 0.8, 0.1, 0.2])
    m = metrics(y, probs, 0.5)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (1, 1, 1, 2)
    assert m["precision"] == 0.5 and m["recall"] == 0.5 and m["f1"] == 0.5
    assert m["fpr"] == pytest.approx(1 / 3)
    assert m["average_precision"] == pytest.approx((1 / 1 + 2 / 3) / 2)
    none = metrics(np.array([False, False]), np.array([0.1, 0.9]), 0.5)
    assert none["recall"] is None and none["average_precision"] is None and none["fpr"] == 0.5


def test_evaluate_small_file(labelled: Path) -> None:
    model = Classifier.load(MODEL)
    result = evaluate(model, labelled, {TOPIC: 0.5})
    m = result[TOPIC]
    assert m["items"] == 6 and m["positives"] == 3 and m["threshold"] == 0.5
    assert m["tp"] + m["fn"] == 3 and m["fp"] + m["tn"] == 3
    assert m["recall"] >= 2 / 3 and m["fp"] == 0
    assert set(result) == set(model.topics)
    assert result["russia_ukraine_war"]["positives"] == 1
    table = format_table(result)
    assert TOPIC in table and "tp/fp/fn/tn" in table


def test_run_evaluate_uses_settings_thresholds(labelled: Path, make_settings) -> None:
    loaded = settings.load(make_settings({}, threshold=0.99))
    text, code = run_evaluate(loaded, str(labelled), as_json=True)
    assert code == 0 and json.loads(text)[TOPIC]["threshold"] == 0.99
    text, _ = run_evaluate(loaded, str(labelled))
    assert str(labelled) in text and TOPIC in text


def test_bad_lines_are_refused(tmp_path: Path) -> None:
    model = Classifier.load(MODEL)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "topics": []}\n["not", "an", "object"]\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        evaluate(model, bad, {})
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(InputError, match="no labelled lines"):
        evaluate(model, empty, {})


def test_evaluate_reports_each_language(tmp_path: Path) -> None:
    """Issue 14: a file in several languages gets the measures per language too, each
    line's language from its "lang" or, without one, detected from its text."""
    rows = [
        ({"text": ROWS[0][0], "topics": [TOPIC]}),
        ({"text": ROWS[3][0], "topics": []}),
        ({"text": "Rusya ve Türkiye, İdlib'de ateşkes konusunda anlaştı; Türk ve Rus askerleri "
                  "M4 karayolunda ortak devriye yapacak.", "topics": [TOPIC]}),
        ({"text": "Belediye meclisi nehir boyunca yeni bir bisiklet yolunu onayladı.",
          "topics": []}),
        ({"text": "Short line", "topics": [], "lang": "ru"}),
    ]
    path = tmp_path / "multi.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    result = evaluate(Classifier.load(MODEL), path, {TOPIC: 0.5})
    by = result[TOPIC]["by_language"]
    assert set(by) == {"en", "tr", "ru"}
    assert (by["en"]["items"], by["tr"]["items"], by["ru"]["items"]) == (2, 2, 1)
    assert by["tr"]["positives"] == 1 and by["ru"]["positives"] == 0
    assert sum(m["tp"] + m["fn"] for m in by.values()) == result[TOPIC]["positives"] == 2
    table = format_table(result)
    assert "  [tr]" in table and "  [en]" in table


def test_one_language_has_no_breakdown(labelled: Path) -> None:
    result = evaluate(Classifier.load(MODEL), labelled, {TOPIC: 0.5})
    assert "by_language" not in result[TOPIC]
