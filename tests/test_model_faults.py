"""Faults of training, evaluation, the concept lexicon and `monitor score` input: each bad
input is refused with `file:line: reason` (exit 2), and a refused model never replaces the
one in place. Models here are tiny, trained in seconds on the lines written below."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from monitor.errors import InputError
from monitor.limits import ITEM_TEXT_CHARS
from monitor.model.classify import Classifier
from monitor.model.concepts import read_lexicon
from monitor.model.evaluate import evaluate
from monitor.model.train import read_data, train
from tests.test_cli import ROOT, monitor

MODEL = ROOT / "models" / "topics.skops"
ON = ["Turkish troops shelled Syrian army positions near Idlib as Russia warned Ankara, report {}",
      "Russian jets struck rebel towns in Idlib while Erdogan spoke to Putin, report {}"]
OFF = ["The council approved a cycle lane along the river, report {}",
       "Shares in the airline rose after strong summer bookings, report {}"]


def rows(topic: str = "alpha", n: int = 8) -> list[dict[str, object]]:
    """n positives of `topic` and n negatives."""
    out: list[dict[str, object]] = []
    for i in range(n):
        out += [{"text": ON[i % 2].format(i), "topics": [topic]}, {"text": OFF[i % 2].format(i), "topics": []}]
    return out


def jsonl(path: Path, lines: list[dict[str, object]] | list[str]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
                    encoding="utf-8")
    return path


@pytest.fixture
def install(tmp_path: Path) -> Path:
    """A settings file whose model (not yet trained) has a tiny train.jsonl beside it."""
    models = tmp_path / "models"
    models.mkdir()
    jsonl(models / "train.jsonl", rows())
    path = tmp_path / "settings.toml"
    path.write_text(f'[monitor]\ndata_dir = "{tmp_path / "data"}"\nmodel = "{models / "m.skops"}"\n',
                    encoding="utf-8")
    return path


def model_of(install: Path) -> Path:
    return install.parent / "models" / "m.skops"


# -- 1: a model that would not load never replaces the one in place ----------------------


@pytest.mark.slow
def test_train_refusing_its_model_keeps_the_live_one(install: Path, tmp_path: Path) -> None:
    assert monitor("train", settings=install).returncode == 0
    live = model_of(install)
    before = live.read_bytes()
    # A 30,000-character word makes every stored word name that wide: past the loader's cap.
    shared = " ".join(f"v{i}" for i in range(600))
    long = jsonl(tmp_path / "long.jsonl", [{"text": f"{'a' * 30_000} {shared} {i}", "topics": []}
                                           for i in range(2)])
    result = monitor("train", "--with", str(long), settings=install, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"{live}: ") and "not written" in result.stderr
    assert "more than the" in result.stderr and len(result.stderr.splitlines()) == 1
    assert live.read_bytes() == before and not list(live.parent.glob("m.skops*.tmp"))
    Classifier.load(live)


def test_train_out_naming_a_folder_is_refused(install: Path, tmp_path: Path) -> None:
    folder = tmp_path / "outdir"
    folder.mkdir()
    result = monitor("train", "--out", str(folder), settings=install)
    assert result.returncode == 2 and result.stderr.startswith(f"{folder}: "), result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("outdir*.tmp")) and folder.is_dir()


# -- 2: bad training lines name their file and line --------------------------------------


BAD_LINES = {
    "nested": ("[" * 100_000, "not JSON"),
    "only_int": ('{"text": "x", "topics": [], "only": 5}', "only"),
    "only_str": ('{"text": "x", "topics": [], "only": "iran_nuclear"}', "only"),
    "only_ints": ('{"text": "x", "topics": [], "only": [1]}', "only"),
    "lang_dict": ('{"text": "x", "topics": [], "lang": {"a": 1}}', "lang"),
}


@pytest.mark.parametrize("name", sorted(BAD_LINES))
def test_bad_training_line_is_refused_with_its_line(name: str, tmp_path: Path) -> None:
    line, reason = BAD_LINES[name]
    bad = jsonl(tmp_path / "bad.jsonl", [json.dumps(rows()[0]), line])
    with pytest.raises(InputError, match=rf"bad\.jsonl:2: .*{reason}"):
        read_data([bad])


def test_training_file_not_utf8_names_its_line(install: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(json.dumps(rows()[0]).encode() + b'\n{"text": "caf\xe9", "topics": []}\n')
    result = monitor("train", "--with", str(bad), settings=install)
    assert result.returncode == 2 and result.stderr.startswith(f"{bad}:2: not UTF-8"), result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_only_lines_still_train(tmp_path: Path) -> None:
    data = jsonl(tmp_path / "d.jsonl", [*rows(), {"text": "x", "topics": [], "only": ["alpha"], "lang": "tr"}])
    read = read_data([data])
    assert read.only[-1] == frozenset({"alpha"}) and read.langs[-1] == "tr"


# -- 3: a topic with too few positives (a typo) is refused -------------------------------


def test_topic_with_too_few_positives_names_its_first_line(install: Path, tmp_path: Path) -> None:
    typo = jsonl(tmp_path / "typo.jsonl", [rows()[1], {"text": ON[0].format(99), "topics": ["alhpa"]}])
    result = monitor("train", "--with", str(typo), settings=install)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"{typo}:2: topic 'alhpa' has 1 positive"), result.stderr
    assert not model_of(install).exists()
    only = jsonl(tmp_path / "only.jsonl", [{"text": OFF[0].format(7), "topics": [], "only": ["alhpa"]}])
    with pytest.raises(InputError, match=r"only\.jsonl:1: topic 'alhpa' has 0 positive"):
        train([install.parent / "models" / "train.jsonl", only], tmp_path / "x.skops")


def test_a_new_topic_with_enough_positives_is_trained(install: Path, tmp_path: Path) -> None:
    extra = jsonl(tmp_path / "beta.jsonl", [r | {"only": ["beta"]} for r in rows("beta", 5)])
    report = train([install.parent / "models" / "train.jsonl", extra], tmp_path / "x.skops")
    assert report.metadata["topics"] == ["alpha", "beta"]


# -- 4: evaluate honours `only` and refuses unknown topics --------------------------------


def test_evaluate_counts_an_only_line_for_its_topics_alone(tmp_path: Path) -> None:
    model = Classifier.load(MODEL)
    data = jsonl(tmp_path / "ev.jsonl", [{"text": ON[0].format(1), "topics": ["turkey_russia_syria"]},
                                         {"text": OFF[0].format(2), "topics": [], "only": ["iran_nuclear"]}])
    result = evaluate(model, data, {})
    assert result["iran_nuclear"]["items"] == 2 and result["turkey_russia_syria"]["items"] == 1
    assert result["russia_ukraine_war"]["items"] == 1


@pytest.mark.parametrize("field", ["topics", "only"])
def test_evaluate_refuses_a_topic_the_model_lacks(field: str, tmp_path: Path) -> None:
    model = Classifier.load(MODEL)
    data = jsonl(tmp_path / "ev.jsonl", [{"text": "x", "topics": []},
                                         {"text": "y", "topics": [], field: ["iran-nuclear"]}])
    with pytest.raises(InputError, match=r"ev\.jsonl:2: .*'iran-nuclear'.*iran_nuclear"):
        evaluate(model, data, {})


def test_evaluate_bad_lines_name_their_line(tmp_path: Path) -> None:
    model = Classifier.load(MODEL)
    nested = jsonl(tmp_path / "nested.jsonl", ['{"text": "x", "topics": []}', "[" * 100_000])
    with pytest.raises(InputError, match=r"nested\.jsonl:2: not JSON"):
        evaluate(model, nested, {})
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"text": "x", "topics": []}\n{"text": "caf\xe9", "topics": []}\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:2: not UTF-8"):
        evaluate(model, bad, {})


# -- 5: a concept form that normalises to nothing is refused ------------------------------


@pytest.mark.parametrize("form", ["ـ*", "ʼ*", "ـ"])
def test_concept_form_empty_after_normalising_is_refused(form: str, tmp_path: Path) -> None:
    path = tmp_path / "concepts.toml"
    path.write_text(f'[concepts]\nturkey = ["turkish", "ankara*", "{form}"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=f"concept 'turkey': form {re.escape(repr(form))}: is ''"):
        read_lexicon(path)


def test_shipped_concepts_still_read() -> None:
    assert read_lexicon(ROOT / "models" / "concepts.toml")


# -- 6: `monitor score` reads and scores no more than an item holds -----------------------


def test_score_cuts_long_input_as_the_feed_parser_does(make_settings) -> None:
    path = make_settings({})
    words = "Erdogan and Putin met in Moscow over Idlib. " * 2_000 + "The council approved a cycle lane. " * 40_000
    big = monitor("score", "-", "--json", settings=path, stdin=words)
    assert big.returncode == 0, big.stderr
    assert f"{ITEM_TEXT_CHARS:,} characters" in big.stderr
    head, _, _ = words[:ITEM_TEXT_CHARS + 1].rpartition(" ")
    cut = monitor("score", "-", "--json", settings=path, stdin=head)
    assert cut.returncode == 0 and "characters" not in cut.stderr
    assert json.loads(big.stdout)["topics"] == json.loads(cut.stdout)["topics"]


def test_score_file_cut_mid_character_reads(tmp_path: Path) -> None:
    from monitor.cli.analysis import read_input

    path = tmp_path / "long.txt"
    path.write_text("a" + "ş" * 300_000, encoding="utf-8")
    text = read_input(str(path))
    assert len(text) == ITEM_TEXT_CHARS and text.startswith("aşş")


def test_a_line_separator_inside_a_text_is_no_lines_end(tmp_path: Path) -> None:
    # `topic add` and `label export` write U+2028 as it is (ensure_ascii=False): split by
    # splitlines, the line was two halves of JSON, and every later `train` failed on it
    row = {**rows()[0], "text": rows()[0]["text"] + "\u2028second paragraph\u2029third"}
    data = tmp_path / "sep.jsonl"
    data.write_text(json.dumps(row, ensure_ascii=False) + "\r\n" + json.dumps(rows()[1]) + "\n", encoding="utf-8")
    assert read_data([data]).texts == [row["text"], rows()[1]["text"]]


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_training_data_that_is_no_regular_file_is_refused(tmp_path: Path, special: str) -> None:
    # /dev/zero was read until memory ran out; a FIFO waited for a writer for ever
    import os

    path = Path(special) if special.startswith("/") else tmp_path / special
    if not path.exists():
        os.mkfifo(path)
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: cannot read training data: not a regular file$"):
        read_data([path])
