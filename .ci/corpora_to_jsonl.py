"""Convert the evaluation corpora into `monitor evaluate` JSON lines, outside the repository.

    python .ci/corpora_to_jsonl.py OUT_DIR [--corpora ../shared/corpora]

Each corpus is written in the three forms feeds deliver (issue 13):
  CORPUS-full.jsonl   title + the whole text
  CORPUS-lead.jsonl   title + first sentence (what BBC, Al Jazeera, NYT and DW feeds carry)
  CORPUS-title.jsonl  title alone
for fakes (FA-KES articles with the hand labels of topic_labels.tsv; rows labelled 0.5
are left out) and agnews (AG News test split, title + description: off topic for
turkey_russia_syria and russia_ukraine_war, none being about them; on israel_gaza and
iran_nuclear as models/agnews_labels.tsv says, read item by item; the 16 rows it calls
doubtful are left out). FA-KES article text often starts with a date line and the title again
("Wed 05 Apr 2017 <title>. ..."), which no feed description carries: the first sentence is
taken after those. The corpora are published news under research licences: this script
only reads them, and refuses to write inside the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOPIC = "turkey_russia_syria"
FORMS = ("full", "lead", "title")
LEAD_MIN_WORDS = 8  # a "sentence" shorter than this (a cut-off date, "Video") takes the next

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?"
# One piece of a date line at the start of an article; stripped repeatedly.
FRONT = re.compile(rf"""^\s*(?:
    (?:Date\ of\ publication|Published|Last\ updated(?:\ at)?|Updated)\s*:?
  | {_DAY}
  | \d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?
  | {_MONTH}\s+\d{{1,2}},?\s+\d{{4}}
  | \d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}
  | \(?updated\ [^)]*\)
  | at\ \d{{3,4}}\b
  | \d{{1,2}}:\d{{2}}(?:\ ?[AaPp][Mm])?(?:\ GMT)?
  | Get\ short\ URL
  | [)|,-]
)\s*""", re.X)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])")
WORD = re.compile(r"\w+")


def strip_front(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, FRONT.sub("", text, count=1)
    return text


def first_sentence(title: str, content: str) -> str:
    """The article's first sentence, after its date line and a repeat of its title."""
    text = strip_front(content)
    title_words = [w.lower() for w in WORD.findall(title)]
    found = list(WORD.finditer(text[:len(title) + 40]))
    if title_words and [m.group().lower() for m in found[:len(title_words)]] == title_words:
        text = strip_front(text[found[len(title_words) - 1].end():].lstrip(" .:-|"))
    lead = ""
    for sentence in SENTENCE_END.split(text):
        lead = f"{lead} {sentence}".strip()
        if len(lead.split()) >= LEAD_MIN_WORDS:
            break
    return lead


def forms(title: str, body: str, lead: str) -> dict[str, str]:
    return {"full": f"{title}\n{body}", "lead": f"{title}\n{lead}", "title": title}


def read_fakes(corpora: Path) -> list[tuple[int, str, str, bool]]:
    """(row, title, text, on topic) of the hand-labelled FA-KES articles; rows labelled 0.5
    (doubtful) are left out."""
    csv.field_size_limit(sys.maxsize)
    with (corpora / "fakes" / "fakes.csv").open(encoding="latin-1", newline="") as fh:
        articles = list(csv.DictReader(fh))
    out = []
    with (corpora / "fakes" / "topic_labels.tsv").open(encoding="utf-8", newline="") as fh:
        for label in csv.DictReader(fh, delimiter="\t"):
            value = float(label["label"])
            if value == 0.5:
                continue
            art = articles[int(label["row"])]
            out.append((int(label["row"]), art["article_title"], art["article_content"], value == 1))
    return out


def read_agnews(corpora: Path) -> list[tuple[str, str]]:
    """(title, description) of the AG News test split, in file order (a row's id)."""
    with (corpora / "agnews" / "test.csv").open(encoding="utf-8", newline="") as fh:
        return [(title, desc) for _, title, desc in csv.reader(fh)]


AGNEWS_LABELS = REPO / "models" / "agnews_labels.tsv"
# The sets written blind in groups of look-alike events (heldout_parallel2.jsonl on, each by a
# hand that read only topics.md and the set before's format), in order: eval_languages,
# eval_across and eval_neardup read every one, so a new set is read by naming it so.
BLIND_SETS = tuple(sorted((REPO / "models").glob("heldout_parallel[2-9].jsonl")))


def agnews_labels(path: Path = AGNEWS_LABELS) -> dict[int, list[str] | None]:
    """Row id -> its topics (None: doubtful) for the rows read by hand; every other row is
    on no topic. `id<TAB>topic,topic`, `-` for none, `?` for doubtful; # comments."""
    out: dict[int, list[str] | None] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        rid, _, verdict = line.partition("\t")
        if not verdict.strip() or not rid.strip().isdigit():
            sys.exit(f"{path}:{n}: expected id<TAB>topics")
        v = verdict.strip()
        out[int(rid)] = None if v == "?" else [] if v == "-" else v.split(",")
    return out


def fakes(corpora: Path) -> list[tuple[dict[str, str], list[str]]]:
    return [(forms(title, body, first_sentence(title, body)), [TOPIC] if on else [])
            for _, title, body, on in read_fakes(corpora)]


def agnews(corpora: Path) -> list[tuple[dict[str, str], list[str]]]:
    labels = agnews_labels()
    out: list[tuple[dict[str, str], list[str]]] = []
    for rid, (title, desc) in enumerate(read_agnews(corpora)):
        topics = labels.get(rid, [])
        if topics is not None:  # doubtful rows measure nothing
            out.append((forms(title, desc, first_sentence(title, desc)), topics))
    return out


def write(out: Path, corpus: str, rows: list[tuple[dict[str, str], list[str]]]) -> None:
    for form in FORMS:
        path = out / f"{corpus}-{form}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for texts, topics in rows:
                fh.write(json.dumps({"text": texts[form], "topics": topics},
                                    ensure_ascii=False) + "\n")
        lengths = sorted(len(texts[form]) for texts, _ in rows)
        print(f"{path}: {len(rows)} items, {sum(bool(t) for _, t in rows)} positives, "
              f"median {lengths[len(lengths) // 2]} chars")


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
    write(out, "fakes", fakes(args.corpora))
    write(out, "agnews", agnews(args.corpora))
    return 0


if __name__ == "__main__":
    sys.exit(main())
