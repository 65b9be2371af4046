"""CI evaluation of language identification (issue 14, item 5) on the SemEval-2022 Task 8 texts.

Every distinct text of training_set.csv and testing_set.csv (ten languages: ar de en es fr it
pl ru tr zh) is cut to the characters the monitor reads of an item (language.CHARS, 100: a
title and the start of its summary) and given to monitor.language.detect; its label is the
pair's lang1/lang2. Prints the accuracy per language and over all, and fails (exit 1) below
TARGET over all. About 2 s.

    .venv/bin/python .ci/eval_langid.py [--corpora ../shared/corpora]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor import language  # noqa: E402

TARGET = 0.98
CHARS = language.CHARS  # what the monitor reads of an item


def semeval_texts(corpora: Path, chars: int = CHARS) -> list[tuple[str, str]]:
    """(language, text) for each distinct text, whitespace collapsed, cut to `chars` characters."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for name in ("training_set.csv", "testing_set.csv"):
        with open(corpora / "semeval2022t8" / name, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                for side in ("1", "2"):
                    text = " ".join(row["text" + side].split())[:chars]
                    if text and text not in seen:
                        seen.add(text)
                        out.append((row["lang" + side], text))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    texts = semeval_texts(parser.parse_args().corpora)
    language.warm()
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    wrong: Counter[tuple[str, str]] = Counter()
    start = time.perf_counter()
    for label, text in texts:
        found = language.detect(text)
        total[label] += 1
        right[label] += found == label
        if found != label:
            wrong[(label, found)] += 1
    seconds = time.perf_counter() - start
    for lang in sorted(total):
        print(f"{lang}  {right[lang] / total[lang]:.4f}  ({right[lang]}/{total[lang]})")
    overall = sum(right.values()) / sum(total.values())
    print("confusions: " + (", ".join(f"{a}->{b} {n}" for (a, b), n in wrong.most_common()) or "none"))
    print(f"{sum(total.values())} texts, {len(texts) / seconds:.0f} texts/s")
    ok = overall >= TARGET
    print(f"language ID accuracy over {len(total)} languages: {overall:.4f} (target >= {TARGET}) "
          + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
