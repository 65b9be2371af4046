"""The benchmark's workload: synthetic RSS feeds and the local HTTP server that serves them.

Text comes from small word lists written for this project (never from the evaluation
corpora), put together sentence by sentence, so every run can make any number of feeds of
~2 KB HTML items. A share of the items is about the monitored topic and a share are wire
copies of an item of another feed (same text, new address and a credit line), so the
classifier, the near-duplicate index and the alert claim all do real work.

The server runs in its own process, so serving costs the measured process nothing, and
answers a conditional GET whose If-None-Match matches the body's ETag with 304.
"""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ON_TOPIC_SHARE = 0.2
"""Share of items about Turkey, Russia and Syria (the shipped model's topic)."""

COPY_SHARE = 0.1
"""Share of items (past the first feed) that copy an item of an earlier feed."""

TOPIC_SUBJECTS = [
    "Turkish troops", "Russian warplanes", "Syrian government forces", "Ankara", "Moscow",
    "The Kremlin", "President Erdogan", "President Putin", "Kurdish fighters in northern Syria",
    "Turkish-backed rebels", "Russian military police", "Damascus", "Foreign Minister Lavrov",
]
TOPIC_VERBS = [
    "shelled positions near", "sent reinforcements to", "warned of retaliation over",
    "agreed a ceasefire around", "held talks in Sochi about", "accused each other over",
    "launched air strikes on", "moved armoured columns towards", "closed the border crossing at",
]
TOPIC_OBJECTS = [
    "Idlib province", "the Turkish border", "the town of Manbij", "Aleppo", "Tal Rifaat",
    "the M4 highway", "a Russian patrol route", "Kurdish-held Kobani", "the Astana process",
    "observation posts in northwest Syria", "the de-escalation zone",
]
GENERAL_SUBJECTS = [
    "The city council", "Shareholders", "The football club", "Researchers", "The central bank",
    "Local farmers", "A software company", "The orchestra", "Airline staff", "The museum",
    "Hospital managers", "The school board", "Weather forecasters", "A group of engineers",
]
GENERAL_VERBS = [
    "approved a plan for", "reported record demand for", "signed a new contract with",
    "published a study on", "raised concerns about", "opened a new centre for",
    "announced delays to", "celebrated the success of", "cut the budget for",
]
GENERAL_OBJECTS = [
    "the harbour bridge", "electric buses", "the spring harvest", "quarterly earnings",
    "a new stadium", "the summer festival", "rail timetables", "solar panels on schools",
    "the coastal path", "interest rates", "a rare species of beetle", "the public library",
]
TAILS = [
    "on Tuesday", "after weeks of talks", "according to officials", "despite criticism",
    "in a statement", "for the second time this year", "officials said", "late on Friday",
]
DETAILS = [
    "with {n} people involved", "at a cost of {n} million", "{n} kilometres from the capital",
    "for the {n}th day", "involving some {n} vehicles", "as {n} families waited",
    "in a vote of {n} to 40", "with {n} new posts", "ahead of talks on day {n}",
]
POOL = 500
"""Copies are made of the last this many original items (wire copies are of recent news)."""

SYLLABLES = "ka ren do mi sar vel to lin bra est ol gun dar fi nek sol ya mur zel tan".split()

AGENCIES = ["Reporting by the wire desk", "Agency copy", "From our partners", "Syndicated report"]


def _sentence(rng: random.Random, on_topic: bool) -> str:
    subjects, verbs, objects = ((TOPIC_SUBJECTS, TOPIC_VERBS, TOPIC_OBJECTS) if on_topic
                                else (GENERAL_SUBJECTS, GENERAL_VERBS, GENERAL_OBJECTS))
    # The number makes word 3-shingles differ between stories, as names and figures do.
    # Numbers and people's names make word 3-shingles differ between stories, as in news.
    detail = rng.choice(DETAILS).format(n=rng.randint(2, 999))
    who = " ".join("".join(rng.choices(SYLLABLES, k=rng.randint(2, 3))).title() for _ in range(2))
    return (f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} {detail}, "
            f"{who} said {rng.choice(TAILS)}.")


@dataclass(frozen=True)
class Article:
    title: str
    html: str
    on_topic: bool


def _paragraph(rng: random.Random, on_topic: bool, n: int) -> str:
    """Sentences with the inline markup news HTML carries: a tracked link, emphasis."""
    sentences = [_sentence(rng, on_topic) for _ in range(rng.randint(1, 3))]
    words = sentences[0].split()
    slug = "-".join(words[:3]).lower().strip(".,")
    sentences[0] = (f'<a href="https://www.example.org/topics/{slug}?utm_source=rss&amp;'
                    f'utm_medium=feed&amp;utm_campaign=p{n}" rel="noopener">{" ".join(words[:4])}</a> '
                    + " ".join(words[4:]))
    sentences[-1] = f"<strong>{sentences[-1]}</strong>"
    return f'<p class="body-text">{" ".join(sentences)}</p>'


