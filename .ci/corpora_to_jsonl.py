"""Convert the evaluation corpora into `monitor evaluate` JSON lines, outside the repository.

    python .ci/corpora_to_jsonl.py OUT_DIR [--corpora ../shared/corpora]

Writes OUT_DIR/fakes.jsonl (FA-KES articles with the hand labels of topic_labels.tsv;
rows labelled 0.5 are left out) and OUT_DIR/agnews.jsonl (AG News test split, every item
a negative). The corpora are published news under research licences: this script only
reads them, and refuses to write inside the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOPIC = "turkey_russia_syria"


def fakes(corpora: Path) -> list[dict[str, object]]:
    csv.field_size_limit(sys.maxsize)
    with (corpora / "fakes" / "fakes.csv").open(encoding="latin-1", newline="") as fh:
        articles = list(csv.DictReader(fh))
    rows = []
    with (corpora / "fakes" / "topic_labels.tsv").open(encoding="utf-8", newline="") as fh:
        for label in csv.DictReader(fh, delimiter="\t"):
            value = float(label["label"])
            if value == 0.5:
                continue
            art = articles[int(label["row"])]
            text = f"{art['article_title']}\n{art['article_content']}"
            rows.append({"text": text, "topics": [TOPIC] if value == 1 else []})
    return rows


def agnews(corpora: Path) -> list[dict[str, object]]:
    with (corpora / "agnews" / "test.csv").open(encoding="utf-8", newline="") as fh:
        return [{"text": f"{title}\n{desc}", "topics": []} for _, title, desc in csv.reader(fh)]


def write(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{path}: {len(rows)} items, {sum(bool(r['topics']) for r in rows)} positives")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    args = parser.parse_args()
    out = args.out_dir.resolve()
    if out == REPO or REPO in out.parents:
        print(f"{out}: refusing to write corpus text inside the repository", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    write(out / "fakes.jsonl", fakes(args.corpora))
    write(out / "agnews.jsonl", agnews(args.corpora))
    return 0


if __name__ == "__main__":
    sys.exit(main())
