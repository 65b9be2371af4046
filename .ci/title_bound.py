"""What FA-KES's title-alone average precision could reach by telling titles apart on their
words (a report for issue 13's title target, 0.75; no target of its own).

    python .ci/title_bound.py [--corpora ../shared/corpora] [--model models/topics.skops]

Scores the hand-labelled FA-KES titles with the shipped model and prints its average
precision beside two re-rankings that keep its order but move titles by their labels:
  off-topic titles naming Russia or Turkey last   (a model that never mistook one of them)
  ... and on-topic ones naming them first          (perfect on every title that names them)
Half the on-topic titles name neither Russia nor Turkey ("Air raids kill 12 in Aleppo"):
their articles make them on topic, and as many titles like them are labelled off topic.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora_to_jsonl import TOPIC, read_fakes  # noqa: E402

from monitor.model.classify import Classifier  # noqa: E402
from monitor.model.evaluate import scores_of  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ACTORS = re.compile(r"\b(russia\w*|moscow|kremlin|putin|turk(?!men)\w*|ankara|erdogan)\b", re.I)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "topics.skops")
    args = ap.parse_args()
    rows = read_fakes(args.corpora)
    titles = [title for _, title, _, _ in rows]
    on = np.array([label for _, _, _, label in rows])
    clf = Classifier.load(args.model)
    score = scores_of(clf, titles)[:, list(clf.topics).index(TOPIC)]
    names = np.array([bool(ACTORS.search(t)) for t in titles])
    print(f"FA-KES titles: {len(titles)}, on topic {on.sum()}; naming Russia or Turkey {names.sum()} "
          f"(on topic {(names & on).sum()}); on topic naming neither {(~names & on).sum()}")
    for what, moved in (("the shipped model", score),
                        ("off-topic titles naming Russia or Turkey last", score - 10 * (names & ~on)),
                        ("... and on-topic ones naming them first",
                         score - 10 * (names & ~on) + 10 * (names & on))):
        print(f"  average precision, {what}: {average_precision_score(on, moved):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