def article(rng: random.Random) -> Article:
    """About 2 KB of HTML, a third of it markup, as real feed items have: a figure with
    its caption, 3 paragraphs of 1-3 sentences with a link and emphasis."""
    on_topic = rng.random() < ON_TOPIC_SHARE
    image = rng.randrange(10**6)
    figure = (f'<figure class="lead"><img src="https://cdn.example.org/img/2026/{image}.jpg?w=800&amp;'
              f'h=450&amp;fit=crop" alt="" width="800" height="450" loading="lazy"/>'
              f"<figcaption>{_sentence(rng, on_topic)} <em>Photo: Staff</em></figcaption></figure>")
    paragraphs = "\n".join(_paragraph(rng, on_topic, n) for n in range(3))
    html = f"{figure}\n{paragraphs}"
    return Article(_sentence(rng, on_topic).split(",")[0], html, on_topic)


@dataclass
class Workload:
    """N feeds of M items each, written as files under `root` for the server to serve.

    Only the files hold the feeds (and copies come from the last POOL originals), so the
    bench's own memory stays out of the peak RSS it reports for the pipeline."""

    root: Path
    feeds: int
    items: int
    seed: int = 5
    names: list[str] = field(default_factory=list)
    on_topic: int = 0
    copies: int = 0
    added: int = 0  # items add_item put at the top of every feed

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.root.mkdir(parents=True, exist_ok=True)
        self.names = [f"feed-{f:04d}" for f in range(self.feeds)]
        self._write(rng, "")

    def renew(self, rng: random.Random, round_: int) -> None:
        """Every feed's items replaced by as many new ones (another fresh pass's feeds; the
        counts of on-topic items and copies stay those of the first)."""
        counts = self.on_topic, self.copies
        self._write(rng, f"r{round_}-")
        self.on_topic, self.copies = counts

    def _write(self, rng: random.Random, prefix: str) -> None:
        pool: list[Article] = []
        for name in self.names:
            entries = [self._entry(rng, name, f"{prefix}{i}", pool) for i in range(self.items)]
            self.path(name).write_bytes(rss(name, entries))

    def _entry(self, rng: random.Random, feed: str, index: str, pool: list[Article]) -> tuple[str, Article]:
        if pool and rng.random() < COPY_SHARE:  # a wire copy: same text under a credit line
            original = rng.choice(pool)
            credit = f"<p><em>{rng.choice(AGENCIES)}.</em></p>"
            art = Article(original.title, credit + original.html, original.on_topic)
            self.copies += 1
        else:
            art = article(rng)
            pool.append(art)
            del pool[:-POOL]
        self.on_topic += art.on_topic
        return f"https://{feed}.example.org/news/{index}", art

    def add_item(self, rng: random.Random) -> None:
        """One new item at the top of every feed (the third pass)."""
        for name in self.names:
            art = article(rng)
            self.on_topic += art.on_topic
            body = self.path(name).read_bytes()
            head, sep, rest = body.partition(b"<item>")
            item = _item(f"https://{name}.example.org/news/new-{self.items + self.added}", art, 0, 1)
            self.path(name).write_bytes(head + item.encode() + b"\n" + sep + rest)
        self.added += 1

    def path(self, name: str) -> Path:
        return self.root / f"{name}.xml"


def _item(link: str, art: Article, n: int, total: int) -> str:
    date = format_datetime(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=total - n))
    return (f"<item><title>{escape(art.title)}</title><link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid><pubDate>{date}</pubDate>'
            f"<description>{escape(art.html)}</description></item>")


def rss(name: str, entries: list[tuple[str, Article]]) -> bytes:
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
             f"<title>{name}</title><link>https://{name}.example.org/</link>"
             f"<description>Synthetic feed {name}</description>"]
    parts += [_item(link, art, n, len(entries)) for n, (link, art) in enumerate(entries)]
    parts.append("</channel></rss>\n")
    return "\n".join(parts).encode("utf-8")


# -- the server ---------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    root: Path
    protocol_version = "HTTP/1.1"  # keep-alive, as real feed servers do

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        try:
            body = (self.root / Path(self.path).name).read_bytes()
        except OSError:
            self.send_error(404)
            return
        etag = f'"{zlib.crc32(body):08x}-{len(body)}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        html = self.path.endswith(".html")  # the article pages (bench/articles.py)
        self.send_header("Content-Type", "text/html" if html else "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # thousands of requests; the bench reports outcomes itself


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the default backlog of 5 drops the connects of a poll burst
    daemon_threads = True


def _serve(root: str, port: int) -> None:
    handler = type("Handler", (_Handler,), {"root": Path(root)})
    _Server(("127.0.0.1", port), handler).serve_forever()


class FeedServer:
    """The feed files under `root`, served on 127.0.0.1 by a child process."""

    def __init__(self, root: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        code = f"from monitor.bench.workload import _serve; _serve({str(root)!r}, {self.port})"
        self.process = subprocess.Popen([sys.executable, "-c", code])

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}.xml"

    def __enter__(self) -> FeedServer:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("the benchmark's feed server did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)
