"""Whether another tree's parse stage gives the items this tree's does: every feed fixture
of tests/data, and feeds made of published news (../shared/corpora, read here and never
written anywhere) and of generated texts, each item's title and text dressed as feeds dress
them (HTML paragraphs or plain text, " - Outlet" titles, a trailer or a credit, a Telegram
post's tags, a footer or title suffix the feed shares, aggregator links, odd dates, bad
characters). Prints the count of items compared and the first differences; exit 1 on any.

    .venv/bin/python .ci/parse_diff.py --against ../main [--corpora ../shared/corpora] [--seed 1]

Run it before claiming a change to monitor/ingest leaves every item as it was.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterator
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parse_cost import FETCHED, FURNITURE, ROOT, STORIES, load  # noqa: E402

FEED_ITEMS = 40
OUTLETS = ("Reuters", "Daily Sabah", "РИА Новости", "الجزيرة", "BBC News", "Hürriyet")
LINKS = ("https://www.reuters.com/world/{n}", "https://www.dailysabah.com/politics/{n}#part",
         "https://www.google.com/url?rct=j&sa=t&url=https://www.example.com/a/{n}&ct=ga&usg=x",
         "https://www.bing.com/news/apiclick.aspx?ref=FexRss&tid=1&url=https%3a%2f%2fexample.org%2f{n}&c=1",
         "https://news.google.com/rss/articles/{n}", "/relative/{n}?utm_source=x&id=3", "http://[::1/{n}",
         "HTTPS://Example.COM:443/{n}?fbclid=1&q=2", "")
DATES = ("Thu, 01 Jan 2026 10:{m:02d}:00 +0000", "2026-01-01T10:{m:02d}:00+03:00",
         "Thu, 01 Jan 2026 10:{m:02d}:00 +03:00", "12 Nisan 2025 14:{m:02d}",
         "01.02.2026 10:{m:02d}", "Thu, 01 Jan 2026 10:{m:02d}:00 +9999", "", "garbage",
         "Thu, 01 Jan 0001 10:{m:02d}:00 GMT", "2026-01-01 10:{m:02d} MSK")
ODD = ("", "", "", "\x07", "&#1055;&#1091;", "&amp;amp;", " \u2028 ", "<script>x()</script>",
       "&lt;p&gt;escaped&lt;/p&gt;", "İHA",
       " - ANKARA", "ANKARA (AA) - ", "Photo: AFP. ", "Forwarded From x\n", "🖼 ", "\n#Сирия #Турция", "\n👁 12.5K")


def corpus_texts(corpora: Path) -> Iterator[tuple[str, str]]:
    """(title, text) of the published news, a few thousand items."""
    with (corpora / "fakes" / "fakes.csv").open(encoding="latin-1", newline="") as f:
        yield from ((r["article_title"], r["article_content"]) for r in csv.DictReader(f))
    with (corpora / "agnews" / "test.csv").open(encoding="utf-8", newline="") as f:
        yield from ((r[1], r[2]) for r in csv.reader(f))
    with (corpora / "semeval2022t8" / "testing_set.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for text in (row["text1"], row["text2"]):
                head, _, rest = text.partition("  ")
                yield head[:200], rest


def generated_texts(rng: random.Random, n: int) -> Iterator[tuple[str, str]]:
    for _ in range(n):
        title, text, outlet = rng.choice(STORIES)
        yield title, text + rng.choice(FURNITURE).format(title=title, outlet=outlet)


def dressed(rng: random.Random, n: int, title: str, text: str, footer: str, suffix: str) -> str:
    """One RSS item of the title and text as a feed may give them."""
    text = rng.choice(ODD) + text + (footer or rng.choice(ODD))
    if rng.random() < 0.5:
        parts = [p for p in text.split(". ") if p]
        text = "".join(f"<p>{escape(p)}.</p>" for p in parts) if rng.random() < 0.7 else ". <br/>".join(parts)
    if rng.random() < 0.3:
        title = f"{title} - {rng.choice(OUTLETS)}"
    link = rng.choice(LINKS).format(n=n)
    guid = rng.choice((link, f"g{n % 7}", "", link + "#x"))
    source = f"<source url='https://x.org'>{escape(rng.choice(OUTLETS))}</source>" if rng.random() < 0.2 else ""
    return (f"<item><title>{escape(title + suffix)}</title><link>{escape(link)}</link><guid>{escape(guid)}</guid>"
            f"<pubDate>{rng.choice(DATES).format(m=n % 60)}</pubDate><description>{escape(text)}</description>"
            f"{source}</item>")


def feeds(pairs: list[tuple[str, str]], rng: random.Random) -> Iterator[bytes]:
    for start in range(0, len(pairs), FEED_ITEMS):
        footer = rng.choice(("", "", " Support our reporting by becoming a member today."))
        suffix = rng.choice(("", "", " | Example Times"))
        items = "".join(dressed(rng, start + i, t, x, footer, suffix)
                        for i, (t, x) in enumerate(pairs[start:start + FEED_ITEMS]))
        yield f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, required=True)
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pairs = [*corpus_texts(args.corpora), *generated_texts(rng, 4000)]
    rng.shuffle(pairs)
    bodies = [(p.read_bytes(), None) for p in sorted((ROOT / "tests" / "data").iterdir())]
    bodies += [(body, "application/rss+xml") for body in feeds(pairs, rng)]
    other, this = load(args.against.resolve()), load(ROOT)
    compared = differ = 0
    for body, content_type in bodies:
        got = []
        for parse in (other, this):
            try:
                got.append([repr(item) for item in parse(body, content_type, "diff", FETCHED, "https://feed.example.org/")])
            except Exception as exc:  # noqa: BLE001 - the same error from both is the same output
                got.append([f"{type(exc).__name__}: {exc}"])
        compared += len(got[0])
        for a, b in zip(*got, strict=False):
            if a != b and (differ := differ + 1) <= 5:
                print(f"differ:\n  other {a}\n  this  {b}")
        differ += abs(len(got[0]) - len(got[1]))
    print(f"{compared} items of {len(bodies)} feeds compared: {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
