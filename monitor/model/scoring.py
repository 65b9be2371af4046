"""Scoring in batches, on the second core: the classify stage as the service runs it.

Two costs shape this. A classifier call has a fixed part (vectorizer set-up, sparse
products) that dominates small batches, and a poll often brings one new item; so the new
items of polls that finish together are scored in one call (of at most WORKER_MAX texts).
And scoring is the heaviest CPU work of a poll, mostly under the GIL; so with
`[monitor] score_workers = 1` it runs in a worker process, while the service process goes
on fetching, parsing and talking to Redis. While a batch is being scored there, the next
one gathers. (The service process used to score too while the worker was busy; since
scoring became 3x faster the worker keeps up, and that only slowed the service process.)

A poll's new items also need their language (language.py), detected where scoring runs:
`detect_and_score` asks for both in the same batch, so the worker gets each text once, in
one call per batch (a call per poll for detection cost a second copy of every text, a
round trip through the pool per poll, and queued behind the scoring batches). Scores
come back as plain tuples and are made TopicScores here: pickling a slotted dataclass
calls `dataclasses.fields` per object: 58 ms to pickle and 48 ms to unpickle the scores
of 4,000 texts (four topics), 2 + 2 ms as tuples, and 23 ms to make the TopicScores again.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TypeVar

from monitor import language
from monitor.errors import ModelError
from monitor.items import TopicScore
from monitor.model.classify import Classifier

log = logging.getLogger("monitor.scoring")

BATCH_WINDOW = 0.005  # seconds the first waiting texts wait for others to join their batch
WORKER_MAX = 200  # texts per worker call at most (the classifier's CHUNK: as fast per text as
# larger calls), so results come back while later polls' texts wait, and the service goes on
# with near-dup and claims as the worker scores the next batch. With 800 the two took turns:
# fresh pass of 200 feeds x 20 items, six alternating runs: 2.29-3.66 s (mean 2.93) at 200,
# 3.07-3.55 s (mean 3.31) at 800; 100 cost the worker ~5 % more CPU

Scores = list[dict[str, TopicScore]]
Languages = list[str | None]  # a text's language, None where it was not asked for
Packed = tuple[tuple[str, ...], list[tuple[tuple[float, tuple[str, ...]], ...]]]  # topics, rows
Request = tuple[list[str], bool, "asyncio.Future[tuple[Languages, Scores]]"]  # texts, detect?, reply
T = TypeVar("T")

_worker_models: dict[tuple[str, str], Classifier] = {}


PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def _worker_init() -> None:
    # The service stops its workers itself; a Ctrl-C on the terminal must not kill them first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()


def _die_with_parent() -> None:
    """End this worker when the service dies, even by SIGKILL (which runs no cleanup):
    otherwise it waits for work forever, ~90 MB each, and multiprocessing's resource
    tracker, which ends when its last user does, stays with it.

    On Linux the kernel sends SIGKILL at the parent's death (prctl PR_SET_PDEATHSIG);
    everywhere, a thread waits on the pipe from the parent (multiprocessing's parent
    sentinel, readable once the parent is gone) and exits. A parent that died before
    either was set up is seen by its pid: ours is no longer its.
    """
    if sys.platform == "linux":
        # the process's own symbols, libc's among them: find_library runs ldconfig in a
        # child process, a fork of this one counted twice by memory tests while it lives
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = multiprocessing.parent_process()
    if parent is None:  # not started by multiprocessing: nothing to watch
        return
    if os.getppid() != parent.pid:
        os._exit(1)
    threading.Thread(target=_exit_when_gone, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_when_gone(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent's end of the pipe closes: it has exited
    os._exit(1)  # nothing to save: results not yet sent are scored again by the next service


def _score_in_worker(path: str, version: str, texts: list[str], detect: list[bool]) -> tuple[Languages, Packed]:
    """Runs in the worker process: the model is loaded once per (file, version). The
    languages of the texts flagged in `detect`, and every text's scores, packed."""
    model = _worker_model(path, version)
    return _languages(texts, detect), _pack(model.topics, model.score(texts))


def _worker_model(path: str, version: str) -> Classifier:
    """The model of (file, version), loaded on first use. The file is the service's private
    copy (modelfile.snapshot), so it is the version asked for; another is refused, never
    scored with in its place."""
    model = _worker_models.get((path, version))
    if model is None:
        _worker_models.clear()
        model = Classifier.load(Path(path))
        if model.version != version:
            raise ModelError(f"{path}: holds model {model.version}, not {version}")
        _worker_models[(path, version)] = model
    return model


def _load_in_worker(path: str, version: str) -> None:
    _worker_model(path, version)


def _languages(texts: list[str], detect: list[bool]) -> Languages:
    return [language.detect(text) if wanted else None for text, wanted in zip(texts, detect, strict=True)]


def _pack(topics: tuple[str, ...], scores: Scores) -> Packed:
    return topics, [tuple((s.score, s.terms) for s in (row[t] for t in topics)) for row in scores]


def _unpack(packed: Packed) -> Scores:
    topics, rows = packed
    return [{t: TopicScore(t, score, terms) for t, (score, terms) in zip(topics, row, strict=True)}
            for row in rows]


