"""Telegram channels read through RSS bridges: what the monitor judges of each post against
the story a reader takes from it (a report: no target).

    python .ci/eval_telegram.py [--model models/topics.skops] [--items]

The posts written for the project (tests/data/telegram_posts.json, tests/telegram.py) are
served from a local HTTP server in three bridges' shapes (RSSHub's RSS, rss-bridge's
Atom, a whole-post title) and read through the monitor's fetch and parse stages. For each
item, turkey_russia_syria's score on the document the monitor judges (Item.document)
and on the post's story (headline and lines, no emoji, hashtags or signature), and what
the alert would show as its title; how many pages the article stage would read. --items
prints every item.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import tomllib
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from monitor.dedup.index import similarity  # noqa: E402
from monitor.delivery.values import headline  # noqa: E402
from monitor.ingest.article import ArticleConfig  # noqa: E402
from monitor.ingest.article_stage import wants_page  # noqa: E402
from monitor.ingest.fetch import FetchLimits, Validators, fetch, make_session  # noqa: E402
from monitor.ingest.parse import parse_feed  # noqa: E402
from monitor.items import Item  # noqa: E402
from monitor.model.classify import Classifier  # noqa: E402
from tests import telegram  # noqa: E402

TOPIC = "turkey_russia_syria"
SHAPES = {"/rsshub.xml": ("application/rss+xml", lambda p: telegram.rss(p)),
          "/rssbridge.atom": ("application/atom+xml", telegram.atom),
          "/whole.xml": ("application/rss+xml", lambda p: telegram.rss(p, "whole"))}


def serve(posts: list[dict[str, Any]]) -> ThreadingHTTPServer:
    bodies = {path: (kind, make(posts)) for path, (kind, make) in SHAPES.items()}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            kind, body = bodies[self.path]
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def read(port: int) -> dict[str, list[Item]]:
    limits = FetchLimits(5, 10, 5_000_000, 3, 4, "monitor-eval")
    async with make_session(limits, allow_private=True) as session:
        out = {}
        for path in SHAPES:
            got = await fetch(session, path, f"http://127.0.0.1:{port}{path}", Validators(), limits)
            assert got.body is not None, got.error
            out[path] = parse_feed(got.body, got.content_type, path.strip("/"), datetime.now(UTC))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "topics.skops")
    parser.add_argument("--items", action="store_true")
    args = parser.parse_args()
    threshold = tomllib.loads((ROOT / "settings.toml").read_text())["topics"][TOPIC]["threshold"]
    model = Classifier.load(args.model)
    posts = {telegram.link(p): p for p in telegram.posts()}
    server = serve(list(posts.values()))
    feeds = asyncio.run(read(server.server_address[1]))
    server.shutdown()
    copies(list(posts.values()))
    stories = list(posts.values())
    clean = dict(zip(posts, (s[TOPIC].score for s in model.score([telegram.story(p) for p in stories],
                                                                 explain=False)), strict=True))
    print(f"{TOPIC} at {threshold}: story = the post's headline and lines; judged = Item.document")
    for path, items in feeds.items():
        scored = model.score([i.document for i in items], explain=False)
        auto = ArticleConfig(mode="auto")
        pages = sum(wants_page(auto, item, s, model.topics) for item, s in zip(items, scored, strict=True))
        report(path, items, [s[TOPIC].score for s in scored], posts, clean, threshold, args.items)
        print(f"  pages the article stage reads (articles = \"auto\"): {pages}")


# Another channel's copy of a post: its own emoji, hashtags and call to subscribe
COPIED = {"emoji": "🔥", "tags": "#новости #срочно #мир", "sign": "Прислать новость: @copy_bot. Подписаться на канал",
          "fwd": None, "reply": None}


def copies(posts: list[dict[str, Any]]) -> None:
    """How many posts with text are near-duplicates of another channel's copy of them, as
    RSSHub serves both (the second of a story gets no alert)."""
    told = [p for p in posts if p["head"] and p["body"]]
    mine = parse_feed(telegram.rss(told), None, "a", datetime.now(UTC))
    theirs = parse_feed(telegram.rss([{**p, **COPIED, "channel": "copy"} for p in told]), None, "b", datetime.now(UTC))
    found = [similarity(a.document, b.document).duplicate for a, b in zip(mine, theirs, strict=True)]
    print(f"another channel's copy (its emoji, tags, signature) found a near-duplicate: {sum(found)}/{len(found)}")
    pairs = [(a, b) for n, a in enumerate(mine) for b in mine[n + 1:] if a.url.split("/")[3] == b.url.split("/")[3]]
    wrong = sum(similarity(a.document, b.document).duplicate for a, b in pairs)
    print(f"two posts of one channel (its tags and signature) taken for one story: {wrong}/{len(pairs)}")


def report(path: str, items: list[Item], scores: list[float], posts: dict[str, Any], clean: dict[str, float],
           threshold: float, show: bool) -> None:
    on = [(i, s) for i, s in zip(items, scores, strict=True) if posts[i.url]["topic"]]
    off = [(i, s) for i, s in zip(items, scores, strict=True) if not posts[i.url]["topic"]]
    diff = [abs(s - clean[i.url]) for i, s in zip(items, scores, strict=True)]
    stories_on, stories_off = (sum(clean[i.url] >= threshold for i, _ in kind) for kind in (on, off))
    print(f"{path}: {len(items)} items; on topic found {sum(s >= threshold for _, s in on)}/{len(on)} "
          f"(stories {stories_on}), off topic alerted {sum(s >= threshold for _, s in off)}/{len(off)} "
          f"(stories {stories_off}); "
          f"mean |judged - story| {sum(diff) / len(diff):.3f}, max {max(diff):.3f}; "
          f"longest alert title {max(len(headline(i.title, i.text)) for i in items)}")
    if show:
        for item, score in zip(items, scores, strict=True):
            print(f"  {posts[item.url]['n']} {score:.3f} story {clean[item.url]:.3f} "
                  f"| {headline(item.title, item.text)[:90]!r} | {item.text[:120]!r}")


if __name__ == "__main__":
    main()
