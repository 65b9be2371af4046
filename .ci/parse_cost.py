"""The parse stage's cost an item: `parse_feed` on the bench's 200-item feed
(monitor/bench/workload.py) and on a feed of short realistic items written here (headline
and 1-3 sentences with the furniture feeds add: "Read more", a photo's credit, " - Outlet",
a Telegram post's tags and call to subscribe; English, Turkish, Russian, Arabic). Best of
RUNS in one process, in the process's CPU time (a busy host's other work preempts it: wall
time varied 2x at a load of 17 on two cores, CPU time 5 %). Prints; no target.

    .venv/bin/python .ci/parse_cost.py [--runs 40] [--against ../main] [--profile]

With --against, the other tree's `parse_feed` is timed in the same process, turn about
with this tree's (the two sets of modules loaded one after the other), and the items both
give are compared: any difference is printed and fails the run.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FETCHED = datetime(2026, 1, 2, tzinfo=UTC)
ITEMS = 200

# Written for this measurement: (headline, sentences, outlet) in four languages.
STORIES = (
    ("Turkish troops move towards Idlib", "Columns of armoured vehicles crossed the border on Tuesday. "
     "Officials in Ankara said the move was agreed with Moscow.", "Daily Post"),
    ("City council approves harbour bridge plan", "The vote was 31 to 9. Work starts in spring.", "Harbour Times"),
    ("Ankara ve Moskova Suriye'yi görüştü", "Dışişleri bakanları telefonda görüştü. Görüşmede İdlib'deki "
     "son durum ele alındı.", "Haber Ajansı"),
    ("Лавров проведёт переговоры в Анкаре", "Министр прибудет в Турцию в среду. Стороны обсудят "
     "ситуацию в Сирии.", "Новости Дня"),
    ("اجتماع ثلاثي حول سوريا في أستانا", "بدأت اليوم جولة جديدة من المحادثات. وتشارك فيها تركيا وروسيا "
     "وإيران.", "الأخبار"),
    ("Shareholders back the airline merger", "The deal still needs approval from regulators.", "Money Desk"),
    ("Belediye meclisi yeni bütçeyi onayladı", "Bütçe oy çokluğuyla kabul edildi.", "Yerel Haber"),
    ("В Москве открылся новый музей", "Экспозиция посвящена истории транспорта. Вход свободный.", "Город"),
)
FURNITURE = (
    "", "", "", " Read more", " Devamı için tıklayın", " Читать далее", " اقرأ المزيد", " […]", " Photo: AFP",
    " (Reuters)", " Kaynak: AA", " (Reporting by Jane Doe; Editing by John Roe)",
    "\n#Турция #Сирия\nРИА Новости. Подписаться", "\nThe post {title} appeared first on {outlet}.",
)


def realistic_rss(rng: random.Random, n: int) -> bytes:
    """A feed of `n` short items, each a story above with furniture and an outlet's tail."""
    items = []
    for i in range(n):
        title, text, outlet = rng.choice(STORIES)
        tail = rng.choice(FURNITURE).format(title=title, outlet=outlet)
        head = f"{title} - {outlet}" if rng.random() < 0.4 else title
        body = f"<p>{text}</p>{tail}" if rng.random() < 0.5 else f"{text}{tail}"
        link = f"https://www.{rng.choice(('dailypost', 'example', 'haber'))}.com/news/{i}?utm_source=rss"
        items.append(f"<item><title>{escape(head)}</title><link>{link}</link><guid>{link}</guid>"
                     f"<pubDate>Thu, 01 Jan 2026 10:{i % 60:02d}:00 +0000</pubDate>"
                     f"<description>{escape(body)}</description></item>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>r</title>'
            + "\n".join(items) + "</channel></rss>").encode()


def feeds() -> dict[str, bytes]:
    from monitor.bench import workload

    rng = random.Random(7)
    entries = [(f"https://feed-0.example.org/news/{i}", workload.article(rng)) for i in range(ITEMS)]
    return {"bench": workload.rss("feed-0", entries), "realistic": realistic_rss(random.Random(8), ITEMS)}


Parse = Callable[..., list[Any]]


def load(tree: Path) -> Parse:
    """`parse_feed` of the tree at `tree`, its modules loaded afresh (a tree loaded before
    keeps its own: its functions hold their modules)."""
    for name in [m for m in sys.modules if m == "monitor" or m.startswith("monitor.")]:
        del sys.modules[name]
    sys.path.insert(0, str(tree))
    try:
        from monitor.ingest.parse import parse_feed
    finally:
        sys.path.remove(str(tree))
    return parse_feed


def us_an_item(parse: Parse, body: bytes) -> float:
    start = time.process_time()
    items = parse(body, "application/rss+xml; charset=utf-8", "bench", FETCHED)
    return (time.process_time() - start) / max(1, len(items)) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--against", type=Path, help="another tree to time and compare with")
    parser.add_argument("--profile", action="store_true", help="cProfile of this tree on each feed")
    args = parser.parse_args()
    bodies = feeds()
    trees = {"this": load(ROOT)}
    if args.against is not None:
        trees = {"other": load(args.against.resolve()), **trees}
    failed = 0
    for name, body in bodies.items():
        best = {tree: min(us_an_item(parse, body) for _ in range(3)) for tree, parse in trees.items()}
        for _ in range(args.runs):  # turn about, so that a busy moment costs both alike
            for tree, parse in trees.items():
                best[tree] = min(best[tree], us_an_item(parse, body))
        print(f"{name}: " + ", ".join(f"{tree} {us:.1f} us an item" for tree, us in best.items()))
        if len(trees) == 2:
            got = [[repr(item) for item in parse(body, None, "bench", FETCHED)] for parse in trees.values()]
            if got[0] != got[1]:
                failed += 1
                print(f"{name}: the trees' items differ")
        if args.profile:
            cProfile.runctx("for _ in range(20): parse(body, None, 'bench', FETCHED)",
                            {"parse": trees["this"], "body": body, "FETCHED": FETCHED}, {}, "/tmp/parse_cost.prof")
            pstats.Stats("/tmp/parse_cost.prof").sort_stats("tottime").print_stats(25)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
