"""One story across languages (monitor/dedup/across.py), measured.

    python .ci/eval_across.py [--corpora ../shared/corpora] [--model models/topics.skops] [--show]

- FA-KES, title + first sentence, every pair of articles dated at most a day apart that the test links (its window):
  the wire copies of the corpus's pair list, and the other pairs, each judged by reading
  (models/across_pairs.tsv: row ids and verdicts, 1 one event, 0 two events); a pair not
  judged there fails the run (judge it, then add it). Target: of the linked pairs that are
  not wire copies, at least 80 % one event (a link that joins two events loses an alert).
- SemEval-2022 task 8 (real news in ten languages, first sentence of each text): pairs rated
  different stories (Overall >= 2.5) that the test links. Target: at most 1 %.
- models/heldout_parallel.jsonl (written for the project: 48 stories, each in English,
  Turkish, Russian and Arabic): pairs of one story's languages linked (a report: stories
  told without figures are not linked by design), and pairs of different stories linked.
- models/heldout_parallel2.jsonl (written blind on 2026-12-01 by a hand that read only
  topics.md and three lines of the first set's format: 60 stories in 20 groups, a group
  being different events of one time and place or of the same actors): the same two
  numbers, the different stories split into those of one group (the hard ones) and the rest.
  Pairs of different stories are counted in two languages, as the monitor links them (in
  one language, two reports are the near-duplicate index's to tell apart). The sets carry
  no dates, so every pair is compared, where the monitor compares a day's: the second set's
  3 (2026-12-01) are two stories naming one weapon years apart (the Su-24 Turkey downed in
  2015 and the two it downed in 2020; the S-400 at Hmeimim and the S-400 sold to Turkey).
  Reading "S-400" and "Su-24" as names rather than figures parts them, and costs 6 of the
  first set's 21 links and 11 of the second's 18 (each story of the downing of 2015 told
  in four languages, linked by its 24): not done.
- models/heldout_parallel3.jsonl (written blind the same way, 64 stories in 20 groups): the
  same numbers. Its 7 pairs of two stories (2026-12-01) share one small figure and two
  concepts ("9" dead in an Idlib market and in Idlib camps; Russia and Aleppo with "300" or
  "2"), years apart, none of one group.
- models/heldout_parallel4.jsonl (written blind the same way after model da169afa5d83, 64
  stories in 20 groups): 31 of 384 language pairs of one story linked (31 of the 72 of the 12
  stories whose English gives figures and two concepts); one pair of two stories, an S-400
  battery sent to Hmeimim in 2015 and the S-400's first parts reaching Ankara in 2019.
- models/heldout_parallel5.jsonl (written blind the same way, 64 stories in 20 groups, less
  famous events): 25 of 384 linked (of the 84 of the 14 stories whose English gives figures
  and two concepts); one pair of two stories of one week in March 2020, a Turkish report of
  Idlib truce violations "in the last 24 hours" and Turkey downing two Su-24s over Idlib.
  None since 24, 48 or 72 followed by hours is a report's span, not a figure (the other
  sets' numbers unchanged by it).
- Turkish case endings on the words for thousands and millions ("900 bine", "7 milyonu") are
  read since 2026-12-01: 13 -> 16 of the third set's 384 pairs linked, 31 -> 32 of the fourth's,
  25 -> 28 of the fifth's; nothing else changed.
- models/heldout_parallel6.jsonl (written blind the same way, 64 stories in 20 groups, feeds as
  they arrive: bare headlines, outlets' names after a third, actors left implicit): 7 of 384
  linked (of the 18 of the 3 stories whose English gives figures and two concepts); no pair of
  two stories.
- models/heldout_parallel7.jsonl (written blind the same way on 2026-12-02, a quarter of its
  items carrying feed labels, outlets' names or hashtags): 26 of 384 linked (of the 60 of the 10
  stories whose English gives figures and two concepts); no pair of two stories.
- models/heldout_parallel8.jsonl (written blind the same way on 2026-12-02, after the number
  words below): 46 of 384 linked; 5 pairs of two stories, none of one group (the S-400s at
  Hmeimim in 2015 with their purchase in 2017; a January 12 ceasefire call with "12 years
  after he fled"): the sets carry no dates, the monitor compares a day's items.
- Numbers written as words in the item's language (monitor/dedup/numwords.py; FA-KES read as
  English, SemEval-2022 in its rows' languages, the sets in theirs) and four concepts asked of
  a signature whose one figure is below 10, since 2026-12-02: language pairs of one story
  linked 21 -> 18, 17 -> 26, 16 -> 22, 32 -> 43, 28 -> 31, 7 -> 6, 26 -> 27 (147 -> 173);
  pairs of two stories 0, 3 -> 2, 7 -> 2, 1, 0, 0, 0 (11 -> 5). FA-KES: wire copies 19 -> 20,
  other pairs 13 (12 one event) -> 6 (6); SemEval-2022 0 of 1586 as before. Words read with
  two concepts asked had linked 38 pairs of two stories ("two warplanes" and "two soldiers";
  the sets carry no dates: all are years apart); the first set's 3 and the sixth's 1 lost are
  single small digits shared with two or three concepts.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora_to_jsonl import BLIND_SETS, first_sentence  # noqa: E402

from monitor.dedup.across import Signature, lexicon_of, same_story, signature, tagger_of  # noqa: E402
from monitor.model.classify import Classifier  # noqa: E402
from monitor.model.concepts import Tagger  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VERDICTS = ROOT / "models" / "across_pairs.tsv"
ONE_EVENT_AT_LEAST = 0.80
DIFFERENT_LINKED_AT_MOST = 0.01


def linked(a: Signature | None, b: Signature | None) -> bool:
    return a is not None and b is not None and same_story(a, b)


def _day(date: str) -> int | None:
    """FA-KES's m/d/yy as a day number (None: not a date)."""
    try:
        return datetime.strptime(date.strip(), "%m/%d/%y").toordinal()
    except ValueError:
        return None


