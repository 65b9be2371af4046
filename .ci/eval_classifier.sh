#!/usr/bin/env bash
# CI evaluation of the topic classifier on published news (issue 3, item 4).
#
# Converts ../shared/corpora into `monitor evaluate` JSON lines in a temporary directory
# (never inside the repository), runs `monitor evaluate --json` with the shipped model and
# the thresholds of settings.toml, prints every number, and fails below the targets:
#   FA-KES   turkey_russia_syria  recall >= 0.80 and precision >= 0.70
#   AG News  turkey_russia_syria  false-positive rate <= 0.5 %  (every item is a negative)
#
#   .ci/eval_classifier.sh            # uses `monitor` and `python3` from PATH
#   MONITOR=/work/venv/bin/monitor PYTHON=/work/venv/bin/python .ci/eval_classifier.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MONITOR=${MONITOR:-monitor}
PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/eval_classifier.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$PYTHON" .ci/corpora_to_jsonl.py "$tmp" ${CORPORA:+--corpora "$CORPORA"}
for corpus in fakes agnews; do
    "$MONITOR" --settings settings.toml evaluate "$tmp/$corpus.jsonl"
    "$MONITOR" --settings settings.toml evaluate --json "$tmp/$corpus.jsonl" > "$tmp/$corpus.json"
done

"$PYTHON" - "$tmp" <<'PY'
import json, sys
from pathlib import Path

tmp = Path(sys.argv[1])
topic = "turkey_russia_syria"
fakes = json.loads((tmp / "fakes.json").read_text())[topic]
agnews = json.loads((tmp / "agnews.json").read_text())[topic]
checks = [
    ("FA-KES recall", fakes["recall"], ">=", 0.80),
    ("FA-KES precision", fakes["precision"], ">=", 0.70),
    ("AG News false-positive rate", agnews["fpr"], "<=", 0.005),
]
print(f"\n{topic} at threshold {fakes['threshold']}:")
print(f"  FA-KES  tp/fp/fn/tn {fakes['tp']}/{fakes['fp']}/{fakes['fn']}/{fakes['tn']}"
      f"  AP {fakes['average_precision']:.3f}  F1 {fakes['f1']:.3f}")
print(f"  AG News fp {agnews['fp']} of {agnews['items']}")
failed = False
for name, value, op, target in checks:
    ok = value is not None and (value >= target if op == ">=" else value <= target)
    failed |= not ok
    print(f"  {'ok  ' if ok else 'FAIL'} {name} {value:.4f} (target {op} {target})")
sys.exit(1 if failed else 0)
PY
