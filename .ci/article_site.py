"""A local news site made from the evaluation corpora, for .ci/eval_articles.py.

Each corpus becomes RSS feeds whose items carry only a title and a first sentence (what
BBC, Al Jazeera or NYT feeds carry), each linking to a page that holds the whole article
inside site boilerplate: navigation, a "most read" list of other headlines, a newsletter
box and a footer. Everything is written into a temporary directory at evaluation time
(corpus text never enters the repository) and served from 127.0.0.1 by a thread that
counts the pages it serves.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora_to_jsonl import first_sentence, read_agnews, read_fakes  # noqa: E402 - beside this script

TOPIC = "turkey_russia_syria"
ITEMS_PER_FEED = 20


@dataclass(frozen=True)
class Article:
    key: str  # unique within its corpus
    title: str
    body: str  # the article text as the corpus has it (the page holds it)
    lead: str  # its first sentence (the feed carries it)
    on_topic: bool


def fakes(corpora: Path) -> list[Article]:
    """The labelled FA-KES articles (doubtful 0.5 labels left out), read and cut into a
    first sentence as the classifier's evaluation does (.ci/corpora_to_jsonl.py)."""
    return [Article(f"f{row}", title.strip(), body.strip(), first_sentence(title, body), on)
            for row, title, body, on in read_fakes(corpora)]


def agnews(corpora: Path) -> list[Article]:
    """The AG News test split: every item off topic; its description is the whole body."""
    return [Article(f"a{i}", title.strip(), desc.strip(), first_sentence(title, desc), False)
            for i, (title, desc) in enumerate(read_agnews(corpora))]


def _paragraphs(body: str) -> list[str]:
    """The body in paragraphs of about three sentences (the corpora keep none)."""
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z\"'(])", body)
    return [" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3)] or [body]


SECTIONS = ["World", "Middle East", "Europe", "Business", "Technology", "Science", "Sport", "Culture",
            "Opinion", "Video", "Podcasts", "Weather"]


def page(article: Article, others: list[Article], site: str) -> str:
    """An article page as news sites serve them: the story among navigation and links."""
    nav = "".join(f'<li><a href="/{s.lower().replace(" ", "-")}/">{s}</a></li>' for s in SECTIONS)
    related = "".join(f'<li><a href="/{site}/{o.key}.html">{escape(o.title)}</a></li>' for o in others)
    paras = "".join(f"<p>{escape(p)}</p>" for p in _paragraphs(article.body))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{escape(article.title)} | The Daily Example</title>
<meta property="og:title" content="{escape(article.title)}"></head><body>
<header><a href="/" class="logo">The Daily Example</a><nav><ul>{nav}</ul></nav>
<form action="/search"><input name="q" placeholder="Search"><button>Go</button></form>
<a href="/subscribe">Subscribe</a> <a href="/login">Sign in</a></header>
<main><div class="breadcrumb"><a href="/">Home</a> &gt; <a href="/world/">World</a></div>
<article><h1>{escape(article.title)}</h1><p class="byline">By Staff Reporter, 12 March 2018</p>
<div class="share"><a href="/share/fb">Share</a> <a href="/share/tw">Tweet</a> <a href="/share/mail">Email</a></div>
<div class="article-body">{paras}</div>
<p class="tags">Topics: <a href="/world/">World</a> <a href="/middle-east/">Middle East</a></p></article>
<aside><h2>Most read</h2><ol>{related}</ol>
<div class="newsletter"><h3>Get our morning briefing</h3><p>The day's top stories in your inbox every
morning. Sign up now, it is free.</p><a href="/newsletter">Sign up</a></div></aside></main>
<footer><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li><li><a
href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li><li><a
href="/cookies">Cookie settings</a></li></ul><p>&copy; 2018 The Daily Example. All rights reserved.
No part of this site may be reproduced without our permission.</p></footer></body></html>"""


def feed(site: str, number: int, articles: list[Article], base: str, leads: bool = True) -> str:
    """An RSS feed of the articles: title + first sentence (`leads`), or the headline alone."""
    start = datetime(2018, 3, 12, tzinfo=UTC)
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{base}/{site}/{a.key}.html</link>"
        f"<guid>{base}/{site}/{a.key}.html</guid>"
        + (f"<description>{escape(a.lead)}</description>" if leads else "") +
        f"<pubDate>{format_datetime(start - timedelta(minutes=k))}</pubDate></item>"
        for k, a in enumerate(articles))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{site} {number}</title>'
            f"<link>{base}/</link><description>test site</description>{items}</channel></rss>")


def write_site(root: Path, site: str, articles: list[Article], base: str, leads: bool = True) -> list[str]:
    """Pages and feeds of one corpus under root/site; returns the feeds' paths."""
    (root / site).mkdir(parents=True, exist_ok=True)
    for k, a in enumerate(articles):
        others = [articles[(k + j * 37) % len(articles)] for j in range(1, 6)]
        (root / site / f"{a.key}.html").write_text(page(a, others, site), encoding="utf-8")
    paths = []
    for n in range(0, len(articles), ITEMS_PER_FEED):
        path = f"{site}/feed{n // ITEMS_PER_FEED}.xml"
        (root / path).write_text(feed(site, n // ITEMS_PER_FEED, articles[n:n + ITEMS_PER_FEED], base, leads),
                                 encoding="utf-8")
        paths.append(path)
    return paths


class Site:
    """The directory served on 127.0.0.1 (a thread), counting the pages served per site."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pages: Counter[str] = Counter()
        counts = self.pages

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(root), **kwargs)

            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                if self.path.endswith(".html"):
                    counts[self.path.strip("/").split("/")[0]] += 1
                super().do_GET()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