def fakes(corpora: Path, tagger: Tagger, show: bool) -> bool:
    csv.field_size_limit(sys.maxsize)
    with (corpora / "fakes" / "fakes.csv").open(encoding="latin-1", newline="") as fh:
        arts = list(csv.DictReader(fh))
    with (corpora / "fakes" / "derived_neardup_pairs_jaccard3.tsv").open(encoding="utf-8") as fh:
        copies = {frozenset((int(r["row_a"]) - 1, int(r["row_b"]) - 1)) for r in csv.DictReader(fh, delimiter="\t")}
    verdicts = {}
    for line in VERDICTS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            a, b, v = line.split("\t")[:3]
            verdicts[frozenset((int(a), int(b)))] = v == "1"
    sigs = [signature(a["article_title"], first_sentence(a["article_title"], a["article_content"]), tagger, "en")
            for a in arts]
    days = [_day(a["date"]) for a in arts]
    pairs = [frozenset((a, b)) for a, b in itertools.combinations(range(len(arts)), 2)
             if days[a] is not None and days[b] is not None and abs(days[a] - days[b]) <= 1
             and linked(sigs[a], sigs[b])]
    wire = [p for p in pairs if p in copies]
    others = [p for p in pairs if p not in copies]
    unjudged = [p for p in others if p not in verdicts]
    one = sum(verdicts.get(p, False) for p in others)
    print(f"FA-KES, title + first sentence, {len(arts)} articles: {len(wire)} of {len(copies)} wire copies linked; "
          f"{len(others)} other pairs a day apart at most linked, {one} of them one event "
          f"({one / max(1, len(others)):.3f}; target >= {ONE_EVENT_AT_LEAST})")
    for p in (others if show else unjudged):
        a, b = sorted(p)
        print(f"  {'unjudged' if p in unjudged else ('one event' if verdicts[p] else 'TWO EVENTS')}: "
              f"{a}\t{b}\t{arts[a]['article_title'][:70]} | {arts[b]['article_title'][:70]}")
    ok = not unjudged and one >= ONE_EVENT_AT_LEAST * len(others)
    if unjudged:
        print(f"  MISSED: {len(unjudged)} linked pairs not judged in {VERDICTS.name}")
    elif not ok:
        print("  MISSED")
    return ok


def semeval(corpora: Path, tagger: Tagger) -> bool:
    csv.field_size_limit(sys.maxsize)
    different = linked_different = same = linked_same = 0
    for name in ("training_set.csv", "testing_set.csv"):
        with (corpora / "semeval2022t8" / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                a, b = (signature("", row[f"text{k}"][:2000], tagger, row[f"lang{k}"]) for k in (1, 2))
                score = float(row["Overall"])
                if score >= 2.5:
                    different += 1
                    linked_different += linked(a, b)
                elif score <= 1.5:
                    same += 1
                    linked_same += linked(a, b)
    rate = linked_different / max(1, different)
    print(f"SemEval-2022, first sentence of each text: {linked_different} of {different} pairs rated different "
          f"stories linked ({rate:.4f}; target <= {DIFFERENT_LINKED_AT_MOST}); {linked_same} of {same} rated "
          f"the same story linked (a report: most name no concept of the lexicon)")
    if rate > DIFFERENT_LINKED_AT_MOST:
        print("  MISSED")
    return rate <= DIFFERENT_LINKED_AT_MOST


def parallel(tagger: Tagger, path: Path, show: bool) -> None:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    stories: dict[str, dict[str, Signature | None]] = defaultdict(dict)
    texts: dict[tuple[str, str], str] = {}
    group = {row["story"]: row.get("group", row["story"]) for row in rows}
    for row in rows:
        title, text = (row["text"], "") if row["form"] == "title" else (row["text"].split(". ", 1) + [""])[:2]
        stories[row["story"]][row["lang"]] = signature(title, text, tagger, row["lang"])
        texts[(row["story"], row["lang"])] = row["text"]
    with_figures = [s for s, by in stories.items() if by["en"] is not None]
    same = sum(linked(by[a], by[b]) for by in stories.values() for a, b in itertools.combinations(sorted(by), 2))
    of_figures = sum(1 for s in with_figures for _ in itertools.combinations(stories[s], 2))
    cross = [((s, a), (t, b)) for s, t in itertools.combinations(stories, 2) for a, x in stories[s].items()
             for b, y in stories[t].items() if a != b and linked(x, y)]  # one language's: the index's
    in_group = sum(group[s] == group[t] for (s, _), (t, _) in cross)
    print(f"{path.name}, {len(stories)} stories in 4 languages: {same} of "
          f"{6 * len(stories)} language pairs of one story linked ({same} of {of_figures} where the English "
          f"gives figures and two concepts, {len(with_figures)} stories); pairs of different stories linked: "
          f"{len(cross)} ({in_group} of one group)")
    for a, b in cross if show else ():
        print(f"  TWO STORIES: {a} {texts[a][:60]} | {b} {texts[b][:60]}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "topics.skops")
    ap.add_argument("--show", action="store_true",
                    help="list every linked FA-KES pair with its verdict, and the held-out sets' pairs of two "
                    "stories linked")
    args = ap.parse_args()
    tagger = tagger_of(lexicon_of(Classifier.load(args.model).metadata))
    ok = fakes(args.corpora, tagger, args.show)
    ok = semeval(args.corpora, tagger) and ok
    for path in (ROOT / "models" / "heldout_parallel.jsonl", *BLIND_SETS):
        parallel(tagger, path, args.show)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
