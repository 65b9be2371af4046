"""Aggregators' search feeds through the monitor (a report: no target).

    python .ci/eval_aggregators.py [--items]

The stories and feeds written for the tests (tests/aggregators.py: Google Alerts, Google
News search feeds, Bing News, Yahoo News, the outlets' own RSS; en, tr, ru, ar; on topic
and off) are served from a local server, with each article's page, and polled twice by the
real pipeline (embedded Redis, articles = "auto", settings.toml's threshold; the second
poll serves Bing's and the alerts' links with new click ids, as they come). Reported: per
feed, the links items carry (the article's, or an aggregator's), turkey_russia_syria's
score on the document judged against the story's own headline and lead; alerts per story
over all feeds (one is right), new items at the second poll, pages read from the site and
asked of aggregators' hosts. --items prints every item.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from monitor import codec, settings, wiring  # noqa: E402
from monitor.ingest.parse import parse_feed  # noqa: E402
from monitor.model.classify import Classifier  # noqa: E402
from monitor.pipeline import poll_once  # noqa: E402
from tests import aggregators as agg  # noqa: E402

TOPIC = "turkey_russia_syria"
ON = [s for s in agg.STORIES if s.on_topic]
EN = [agg.BY_KEY["reuters/idlib-strike"], agg.BY_KEY["reuters/lira"]]


def feeds(base: str, poll: int) -> dict[str, tuple[str, str]]:
    """Path: (content type, body) of every feed at poll 1 or 2."""
    rss, atom = "application/rss+xml", "application/atom+xml"
    by_lang = {lang: [s for s in agg.STORIES if s.lang == lang] for lang in ("en", "tr", "ru", "ar")}
    out = {f"/own-{lang}.xml": (rss, agg.outlet_rss(base, stories)) for lang, stories in by_lang.items()}
    out |= {
        "/alert-idlib.xml": (atom, agg.google_alert(base, f"11{poll}", ON + EN[1:], ("Idlib", "İdlib"))),
        "/alert-erdogan.xml": (atom, agg.google_alert(base, f"22{poll}", ON[:2], ("Erdogan", "Erdoğan"))),
        "/gn-idlib.xml": (rss, agg.google_news(agg.STORIES)),
        "/gn-turkey.xml": (rss, agg.google_news(EN + ON[1:2])),
        "/bing.xml": (rss, agg.bing_news(base, agg.STORIES, tid=f"{poll}7D1A2B3C4D5E6F7A8B9C0D1E2F3A4B5")),
        "/yahoo.xml": (rss, agg.yahoo_news(base, agg.STORIES)),
    }
    return out


class Site:
    def __init__(self) -> None:
        self.poll, self.hits = 1, Counter[str]()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                site.hits[self.path] += 1
                routes = feeds(site.base, site.poll)
                if self.path in routes:
                    kind, body = routes[self.path]
                elif (story := agg.BY_KEY.get(self.path[1:])) is not None:
                    kind, body = "text/html", agg.article_page(story)
                else:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def settings_file(tmp: Path, base: str) -> Path:
    shipped = settings.load(ROOT / "settings.toml").settings.topics[TOPIC]
    lines = ["[monitor]", f'data_dir = "{tmp}"', f'model = "{ROOT / "models" / "topics.skops"}"',
             "allow_private = true", 'backlog = "0s"', 'connect_timeout = "2s"', 'read_timeout = "3s"']
    for path in feeds(base, 1):
        lines += ["[[feeds]]", f'name = "{path[1:-4]}"', f'url = "{base}{path}"']
    lines += [f"[topics.{TOPIC}]", f'title = "{shipped.title}"', f"threshold = {shipped.threshold}",
              'notify = ["out"]', "[channels.out]", 'url = "console://"']
    (tmp / "settings.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp / "settings.toml"


def story_of(title: str, url: str) -> str:
    for s in agg.STORIES:
        if url.endswith("/" + s.key) or title.startswith(s.title[:30]):
            return s.key
    return "?"


def parse_report(site: Site, model: Classifier, show: bool) -> None:
    now = datetime.now(UTC)
    print("feed             items  links: article/aggregator   mean |judged - story|  max")
    for path, (kind, body) in feeds(site.base, 1).items():
        items = parse_feed(body.encode(), kind, path, now)
        scores = model.score([i.document for i in items], explain=False)
        gaps, real = [], 0
        for item, score in zip(items, scores, strict=True):
            s = agg.BY_KEY.get(story_of(item.title, item.url))
            clean = model.score([f"{s.title}\n{s.lead}"], explain=False)[0][TOPIC].score if s else 0.0
            gaps.append(abs(score[TOPIC].score - clean))
            real += item.url.startswith(site.base)
            if show:
                print(f"   {score[TOPIC].score:.3f} (story {clean:.3f}) {item.url[:70]}\n      {item.document[:160]!r}")
        print(f"{path:18s} {len(items):3d}  {real:3d}/{len(items) - real:<3d}  "
              f"{sum(gaps) / len(gaps):.3f}  {max(gaps):.3f}")


async def two_polls(site: Site, path: Path) -> tuple[list[list[Any]], list[Any], dict[str, int]]:
    loaded = settings.load(path)
    async with wiring.runtime(loaded) as rt:
        first = await poll_once(rt, force=True)
        site.poll = 2
        second = await poll_once(rt, force=True)
        alerts = [codec.decode_alert(f[b"alert"]) for _, f in rt.store.redis.xrange(rt.store.keys.outbox)]
        outcomes = {k.decode(): int(v) for k, v in rt.store.redis.hgetall(rt.store.keys.article_counts).items()}
    return [first, second], alerts, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", action="store_true")
    args = parser.parse_args()
    site = Site()
    parse_report(site, Classifier.load(ROOT / "models" / "topics.skops"), args.items)
    with tempfile.TemporaryDirectory(prefix="eval_aggregators.") as tmp:
        polls, alerts, outcomes = asyncio.run(two_polls(site, settings_file(Path(tmp), site.base)))
    per_story = Counter(story_of(a.title, a.url) for a in alerts)
    print("alerts per story:", dict(sorted(per_story.items())))
    if args.items:
        for a in sorted(alerts, key=lambda a: story_of(a.title, a.url)):
            print(f"   {story_of(a.title, a.url):22s} {a.source:15s} {a.judged_on:5s} {a.score:.3f} {a.url[:60]}")
    print("alert links on aggregators:", sum(not a.url.startswith(site.base) for a in alerts), "of", len(alerts))
    print("new items: poll 1", sum(r.new for r in polls[0]), "poll 2", sum(r.new for r in polls[1]))
    pages = sum(n for p, n in site.hits.items() if p[1:] in agg.BY_KEY)
    print("pages read from the site:", pages, " page outcomes:", outcomes)
    print("links to aggregators' hosts:", Counter(urlsplit(a.url).hostname for a in alerts
                                                  if not a.url.startswith(site.base)))


if __name__ == "__main__":
    main()
