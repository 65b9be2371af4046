#!/usr/bin/env bash
# CI evaluation of the topic classifier on published news, by the form feeds deliver it
# (issues 3 and 13).
#
# Converts ../shared/corpora into `monitor evaluate` JSON lines in a temporary directory
# (never inside the repository) in three forms: title + full text, title + first sentence,
# title alone (.ci/corpora_to_jsonl.py says how the first sentence is found). Runs
# `monitor evaluate --json` with the shipped model and the thresholds of settings.toml,
# prints every number, and fails below the targets (turkey_russia_syria):
#   FA-KES  full   recall >= 0.85, precision >= 0.84
#   FA-KES  lead   recall >= 0.78, precision >= 0.75, average precision >= 0.85
#   FA-KES  title  average precision >= 0.75
#   AG News (none on this topic), each form: false-positive rate <= 0.5 %
# and reports, with no target, the other topics on AG News (models/agnews_labels.tsv: 44
# israel_gaza and 38 iran_nuclear items of 2004, read by hand; none on russia_ukraine_war).
#
# A check named in KNOWN_MISS ("corpus form measure", comma-separated) that misses its
# target is printed as MISSED and does not fail the run; it is still measured every time.
#
#   .ci/eval_classifier.sh            # uses `monitor` and `python3` from PATH
#   MONITOR=.venv/bin/monitor PYTHON=.venv/bin/python CORPORA=/work/shared/corpora .ci/eval_classifier.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MONITOR=${MONITOR:-monitor}
PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/eval_classifier.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$PYTHON" .ci/corpora_to_jsonl.py "$tmp" ${CORPORA:+--corpora "$CORPORA"}
for corpus in fakes agnews; do
    for form in full lead title; do
        "$MONITOR" --settings settings.toml evaluate --json "$tmp/$corpus-$form.jsonl" \
            > "$tmp/$corpus-$form.json"
    done
done

KNOWN_MISS=${KNOWN_MISS:-} "$PYTHON" - "$tmp" <<'PY'
import json, os, sys
from pathlib import Path

tmp = Path(sys.argv[1])
topic = "turkey_russia_syria"
names = {"full": "title + full text", "lead": "title + first sentence", "title": "title alone"}
every = {(c, f): json.loads((tmp / f"{c}-{f}.json").read_text())  # every topic's measures
         for c in ("fakes", "agnews") for f in names}
res = {key: by_topic[topic] for key, by_topic in every.items()}
targets = [  # (corpus, form, measure, op, target)
    ("fakes", "full", "recall", ">=", 0.85), ("fakes", "full", "precision", ">=", 0.84),
    ("fakes", "lead", "recall", ">=", 0.78), ("fakes", "lead", "precision", ">=", 0.75),
    ("fakes", "lead", "average_precision", ">=", 0.85),
    ("fakes", "title", "average_precision", ">=", 0.75),
    *[("agnews", f, "fpr", "<=", 0.005) for f in names],
]
# Issue 14: English no worse than before the model learnt Turkish, Russian and Arabic. Its
# figures are those of the English-only model f802b8d18fcf (commit a3f1c1b) at 0.60, the
# same data and threshold (`git show a3f1c1b:models/topics.skops`); KNOWN_MISS keys start
# "english-only" (e.g. "english-only fakes full recall").
before = {("full", "recall"): 0.8918, ("full", "precision"): 0.8571,
          ("full", "average_precision"): 0.9564, ("lead", "recall"): 0.8108,
          ("lead", "precision"): 0.9090, ("lead", "average_precision"): 0.8753,
          ("title", "average_precision"): 0.6650}
fmt = lambda v: "   -  " if v is None else f"{v:6.3f}"
cells = lambda m: (f"{fmt(m['recall'])} {fmt(m['precision'])} {fmt(m['average_precision'])} "
                   f"{fmt(m['fpr'])}  {m['tp']}/{m['fp']}/{m['fn']}/{m['tn']}")
print(f"\n{topic} at threshold {res['fakes', 'full']['threshold']}:")
print(f"  {'corpus':7} {'form':23} {'recall':>6} {'prec':>6} {'AP':>6} {'FPR':>6}  tp/fp/fn/tn")
for (corpus, form), m in res.items():
    print(f"  {corpus:7} {names[form]:23} {cells(m)}")
known = {k.strip() for k in os.environ.get("KNOWN_MISS", "").split(",") if k.strip()}
failed = False
for corpus, form, measure, op, target in targets:
    value = res[corpus, form][measure]
    ok = value is not None and (value >= target if op == ">=" else value <= target)
    missed = not ok and f"{corpus} {form} {measure}" in known
    failed |= not ok and not missed
    print(f"  {'ok    ' if ok else 'MISSED' if missed else 'FAIL  '} {corpus} {names[form]} {measure} "
          f"{'-' if value is None else f'{value:.4f}'} (target {op} {target})")
print(f"\n{topic}, English against the English-only model before issue 14 (f802b8d18fcf):")
for (form, measure), target in before.items():
    value = res["fakes", form][measure]
    ok = value is not None and value >= target
    missed = not ok and f"english-only fakes {form} {measure}" in known
    failed |= not ok and not missed
    print(f"  {'ok    ' if ok else 'MISSED' if missed else 'FAIL  '} fakes {names[form]} {measure} "
          f"{'-' if value is None else f'{value:.4f}'} (English-only model {target:.4f})")
print("\nthe other topics on AG News (title + description of 2004; a report, no target):")
print(f"  {'topic':20} {'form':23} {'thr':>5} {'recall':>6} {'prec':>6} {'AP':>6} {'FPR':>6}  tp/fp/fn/tn")
for other in ("israel_gaza", "iran_nuclear", "russia_ukraine_war"):
    for form in names:
        m = every["agnews", form][other]
        print(f"  {other:20} {names[form]:23} {m['threshold']:5.2f} {cells(m)}")
sys.exit(1 if failed else 0)
PY
