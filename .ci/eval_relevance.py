"""How often the page-relevance check (monitor/ingest/relevance.py) refuses a real article's
own page, and accepts another article's page, per language (a report: no target).

    python .ci/eval_relevance.py [--corpora ../shared/corpora]

SemEval-2022 task 8's distinct articles (training and testing sets, by id): a text opens
with its headline, then a line break or two spaces. Each article is an item of that
headline, its next FEED_WORDS words as feed text, and the rest as its page. Skipped: empty
texts, texts with no such break (most Russian and Chinese ones: the headline runs into the
text), a "headline" of more than HEADLINE_MAX words (the break ends a paragraph, not a
headline) and texts with fewer than PAGE_MIN words left for the page (the article stage's
thin floor: such a page is never read).

- refused: the item against its own page (a false refusal loses the article);
- pair: the item against the page of the article SemEval pairs it with and scores as a
  different story (Overall >= 3.5), where that article is usable (a false accept);
- next: the item against the page of the next usable article of its language by id (a
  false accept on a page of another story);

then the wall pages of the tests (tests/articles.py WALLS), which must all be refused (exit
status 1 if one is not), and the time of one `about` on a 2,000-word page.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from monitor.ingest import article, relevance  # noqa: E402
from tests.articles import WALLS  # noqa: E402

FEED_WORDS = 40  # a feed's description: the headline's first sentence or two
HEADLINE_MAX = 30
PAGE_MIN = article.ArticleConfig().min_words  # a thinner page is not read
DIFFERENT = 3.5  # SemEval's Overall: 1 the same story .. 4 unrelated
LANGS = ("en", "tr", "ru", "ar", "de", "es", "fr", "it", "pl", "zh")
_BREAK = re.compile(r"\s*\n\s*|\s{2,}")


@dataclass(frozen=True, slots=True)
class Item:
    lang: str
    title: str
    feed: str
    page: str


def read(corpora: Path) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str]]]:
    """id -> (language, text) of every distinct text, and the (id, id) pairs of one language
    scored as different stories."""
    csv.field_size_limit(1 << 30)
    texts: dict[str, tuple[str, str]] = {}
    different: list[tuple[str, str]] = []
    for name in ("training_set.csv", "testing_set.csv"):
        with open(corpora / "semeval2022t8" / name, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                ids = row["pair_id"].split("_")
                for side, pid in zip("12", ids, strict=True):
                    texts[pid] = (row[f"lang{side}"], row[f"text{side}"].strip())
                if row["lang1"] == row["lang2"] and float(row["Overall"]) >= DIFFERENT:
                    different.append((ids[0], ids[1]))
    return texts, different


def split(lang: str, text: str) -> Item | str:
    """The text as an item and its page, or why it is skipped."""
    if not text:
        return "empty"
    brk = _BREAK.search(text)
    if brk is None:
        return "no break after a headline"
    title, body = text[:brk.start()], text[brk.end():].split()
    if len(title.split()) > HEADLINE_MAX:
        return f"first break after {HEADLINE_MAX}+ words"
    if len(body) < FEED_WORDS + PAGE_MIN:
        return f"under {FEED_WORDS}+{PAGE_MIN} words after the headline"
    return Item(lang, title, " ".join(body[:FEED_WORDS]), " ".join(body[FEED_WORDS:]))


def measure(items: dict[str, Item], different: list[tuple[str, str]]) -> dict[str, dict[str, list[int]]]:
    """Per language, [cases, verdicts against expectation] for refused, pair and next."""
    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: {k: [0, 0] for k in ("refused", "pair", "next")})
    partner: dict[str, str] = {}
    for a, b in different:
        if a in items and b in items and items[a].page != items[b].page:
            partner.setdefault(a, b)
            partner.setdefault(b, a)
    by_lang: dict[str, list[str]] = defaultdict(list)
    for pid in sorted(items):
        by_lang[items[pid].lang].append(pid)
    for lang, ids in by_lang.items():
        for n, pid in enumerate(ids):
            item = items[pid]
            _count(out[lang]["refused"], not relevance.about(item.title, item.feed, item.page, item.lang))
            if pid in partner:
                _count(out[lang]["pair"], relevance.about(item.title, item.feed, items[partner[pid]].page, item.lang))
            other = items[ids[(n + 1) % len(ids)]]
            if len(ids) > 1 and other.page != item.page:
                _count(out[lang]["next"], relevance.about(item.title, item.feed, other.page, item.lang))
    return out


def _count(cell: list[int], wrong: bool) -> None:
    cell[0] += 1
    cell[1] += wrong


def walls() -> list[str]:
    """The names of the tests' wall pages the check accepts (none, as it should be)."""
    accepted = []
    for name, title, lead, html in WALLS:
        text = article.extract(html.encode(), "https://news.example.org/a/1", 20_000)
        if relevance.about(title, lead, text):
            accepted.append(name)
    return accepted


