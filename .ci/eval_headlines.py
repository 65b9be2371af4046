"""The topic model on real headlines a person labelled (a report: no target).

models/headline_labels.tsv holds a random sample of 200 Guardian and BBC headlines from
../shared/corpora/headlines, labelled by reading them against models/topics.md (urls and
verdicts only; the headlines stay in the corpus). For each topic with labelled positives it
prints average precision and precision/recall at the threshold of settings.toml and around it,
so a threshold can be chosen against real headlines rather than the training mix.

    .venv/bin/python .ci/eval_headlines.py [--corpora DIR] [--model FILE]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tomllib
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score

from monitor.model.classify import Classifier
from monitor.model.evaluate import scores_of

ROOT = Path(__file__).resolve().parent.parent
MIN_POSITIVES = 10  # fewer on-topic headlines in the sample say nothing of a threshold
THRESHOLDS = (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def headlines(corpora: Path) -> dict[str, str]:
    """url -> title of every Guardian and BBC headline."""
    out: dict[str, str] = {}
    for name in ("guardian", "bbc"):
        with open(corpora / "headlines" / f"{name}.csv", encoding="utf-8-sig", newline="") as f:
            out.update((row["url"], repaired(row["title"])) for row in csv.DictReader(f))
    return out


def repaired(title: str) -> str:
    """The Guardian file lost the ğ of Erdoğan to "?" (13 headlines): put it back, as a feed
    delivers it, so that the measure is of the model and not of the file's encoding."""
    return title.replace("Erdo?an", "Erdoğan")


def labelled(path: Path) -> list[tuple[str, set[str]]]:
    """(url, topics) per `url<TAB>topic,topic` line (`-` for none; # comments)."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#") or not line.strip():
            continue
        url, _, verdict = line.partition("\t")
        if not verdict:
            sys.exit(f"{path}:{n}: expected url<TAB>topics")
        rows.append((url, set() if verdict.strip() == "-" else set(verdict.strip().split(","))))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", type=Path)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "topics.skops")
    ap.add_argument("--labels", type=Path, default=ROOT / "models" / "headline_labels.tsv")
    args = ap.parse_args()
    corpora = next((p for p in (args.corpora, ROOT.parent / "shared" / "corpora")
                    if p is not None and p.is_dir()), None)
    if corpora is None:
        sys.exit("corpora not found: pass --corpora ../shared/corpora")
    settings = tomllib.loads((ROOT / "settings.toml").read_text(encoding="utf-8"))
    shipped = {t: v["threshold"] for t, v in settings["topics"].items()}
    titles = headlines(corpora)
    rows = labelled(args.labels)
    missing = [url for url, _ in rows if url not in titles]
    if missing:
        sys.exit(f"{args.labels}: {len(missing)} urls not in the corpus, e.g. {missing[0]}")
    clf = Classifier.load(args.model)
    scores = scores_of(clf, [titles[url] for url, _ in rows])
    print(f"{len(rows)} labelled Guardian/BBC headlines ({args.labels.name}; reported, no target)")
    for t, topic in enumerate(clf.topics):
        y = np.array([topic in on for _, on in rows])
        if y.sum() < MIN_POSITIVES:
            continue
        p = scores[:, t]
        print(f"{topic}: {int(y.sum())} on topic, average precision {average_precision_score(y, p):.3f}")
        for thr in sorted({*THRESHOLDS, shipped.get(topic, 0.5)}):
            hit = p >= thr
            tp = int((hit & y).sum())
            mark = "  <- settings.toml" if thr == shipped.get(topic) else ""
            print(f"  at {thr:.2f}: precision {tp / max(int(hit.sum()), 1):.3f} "
                  f"recall {tp / int(y.sum()):.3f}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
