"""The evaluation's "title + first sentence" form (.ci/corpora_to_jsonl.py), on texts
written here: what a feed description would carry, not the page's date line or title."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("corpora_to_jsonl", ROOT / ".ci" / "corpora_to_jsonl.py")
assert _spec and _spec.loader
convert = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(convert)

TITLE = "Shelling hits market town in the north"
LEAD = "Artillery fire struck a crowded market in the town on Monday, killing five people, medics said."


def test_first_sentence_skips_the_date_line_and_the_repeated_title() -> None:
    """Article texts that start "Mon 03 Feb 2020 <title>. <lead> ..." give the lead."""
    for front in ("Mon 03 Feb 2020 ", "Published March 3, 2020 ", "03.02.2020 (updated 10:15) ",
                  "Last updated at Feb 3, 2020 ", ""):
        body = f"{front}{TITLE}. {LEAD} A second sentence follows here."
        assert convert.first_sentence(TITLE, body) == LEAD, front


def test_a_short_first_piece_takes_the_next_sentence_and_forms_are_as_named() -> None:
    """A fragment under LEAD_MIN_WORDS ("Video.") is joined to the next sentence."""
    assert convert.first_sentence(TITLE, f"Video. {LEAD}") == f"Video. {LEAD}"
    forms = convert.forms(TITLE, f"{LEAD} More.", LEAD)
    assert forms == {"full": f"{TITLE}\n{LEAD} More.", "lead": f"{TITLE}\n{LEAD}", "title": TITLE}


def test_agnews_labels_are_ids_and_verdicts_only_and_doubtful_rows_measure_nothing(tmp_path: Path) -> None:
    labels = convert.agnews_labels()
    verdicts = list(labels.values())
    assert verdicts.count(["israel_gaza"]) == 44 and verdicts.count(["iran_nuclear"]) == 38
    assert verdicts.count(None) == 16 and all(0 <= rid < 7600 for rid in labels)
    for line in convert.AGNEWS_LABELS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):  # no corpus text: an id and a verdict
            rid, verdict = line.split("\t")
            assert rid.isdigit() and verdict in ("-", "?", "israel_gaza", "iran_nuclear"), line

    bad = tmp_path / "labels.tsv"
    bad.write_text("# a comment\n12\tiran_nuclear\nheadline text\n", encoding="utf-8")
    try:
        convert.agnews_labels(bad)
    except SystemExit as e:
        assert str(e) == f"{bad}:3: expected id<TAB>topics"
    else:
        raise AssertionError("a line without a verdict was accepted")


def held_out(name: str) -> list[dict]:
    return [json.loads(line) for line in (ROOT / "models" / name).read_text(encoding="utf-8").splitlines()]


def test_every_parallel_held_out_set_has_each_story_once_per_language_with_one_label() -> None:
    """`.ci/eval_languages.py` sets each language's score of a story against the English one:
    a story missing a language, written twice, or labelled differently across languages
    would compare nothing or compare unlike items."""
    for name in ("heldout_parallel.jsonl", *(f"heldout_parallel{n}.jsonl" for n in range(2, 9)), "heldout_feeds.jsonl",
                 "heldout_feeds2.jsonl", "heldout_feeds3.jsonl", "heldout_feeds4.jsonl", "heldout_feeds5.jsonl"):
        rows = held_out(name)
        by_story: dict[str, dict[str, tuple[str, ...]]] = {}
        for r in rows:
            langs = by_story.setdefault(r["story"], {})
            assert r["lang"] not in langs and r["text"].strip(), (name, r["story"], r["lang"])
            langs[r["lang"]] = tuple(sorted(r["topics"]))
        for story, langs in by_story.items():
            assert set(langs) == {"en", "tr", "ru", "ar"} and len(set(langs.values())) == 1, (name, story)


def test_the_held_out_articles_are_labelled_for_one_topic_in_three_languages() -> None:
    """`.ci/eval_languages.py` reports heldout_articles.jsonl for turkey_russia_syria alone:
    a line of another language or labelled for another topic would be counted wrongly."""
    rows = held_out("heldout_articles.jsonl")
    counts: dict[tuple[str, bool], int] = {}
    for r in rows:
        assert r["lang"] in ("tr", "ru", "ar") and set(r["topics"]) <= {"turkey_russia_syria"}, r["story"]
        assert len(r["text"].split()) >= 150, r["story"]  # whole articles, not feed items
        key = (r["lang"], bool(r["topics"]))
        counts[key] = counts.get(key, 0) + 1
    assert len({r["story"] for r in rows}) == len(rows) and set(counts.values()) == {4}, counts


def test_the_blind_long_articles_are_whole_articles_for_one_topic_in_four_languages() -> None:
    """heldout_long.jsonl is where the lead's say (monitor/model/lead.py) meets articles it
    was not chosen on: each must be long enough to have a lead of its own."""
    from monitor.model.lead import lead_of

    rows = held_out("heldout_long.jsonl")
    counts: dict[tuple[str, bool], int] = {}
    for r in rows:
        assert r["lang"] in ("en", "tr", "ru", "ar") and set(r["topics"]) <= {"turkey_russia_syria"}, r["story"]
        assert len(r["text"].split()) >= 150 and lead_of(r["text"]) is not None, r["story"]
        key = (r["lang"], bool(r["topics"]))
        counts[key] = counts.get(key, 0) + 1
    assert len({r["story"] for r in rows}) == len(rows) == 64
    assert counts == {(lang, on): 10 if on else 6 for lang in ("en", "tr", "ru", "ar") for on in (True, False)}
