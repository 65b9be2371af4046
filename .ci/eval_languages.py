"""Per-language evaluation of the topic model on SemEval-2022 task 8 news (issue 14, item 5).

Every distinct SemEval text in Turkish, Russian and Arabic (title + text, by its id) is
scored by the shipped model at the thresholds of settings.toml. The texts that are on a
topic were labelled by reading them; the labels are ids and verdicts in
models/semeval_labels.tsv (never texts). For each language and topic it prints the
false-positive rate over the texts not on the topic (target <= 1 %) and the recall over
the ones that are, with their count. English is measured by .ci/eval_classifier.sh.

It then prints the same measures on models/heldout_multiling.jsonl: short items written for
this project in another style and about other stories than the training fragments (never
trained on), which hold the on-topic texts SemEval lacks (no Russian or Arabic one).
Then models/heldout_topics.jsonl: the same 30 stories (israel_gaza, iran_nuclear,
russia_ukraine_war and look-alikes of them) as headlines and leads in English, Turkish,
Russian and Arabic, written apart from the training text: recall and false positives per
language and topic. And models/heldout_parallel.jsonl, turkey_russia_syria per language
against the English item of the same story, and models/heldout_feeds.jsonl,
heldout_feeds2.jsonl to heldout_feeds5.jsonl the same way: feed
items (headline + description) of 24 other stories each, worded as each language's outlets
word them. And
models/heldout_articles.jsonl: whole Turkish, Russian and Arabic articles, turkey_russia_syria.
And models/heldout_quake.jsonl: feed items of the months after the 2023 earthquake in four
languages, quake news naming Russia, Turkey and Syria (off topic) and escalations of the
same months that mention the quake (on topic); models/heldout_abroad.jsonl: Syrian fighters
sent to Libya, Karabakh, Ukraine and Africa (off topic) and Turkish-backed factions, Russian
strikes on them and Russian-Turkish talks on Syria and Libya together (on topic);
models/heldout_talks.jsonl: bare headlines of the Astana and Sochi rounds on Syria (on topic)
and of other news from Astana and Sochi; models/heldout_after.jsonl: the rebel offensive of
2024 and Russia's and Turkey's dealings with Syria after Assad (on topic), and Syria after
Assad with no Turkey or Russia dimension (off topic); models/heldout_plain.jsonl: on-topic
stories told in general words (Russia's bases in Syria, strikes on rebel-held north-west
Syria, Turkish troops under government fire) and look-alikes in the same words;
models/heldout_fall.jsonl: the rebel offensive of November-December 2024 told day by day,
most items naming neither Russia nor Turkey (on topic), and the government-rebel battles of
2012-2023 in the same words (off topic); models/heldout_ukraine.jsonl: the Russia-Ukraine
war told in the Syrian war's words (off topic) and Syria items in the same words (on topic).
Last, the sets written blind (BLIND_SETS, models/heldout_parallel2.jsonl on: 60 or 64 stories
each in four languages), in groups of different events sharing their places and actors.

    .venv/bin/python .ci/eval_languages.py [--corpora DIR] [--candidates LANG]

--candidates LANG lists the texts of LANG that name Turkey, Russia or Syria in that
language, or that the model scores >= 0.2, for labelling (prints ids and text openings).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tomllib
from pathlib import Path

from corpora_to_jsonl import BLIND_SETS

from monitor.model.classify import Classifier

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("tr", "ru", "ar")
FPR_TARGET = 0.01


def texts(corpora: Path) -> dict[str, tuple[str, str]]:
    """id -> (language, text) of every distinct SemEval text in LANGS."""
    csv.field_size_limit(1 << 30)
    out: dict[str, tuple[str, str]] = {}
    for name in ("training_set.csv", "testing_set.csv"):
        with open(corpora / "semeval2022t8" / name, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                for side, pid in zip("12", row["pair_id"].split("_"), strict=True):
                    lang, text = row[f"lang{side}"], row[f"text{side}"].strip()
                    if lang in LANGS and text:
                        out[pid] = (lang, text)
    return out


def labels(path: Path) -> dict[str, set[str]]:
    """id -> topics it is on (`id<TAB>topic,topic` lines; `-` for none; # comments)."""
    out: dict[str, set[str]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        pid, _, verdict = line.partition("\t")
        if not verdict:
            sys.exit(f"{path}:{n}: expected id<TAB>topics")
        out[pid.strip()] = set() if verdict.strip() == "-" else set(verdict.strip().split(","))
    return out


def known_misses() -> set[str]:
    return {k.strip() for k in os.environ.get("KNOWN_MISS", "").split(",") if k.strip()}


def table(rows: list[tuple[str, set[str], dict]], thresholds: dict[str, float],
          judged: bool = True, langs: tuple[str, ...] = LANGS) -> bool:
    """Prints FPR and recall per language and topic; True if an FPR is above target (only
    `judged` tables mark and count misses: the held-out items are reported without one)."""
    failed = False
    print(f"{'lang':4} {'topic':20} {'thr':>5} {'neg':>5} {'fp':>4} {'FPR':>7} {'pos':>4} {'tp':>4} recall")
    for lang in langs:
        for topic, thr in thresholds.items():
            neg = fp = pos = tp = 0
            for row_lang, on, s in rows:
                if row_lang != lang:
                    continue
                hit = s[topic].score >= thr
                if topic in on:
                    pos, tp = pos + 1, tp + hit
                else:
                    neg, fp = neg + 1, fp + hit
            fpr = fp / neg if neg else 0.0
            rec = f"{tp / pos:.3f}" if pos else "  -"
            # A check named in KNOWN_MISS ("lang topic fpr", comma-separated) is printed as
            # MISSED and does not fail the run; it is measured every time.
            missed = fpr > FPR_TARGET and f"{lang} {topic} fpr" in known_misses()
            mark = "" if fpr <= FPR_TARGET or not judged else \
                "  MISSED (FPR > 1 %)" if missed else "  FAIL (FPR > 1 %)"
            failed |= fpr > FPR_TARGET and not missed
            print(f"{lang:4} {topic:20} {thr:5.2f} {neg:5d} {fp:4d} {fpr:7.2%} {pos:4d} {tp:4d} {rec}{mark}")
    return failed


def jsonl(path: Path) -> list[dict]:
    """The rows of a JSON-lines file (the held-out sets)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def scored(rows: list[dict], clf: Classifier) -> list[tuple[str, set[str], dict]]:
    """(language, labels, scores) of each held-out row, as `table` takes them."""
    return [(r["lang"], set(r["topics"]), s) for r, s in
            zip(rows, clf.score([r["text"] for r in rows], explain=False), strict=True)]


def parallel(rows: list[dict], clf: Classifier, thresholds: dict[str, float]) -> None:
    """One threshold, one meaning: the same stories written in each language, scored, and
    each language's scores set against the English item of the same story."""
    by = {(r["story"], r["lang"]): s for r, s in
          zip(rows, clf.score([r["text"] for r in rows], explain=False), strict=True)}
    stories = sorted({r["story"] for r in rows})
    topic = "turkey_russia_syria"
    thr = thresholds[topic]
    on = {r["story"] for r in rows if topic in r["topics"]}
    print(f"{'lang':4} {'items':>5} {'recall':>7} {'fp':>3} {'gap vs en':>10} {'|gap|':>6} same decision as en")
    for lang in ("en", *LANGS):
        pairs = [(by[s, lang][topic].score, by[s, "en"][topic].score, s in on)
                 for s in stories if (s, lang) in by]
        pos = [x for x, _, o in pairs if o]
        gaps = [x - e for x, e, _ in pairs]
        same = sum((x >= thr) == (e >= thr) for x, e, _ in pairs)
        print(f"{lang:4} {len(pairs):5d} {sum(x >= thr for x in pos):3d}/{len(pos):<3d} "
              f"{sum(x >= thr for x, _, o in pairs if not o):3d} {sum(gaps) / len(gaps):+10.3f} "
              f"{sum(map(abs, gaps)) / len(gaps):6.3f} {same}/{len(pairs)}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", type=Path)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "topics.skops")
    ap.add_argument("--labels", type=Path, default=ROOT / "models" / "semeval_labels.tsv")
    ap.add_argument("--heldout", type=Path, default=ROOT / "models" / "heldout_multiling.jsonl")
    ap.add_argument("--parallel", type=Path, default=ROOT / "models" / "heldout_parallel.jsonl")
    ap.add_argument("--topics", type=Path, default=ROOT / "models" / "heldout_topics.jsonl")
    ap.add_argument("--articles", type=Path, default=ROOT / "models" / "heldout_articles.jsonl")
    ap.add_argument("--quake", type=Path, default=ROOT / "models" / "heldout_quake.jsonl")
    ap.add_argument("--abroad", type=Path, default=ROOT / "models" / "heldout_abroad.jsonl")
    ap.add_argument("--talks", type=Path, default=ROOT / "models" / "heldout_talks.jsonl")
    ap.add_argument("--after", type=Path, default=ROOT / "models" / "heldout_after.jsonl")
    ap.add_argument("--plain", type=Path, default=ROOT / "models" / "heldout_plain.jsonl")
    ap.add_argument("--fall", type=Path, default=ROOT / "models" / "heldout_fall.jsonl")
    ap.add_argument("--ukraine", type=Path, default=ROOT / "models" / "heldout_ukraine.jsonl")
    ap.add_argument("--blind", type=Path, nargs="+", default=list(BLIND_SETS))
    ap.add_argument("--feeds", type=Path, nargs="+",
                    default=[ROOT / "models" / f"heldout_feeds{n}.jsonl" for n in ("", "2", "3", "4", "5")])
    ap.add_argument("--candidates", choices=LANGS)
    args = ap.parse_args()
    args.corpora = next((p for p in (args.corpora, ROOT.parent / "shared" / "corpora",
                                     ROOT.parent.parent / "shared" / "corpora")
                         if p is not None and p.is_dir()), None)
    if args.corpora is None:
        sys.exit("corpora not found: pass --corpora ../shared/corpora")
    settings = tomllib.loads((ROOT / "settings.toml").read_text(encoding="utf-8"))
    thresholds = {t: v["threshold"] for t, v in settings["topics"].items()}
    clf = Classifier.load(args.model)
    docs = texts(args.corpora)
    ids = sorted(docs)
    scores = clf.score([docs[i][1] for i in ids], explain=False)
    if args.candidates:
        for i, s in zip(ids, scores, strict=True):
            lang, text = docs[i]
            top = max(s.values(), key=lambda v: v.score)
            if lang == args.candidates and top.score >= 0.2:
                print(f"{i}\t{top.topic}\t{top.score:.2f}\t{text[:300]!r}")
        return 0
    on = labels(args.labels)
    print("SemEval-2022 task 8 (target: FPR <= 1 % per language and topic)")
    failed = table([(docs[i][0], on.get(i, set()), s) for i, s in zip(ids, scores, strict=True)], thresholds)
    held = jsonl(args.heldout)
    print(f"\nheld-out items written for the project ({args.heldout.name}; reported, no target)")
    table(scored(held, clf), thresholds, judged=False)
    # Whole articles as a page extractor returns them (the text a short item is judged on
    # once its page is read), 8 stories a language, written after model 3fece73bebc2 by a
    # hand that read only topics.md; only turkey_russia_syria is labelled.
    articles = jsonl(args.articles)
    print(f"\nwhole articles written for the project ({args.articles.name}: 4 on topic and 4 "
          "look-alikes a language, each in its outlets' voice; reported, no target)")
    table(scored(articles, clf), {"turkey_russia_syria": thresholds["turkey_russia_syria"]}, judged=False)
    # Whole articles in the four languages, 16 a language (10 on topic), wire copy that dilutes
    # its subject with background, some opening on a scene: written after model b19b21ef90c2,
    # before the lead's say (monitor/model/lead.py) was measured on them, by hands that read
    # only topics.md.
    long = jsonl(ROOT / "models" / "heldout_long.jsonl")
    print("\nwhole articles written blind (heldout_long.jsonl: 10 on topic and 6 look-alikes a "
          "language; reported, no target)")
    table(scored(long, clf), {"turkey_russia_syria": thresholds["turkey_russia_syria"]}, judged=False,
          langs=("en", *LANGS))
    # Feed items of the 2023 earthquake's months, written by a hand that read only topics.md
    # and the format of heldout_feeds4.jsonl, before the quake kinds (models/fragments/zt_*.txt)
    # were measured: the look-alikes name Russia's rescuers and aid with Turkey and Syria.
    # Then Syrian fighters in Libya, Karabakh, Ukraine and Africa (heldout_abroad.jsonl, a01-a64
    # by a hand that read only topics.md and heldout_quake.jsonl's format, before the kinds of
    # models/fragments/zv_*.txt were measured; a65-a80, Russian-Turkish talks on Syria and
    # Libya together, on topic, written before the kinds of zw_xx.txt). Then bare headlines of
    # the Astana and Sochi rounds on Syria, and of other news from Astana and Sochi
    # (heldout_talks.jsonl, written before the kinds of models/fragments/zy_xx.txt were read).
    # Then Syria after Assad (heldout_after.jsonl, by a hand that read only topics.md and
    # heldout_talks.jsonl's format, while the kinds of models/fragments/zz_*.txt were written).
    # Then stories told in plain words, without the well-known places (heldout_plain.jsonl, by
    # a hand that read only topics.md, while the kinds of models/fragments/zzz_*.txt were written).
    # Then the offensive of 2024 against the government-rebel battles of earlier years
    # (heldout_fall.jsonl, by a hand that read only topics.md, while the kinds of
    # models/fragments/zzzzz_*.txt were written; those kinds were not shipped). Then the
    # Ukraine war in the Syrian war's words (heldout_ukraine.jsonl, by a hand that read only
    # topics.md, while the `ukraine` concept of models/concepts.toml was written).
    for path, what in ((args.quake, "the 2023 earthquake's months: 12 look-alikes on the quake "
                                    "and 8 on-topic items a language"),
                       (args.abroad, "Syrian fighters in Turkey's and Russia's other wars: 10 "
                                     "look-alikes and 10 on-topic items a language"),
                       (args.talks, "the Astana and Sochi rounds on Syria, headlines alone: 6 "
                                    "on-topic and 4 other news from Astana and Sochi a language"),
                       (args.after, "the rebel offensive of 2024 and Syria after Assad: 10 on-topic "
                                    "items and 8 look-alikes a language"),
                       (args.plain, "stories told in plain words, without the well-known places: "
                                    "10 on-topic items and 8 look-alikes a language"),
                       (args.fall, "the rebel offensive of 2024, most naming neither Russia nor "
                                   "Turkey, and battles of 2012-2023: 10 on-topic items and 8 "
                                   "look-alikes a language"),
                       (args.ukraine, "the Russia-Ukraine war told in the Syrian war's words "
                                      "(Russian strikes on hospitals and markets, Erdogan's "
                                      "calls to Putin): 10 look-alikes and 6 on-topic Syria "
                                      "items a language")):
        print(f"\nfeed items of {what} ({path.name}; reported, no target)")
        table(scored(jsonl(path), clf), {"turkey_russia_syria": thresholds["turkey_russia_syria"]},
              judged=False, langs=("en", *LANGS))
    every = jsonl(args.topics)
    print(f"\nthe same stories in four languages, every topic ({args.topics.name}: headlines and "
          "leads of the other three topics and their look-alikes; reported, no target)")
    table(scored(every, clf), thresholds, judged=False, langs=("en", *LANGS))
    rows = jsonl(args.parallel)
    # Stories s..: written before the last lexicon change; t..: after it (clean evidence for
    # that model); u..: written before the training data of session 5 (clean evidence for it).
    for group in sorted({r["story"][0] for r in rows}):
        print(f"\nthe same stories in four languages ({args.parallel.name}, stories {group}..: "
              f"headlines and leads, turkey_russia_syria at {thresholds['turkey_russia_syria']:.2f}; "
              "reported, no target)")
        parallel([r for r in rows if r["story"][0] == group], clf, thresholds)
    # heldout_feeds.jsonl was written after model 34307b2aa3b1, heldout_feeds2.jsonl (other
    # stories) after 012a0283247a, heldout_feeds3.jsonl (others again) after 012a0283247a and
    # before the training kinds of models/fragments/zr_*.txt, each by a hand that read only
    # topics.md: feed items (headline and description, with datelines and feed clutter) as
    # each language's outlets word them. heldout_feeds4.jsonl (stories m..) was written after
    # model 60cc17af6b2c and before the kinds of models/fragments/zs_*.txt, by a hand that
    # read only topics.md and the format of the first lines of heldout_feeds3.jsonl.
    # heldout_feeds5.jsonl (stories n..) was written after model b19b21ef90c2, before the lead's
    # say (lead.py) and anything below it, by a hand that read only topics.md and two lines of
    # heldout_feeds4.jsonl's format.
    for path in args.feeds:
        feeds = jsonl(path)
        on = len({r["story"] for r in feeds if "turkey_russia_syria" in r["topics"]})
        print(f"\nfeed items of the same stories in four languages ({path.name}: headline + "
              f"description as each language's outlets word them, {on} on topic, "
              f"{len({r['story'] for r in feeds}) - on} look-alikes; turkey_russia_syria at "
              f"{thresholds['turkey_russia_syria']:.2f}; reported, no target)")
        parallel(feeds, clf, thresholds)
    # heldout_parallel2.jsonl was written on 2026-12-01, after model 28b2b80d5e8c, by a hand
    # that read only topics.md and three lines of heldout_parallel.jsonl's format, for the
    # test across languages: stories in groups of different events of one place, time or
    # pair of actors; the kinds models/fragments/zzzzz_*.txt of model da169afa5d83 were
    # written to its misses, so it is not blind for that model. heldout_parallel3.jsonl was
    # written on 2026-12-01 in the same way (64 stories in 20 groups, 26 bare headlines a
    # language), after model 28b2b80d5e8c, by a hand that read only topics.md and three
    # lines of heldout_parallel2.jsonl: nothing was trained or tuned on it.
    # heldout_parallel4.jsonl was written on 2026-12-01, after model da169afa5d83, the same
    # way, by a hand that read only topics.md and three lines of heldout_parallel3.jsonl:
    # nothing was trained or tuned on it. heldout_parallel5.jsonl likewise, by another hand
    # that read only topics.md and three lines of the fourth set, asked for less famous
    # events (truce violations, ministers' statements, patrols). heldout_parallel6.jsonl
    # likewise, by a hand that read only topics.md and three lines of the fifth set, asked for
    # feeds as they arrive: bare headlines, a third ending with the outlet's name as Google
    # News titles do, actors and places left implicit, analyses and quotes as headlines.
    # heldout_parallel7.jsonl was written on 2026-12-02, after model 3be29203d322, by a hand
    # that read only topics.md and three lines of the sixth set, asked for the furniture of
    # real feeds on a quarter of the items, on and off topic alike ("SON DAKİKA:", "عاجل |",
    # "СРОЧНО:", "LIVE:", " - Reuters", " | Sputnik Türkiye", 🔴, a closing hashtag). Its two
    # grain-deal stories are labelled russia_ukraine_war, as topics.md has it.
    # heldout_parallel8.jsonl likewise on 2026-12-02, after model af6dae36e60e, by a hand that
    # read only topics.md and three lines of the seventh set: 26 bare headlines and 38 with a
    # lead a language, furniture on a quarter, three look-alikes on russia_ukraine_war.
    for path in args.blind:
        blind = jsonl(path)
        on = len({r["story"] for r in blind if "turkey_russia_syria" in r["topics"]})
        print(f"\nthe same stories in four languages, written blind ({path.name}: headlines and "
              f"leads, {on} on topic, {len({r['story'] for r in blind}) - on} look-alikes sharing their "
              f"places and actors; turkey_russia_syria at {thresholds['turkey_russia_syria']:.2f}; "
              "reported, no target)")
        parallel(blind, clf, thresholds)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