def cost(items: dict[str, Item]) -> list[str]:
    """Milliseconds of one `about` on a 2,000-word page per language (the page's words from
    that language's pages, the item its first): the first call, whose words are new to any
    cache, and the mean of the next ten. Run before anything else has seen those words,
    after a call on a Polish page and one word of each script (imports, compiled patterns)."""
    other = max((i for i in items.values() if i.lang == "pl"), key=lambda i: len(i.page))
    relevance.about(other.title, other.feed, other.page)  # a long page of another language than these
    for word in ("армия", "الجيش", "asker"):
        relevance.forms(word, True)
    out = []
    for lang in ("en", "tr", "ru", "ar"):
        mine = sorted((i for i in items.values() if i.lang == lang), key=lambda i: i.title)
        page = " ".join([w for i in mine[1:] for w in i.page.split()][:2000])
        start = time.perf_counter()
        relevance.about(mine[0].title, mine[0].feed, page)
        first = time.perf_counter()
        for _ in range(10):
            relevance.about(mine[0].title, mine[0].feed, page)
        out.append(f"{lang} {(first - start) * 1000:.1f} ms first, {(time.perf_counter() - first) * 100:.1f} ms next")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path)
    args = parser.parse_args()
    corpora = next((p for p in (args.corpora, ROOT.parent / "shared" / "corpora",
                                ROOT.parent.parent / "shared" / "corpora") if p and p.is_dir()), None)
    if corpora is None:
        sys.exit("corpora not found: pass --corpora ../shared/corpora")
    texts, different = read(corpora)
    items: dict[str, Item] = {}
    skipped: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pid, (lang, text) in texts.items():
        got = split(lang, text)
        if isinstance(got, Item):
            items[pid] = got
        else:
            skipped[lang][got] += 1
    costs = cost(items)
    results = measure(items, different)
    print(f"item = headline + next {FEED_WORDS} words; page = the rest (SemEval-2022, distinct articles)")
    print(f"{'lang':4} {'used':>5} {'false refusals':>16} {'accepts: pair':>15} {'accepts: next':>15}  skipped")
    for lang in LANGS:
        row = results[lang]
        cells = [_cell(*row[k]) for k in ("refused", "pair", "next")]
        skips = ", ".join(f"{n} {why}" for why, n in sorted(skipped[lang].items()))
        print(f"{lang:4} {row['refused'][0]:5} {cells[0]:>16} {cells[1]:>15} {cells[2]:>15}  {skips}")
    print("(zh: a headline without spaces is never judged, so every page is accepted)")
    accepted = walls()
    print(f"walls of the tests refused: {len(WALLS) - len(accepted)} of {len(WALLS)}"
          + (f"; ACCEPTED: {', '.join(accepted)}" if accepted else ""))
    print("about() on a 2,000-word page:", "; ".join(costs))
    if accepted:
        sys.exit(1)


def _cell(cases: int, wrong: int) -> str:
    return f"{wrong}/{cases} {100 * wrong / cases:4.1f}%" if cases else "-"


if __name__ == "__main__":
    main()
