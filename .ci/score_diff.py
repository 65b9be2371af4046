"""Scores of this tree against another tree's (main's), text by text: a change meant to make
scoring cheaper must not move any score or explanation.

    .venv/bin/python .ci/score_diff.py --base /work/main [--corpora ../shared/corpora] [--model FILE]

Each tree scores the same texts with the same model file (the base tree's by default), in its
own process (its own directory first on sys.path): every models/heldout_*.jsonl text, a
sample of 5,000 of models/train.jsonl, the bench's synthetic feed items, and from the
corpora (read in place, never written anywhere) FA-KES titles, first sentences and whole
texts, AG News titles and descriptions, SemEval 2022 task 8 texts and the Guardian and BBC
headlines. Every topic's score must agree to 1e-12 and its terms exactly; exit 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-12
TRAIN_SAMPLE = 5_000
CHILD = """
import pickle, sys
from pathlib import Path
from monitor.model.classify import Classifier
import monitor
assert Path(monitor.__file__).resolve().parents[1] == Path(sys.argv[3]).resolve(), monitor.__file__
texts = pickle.loads(Path(sys.argv[1]).read_bytes())
model = Classifier.load(Path(sys.argv[2]))
rows = [[(t, s.score, s.terms) for t, s in row.items()] for row in model.score(texts)]
sys.stdout.buffer.write(pickle.dumps(rows))
"""


def jsonl_texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def csv_rows(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:  # FA-KES has stray cp1252 bytes
        return list(csv.DictReader(f))


def corpus_texts(corpora: Path) -> dict[str, list[str]]:
    fakes = csv_rows(corpora / "fakes/fakes.csv")
    agnews = [row for row in csv.reader((corpora / "agnews/test.csv").open(encoding="utf-8", newline=""))]
    semeval = [row for part in ("training", "testing") for row in csv_rows(corpora / f"semeval2022t8/{part}_set.csv")]
    return {
        "fakes-title": [r["article_title"] for r in fakes],
        "fakes-lead": [f"{r['article_title']}\n{r['article_content'].split('. ')[0]}" for r in fakes],
        "fakes-full": [f"{r['article_title']}\n{r['article_content']}" for r in fakes],
        "agnews": [f"{title}\n{text}" for _, title, text in agnews],
        "semeval": [r[k] for r in semeval for k in ("text1", "text2")],
        "headlines": [r["title"] for name in ("bbc", "guardian")
                      for r in csv_rows(corpora / f"headlines/{name}.csv")],
    }


def bench_texts() -> list[str]:
    from datetime import UTC, datetime

    from monitor.bench.workload import Workload
    from monitor.ingest.parse import parse_feed

    with tempfile.TemporaryDirectory() as tmp:
        load = Workload(Path(tmp), 200, 20)
        return [item.document for name in load.names
                for item in parse_feed(load.path(name).read_bytes(), "application/rss+xml", name, datetime.now(UTC))]


def all_texts(corpora: Path) -> dict[str, list[str]]:
    texts = {path.stem: jsonl_texts(path) for path in sorted((ROOT / "models").glob("heldout_*.jsonl"))}
    train = jsonl_texts(ROOT / "models/train.jsonl")
    texts["train-sample"] = random.Random(1).sample(train, min(TRAIN_SAMPLE, len(train)))
    texts["bench"] = bench_texts()
    return texts | corpus_texts(corpora)


def scored(tree: Path, texts_file: Path, model: Path) -> list[list[tuple[str, float, tuple[str, ...]]]]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-c", CHILD, str(texts_file), str(model), str(tree)],
                         env=env, cwd=tree, check=True, capture_output=True)
    return pickle.loads(out.stdout)


def differences(names: list[str], base: list, mine: list) -> list[str]:
    found = []
    for i, (name, a, b) in enumerate(zip(names, base, mine, strict=True)):
        for (topic, score_a, terms_a), (topic_b, score_b, terms_b) in zip(a, b, strict=True):
            if topic != topic_b or abs(score_a - score_b) > TOLERANCE or terms_a != terms_b:
                found.append(f"{name} #{i} {topic}: {score_a!r} {terms_a} != {score_b!r} {terms_b}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the other tree (main's checkout)")
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared/corpora")
    parser.add_argument("--model", type=Path, help="model file (default: the base tree's)")
    args = parser.parse_args()
    model = args.model or args.base / "models/topics.skops"
    texts = all_texts(args.corpora)
    flat = [t for ts in texts.values() for t in ts]
    names = [name for name, ts in texts.items() for _ in ts]
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.pickle"
        texts_file.write_bytes(pickle.dumps(flat))
        base, mine = scored(args.base, texts_file, model), scored(ROOT, texts_file, model)
    found = differences(names, base, mine)
    for name, ts in texts.items():
        print(f"{name}: {len(ts)} texts")
    for line in found[:20]:
        print(line)
    print(f"{len(flat)} texts, {len(found)} topic scores differ (tolerance {TOLERANCE}, terms exact)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
