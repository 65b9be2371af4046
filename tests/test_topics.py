"""A topic without code (issue 18): `monitor topic add` from examples to a working topic,
and `monitor review` keeping verdicts on near-threshold items as labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.articles import OFF_TOPIC, rss
from tests.test_cli import ROOT, monitor

WILDFIRES = [
    "Wildfire forces evacuation of villages near Athens as winds fan the flames",
    "Firefighters battle a wildfire on Evia island; water-bombing planes called in",
    "Forest fire spreads across the hills of Rhodes, hotels evacuated overnight",
    "Canada wildfire season: smoke from forest fires blankets eastern cities",
    "California wildfire burns thousands of acres, firefighters contain a third of it",
    "Wildfire near Marseille: residents told to stay indoors as the blaze spreads",
    "Portugal sends firefighters and planes as forest fires rage in the centre",
    "Australia bushfire emergency: homes lost as the fire front crosses the ridge",
]
NOT_WILDFIRES = ["Central bank raises interest rates to curb inflation", "Champions League final tickets sold out",
                 "New smartphone goes on sale with a larger battery",
                 "Parliament passes the budget after a long debate"]


@pytest.fixture
def small_install(tmp_path: Path, make_settings) -> Path:
    """A settings file whose model is trained on a slice of the training data (seconds, not a minute)."""
    models = tmp_path / "models"
    models.mkdir()
    lines = (ROOT / "models" / "train.jsonl").read_text(encoding="utf-8").splitlines()[::60]
    (models / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = make_settings({})
    text = path.read_text().replace(str(ROOT / "models" / "topics.skops"), str(models / "topics.skops"))
    path.write_text(text)
    return path


@pytest.mark.slow
def test_topic_add_trains_and_writes_the_topic_with_a_suggested_threshold(small_install: Path, tmp_path: Path) -> None:
    positives = tmp_path / "fires.jsonl"
    positives.write_text("".join(json.dumps({"title": t}) + "\n" for t in WILDFIRES), encoding="utf-8")
    negatives = tmp_path / "other"
    negatives.mkdir()
    for i, text in enumerate(NOT_WILDFIRES):
        (negatives / f"{i}.txt").write_text(text, encoding="utf-8")
    result = monitor("topic", "add", "wildfires", "--title", "Wildfires", "--positive", str(positives),
                     "--negative", str(negatives), settings=small_install, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "wrote 8 positive and 4 negative example(s)" in result.stdout
    assert "topics.wildfires.threshold = " in result.stdout and "cross-validated precision" in result.stdout
    text = small_install.read_text()
    assert '[topics.wildfires]\ntitle = "Wildfires"\nthreshold = ' in text
    assert monitor("check", settings=small_install).returncode == 0
    scored = json.loads(monitor("score", "-", "--json", settings=small_install,
                                stdin="Wildfire spreads near the coast; firefighters evacuate villages").stdout)
    assert scored["topics"]["wildfires"]["score"] > scored["topics"]["turkey_russia_syria"]["score"]
    data = [json.loads(line) for line in (tmp_path / "models" / "topics" / "wildfires.jsonl").read_text().splitlines()]
    assert all(row["only"] == ["wildfires"] for row in data)
    again = monitor("topic", "add", "wildfires", "--title", "W", "--positive", str(positives), settings=small_install)
    assert again.returncode == 2 and "topics.wildfires: already exists" in again.stderr


def test_topic_add_needs_enough_positives(small_install: Path, tmp_path: Path) -> None:
    few = tmp_path / "few.txt"
    few.write_text(WILDFIRES[0], encoding="utf-8")
    result = monitor("topic", "add", "wildfires", "--title", "W", "--positive", str(few), settings=small_install)
    assert result.returncode == 2 and "1 positive example(s); give at least 5" in result.stderr


@pytest.mark.slow
def test_review_records_verdicts_as_labels_for_training(feed_server, make_settings, tmp_path: Path) -> None:
    feed_server.set("/a.xml", rss([(f"o{i}", *article) for i, article in enumerate(OFF_TOPIC)]))
    path = make_settings({"a": feed_server.url("/a.xml")})
    assert monitor("poll", "--once", settings=path).returncode == 0
    assert len(OFF_TOPIC) == 3
    review = monitor("review", "turkey_russia_syria", "--margin", "1", settings=path, stdin="y\nn\ns\n")
    assert review.returncode == 0, review.stderr
    assert review.stdout.count("is it about turkey_russia_syria?") == 3 and "kept 2 verdict(s)" in review.stdout
    out = tmp_path / "labels.jsonl"
    assert monitor("label", "export", str(out), settings=path).returncode == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(len(r["topics"]) for r in rows) == [0, 1] and all(r["only"] == ["turkey_russia_syria"] for r in rows)
    again = monitor("review", "turkey_russia_syria", "--margin", "1", settings=path, stdin="q\n")
    assert again.stdout.count("is it about") == 1  # the two judged are not offered again; the skipped one is


def test_a_topic_added_to_settings_keeps_the_next_tables_comment_above_it(tmp_path: Path) -> None:
    from monitor.cli import editor

    path = tmp_path / "settings.toml"
    original = (ROOT / "settings.toml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    editor.add_topic(path, "wildfires", "Wildfires", 0.55, ["console"])
    text = path.read_text(encoding="utf-8")
    added = '[topics.wildfires]\ntitle = "Wildfires"\nthreshold = 0.55\nnotify = ["console"]\n\n'
    assert text.replace(added, "") == original
    assert text.index(added) < text.index("# Zero set-up") < text.index("[channels.console]")


def test_topic_examples_from_a_long_jsonl_file_are_all_read(tmp_path: Path) -> None:
    """Fault: a JSON-lines file was read as one item's text, cut at 20,000 characters: a
    200-line file (185 KB) failed at line 22 with "expected {"text": ...}". Each text is cut
    now, not the file; a line nested too deep or with a too-long integer is one error line."""
    from monitor import limits
    from monitor.cli.topics import read_examples
    from monitor.errors import InputError

    many = tmp_path / "many.jsonl"
    rows = [{"title": f"Story {n}", "text": "Wildfire near the coast. " * 40} for n in range(200)]
    rows.append({"text": "word " * 10_000})  # 50,000 characters: one item's text is kept
    many.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    texts = read_examples([str(many)])
    assert len(texts) == 201 and texts[0].startswith("Story 0\nWildfire")
    assert limits.ITEM_TEXT_CHARS - 10 < len(texts[-1]) <= limits.ITEM_TEXT_CHARS
    for n, bad in enumerate(("[" * 100_000, '{"text": ' + "9" * 5000 + "}")):
        path = tmp_path / f"bad{n}.jsonl"
        path.write_text('{"text": "fine"}\n' + bad + "\n", encoding="utf-8")
        with pytest.raises(InputError, match=rf"^{path}:2: expected"):
            read_examples([str(path)])