class BatchScorer:
    def __init__(self, classifier: Callable[[], Classifier], workers: int = 0,
                 window: float = BATCH_WINDOW,
                 observe: Callable[[float, float, int], None] | None = None) -> None:
        self.classifier = classifier
        self.observe = observe  # gets each batch's start, end (perf_counter) and size
        self.workers = workers
        self.window = window
        self.pending: list[Request] = []
        self.running = 0  # batches being scored: up to one per worker (one without)
        self._pool: Executor | None = None

    async def score(self, texts: list[str]) -> Scores:
        return (await self._request(texts, False))[1]

    async def detect_and_score(self, texts: list[str]) -> tuple[list[str], Scores]:
        """Each text's language (language.detect) and scores, from the same batch."""
        languages, scores = await self._request(texts, True)
        return [lang or language.UNDETERMINED for lang in languages], scores

    async def _request(self, texts: list[str], detect: bool) -> tuple[Languages, Scores]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[Languages, Scores]] = loop.create_future()
        if not self.pending and not self.running:
            loop.call_later(self.window, self._dispatch)
        self.pending.append((texts, detect, future))
        return await future

    def _dispatch(self) -> None:
        """When the scorer is free, it takes the oldest waiting polls' texts as one batch."""
        while self.pending and self.running < max(1, self.workers):
            self.running += 1
            asyncio.ensure_future(self._flush(self._take()))

    def _take(self) -> list[Request]:
        """The oldest waiting polls, up to WORKER_MAX texts (a poll's texts stay together)."""
        batch: list[Request] = []
        size = 0
        while self.pending and (not batch or size + len(self.pending[0][0]) <= WORKER_MAX):
            batch.append(self.pending.pop(0))
            size += len(batch[-1][0])
        return batch

    async def _flush(self, batch: list[Request]) -> None:
        started = time.perf_counter()
        texts = [text for texts, _, _ in batch for text in texts]
        detect = [wanted for texts, wanted, _ in batch for _ in texts]
        try:
            languages, scores = await self._score(texts, detect)
        except Exception as exc:  # every waiting poll fails alike; none is marked
            _fail(batch, exc)
            return
        finally:
            self.running -= 1
            if self.pending:  # what gathered meanwhile goes next, as one batch
                asyncio.get_running_loop().call_soon(self._dispatch)
        if self.observe is not None:
            self.observe(started, time.perf_counter(), len(texts))
        _resolve(batch, languages, scores)

    async def in_worker(self, fn: Callable[[], T]) -> T | None:
        """`fn()` as run in the scoring worker, None without one (`fn` must pickle: a
        module-level function). With several workers, one of them runs it."""
        if self._pool is None:
            return None
        return await self._in_pool(fn)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` where scoring runs: in a scoring worker when there is one, else in a
        thread; never on the event loop (`fn` must pickle: a module-level function). Page
        extraction (ingest/article.py) runs here."""
        if not self.workers or self.classifier().path is None:
            return await asyncio.to_thread(fn, *args)
        return await self._in_pool(fn, *args)

    async def _in_pool(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` in the worker pool. A worker that died (killed, out of memory) breaks
        the whole pool, and every later call would fail: it is replaced, and the call made
        once more (a call that kills its worker twice fails its polls alone)."""
        for attempt in (1, 2):
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, multiprocessing.get_context("spawn"),
                                                 initializer=_worker_init)
            pool = self._pool
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
            except BrokenProcessPool:
                log.error("a scoring worker died (attempt %d of this call): starting new ones", attempt)
                if self._pool is pool:
                    self._pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def start(self) -> None:
        """Start the workers and load the model and the language detector in them now,
        not in the first poll. A model they refuse is named as the settings name it (the
        error named the private copy, a file gone at exit)."""
        if self.workers and self.classifier().path is not None:
            await self.check(self.classifier())
            await self._score(["warm-up"], [True])

    async def check(self, model: Classifier) -> None:
        """Load `model` whole where it will score, before it is put in force: a lazily
        loaded model's weights are first read there (ModelError if they are broken: a
        reload that only read its metadata put it in force, then every batch failed)."""
        if self.workers and model.path is not None:
            try:
                await self._in_pool(_load_in_worker, str(model.path), model.version)
            except ModelError as exc:  # named as the settings name it, not by its copy
                raise ModelError(str(exc).replace(str(model.path), str(model.source))) from None

    async def _score(self, texts: list[str], detect: list[bool]) -> tuple[Languages, Scores]:
        model = self.classifier()
        if not self.workers or model.path is None:  # on the event loop, detection too
            return _languages(texts, detect), model.score(texts)
        languages, packed = await self._in_pool(_score_in_worker, str(model.path), model.version, texts, detect)
        return languages, _unpack(packed)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _resolve(batch: list[Request], languages: Languages, scores: Scores) -> None:
    start = 0
    for texts, _, future in batch:
        end = start + len(texts)
        if not future.done():
            future.set_result((languages[start:end], scores[start:end]))
        start = end


def _fail(batch: list[Request], exc: Exception) -> None:
    for _, _, future in batch:
        if not future.done():
            future.set_exception(exc)
