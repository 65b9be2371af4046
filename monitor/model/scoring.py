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
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from monitor import defaults, language
from monitor.errors import ModelError
from monitor.items import TopicScore
from monitor.model import worker
from monitor.model.classify import Classifier
from monitor.model.pool import CLOSE_GRACE, WorkerPool
from monitor.model.worker import Languages, Packed, Scores

log = logging.getLogger("monitor.scoring")

BATCH_WINDOW = 0.005  # seconds the first waiting texts wait for others to join their batch
WORKER_MAX = 200  # texts per worker call at most (the classifier's CHUNK: as fast per text as
# larger calls), so results come back while later polls' texts wait, and the service goes on
# with near-dup and claims as the worker scores the next batch. With 800 the two took turns:
# fresh pass of 200 feeds x 20 items, six alternating runs: 2.29-3.66 s (mean 2.93) at 200,
# 3.07-3.55 s (mean 3.31) at 800; 100 cost the worker ~5 % more CPU

RUN_DEPTH = 2  # calls of run() in the pool per worker: one running, the next waiting in the
# queue, so the worker starts it as the first ends. With one, the worker idled for the round
# trip between two (a result back, the next page's bytes over: ~1.5 ms) and was busy 92 % of
# the time the 181 benchmark pages took, 96.5 % with two; a reload waits behind two a worker.

Request = tuple[list[str], bool, "asyncio.Future[tuple[Languages, Scores]]"]  # texts, detect?, reply
T = TypeVar("T")


def _unpack(packed: Packed) -> Scores:
    topics, rows = packed
    return [{t: TopicScore(t, score, terms) for t, (score, terms) in zip(topics, row, strict=True)}
            for row in rows]


class BatchScorer:
    def __init__(self, classifier: Callable[[], Classifier], workers: int = 0,
                 window: float = BATCH_WINDOW,
                 observe: Callable[[float, float, int], None] | None = None,
                 deadline: float = defaults.SCORE_CALL_SECONDS) -> None:
        self.classifier = classifier
        self.observe = observe  # gets each batch's start, end (perf_counter) and size
        self.workers = workers
        self.window = window
        self.pending: list[Request] = []
        self.running = 0  # batches being scored: up to one per worker (one without)
        self._pool = WorkerPool(workers, deadline)  # its workers start with the first call
        self._pool.warm = self._warm
        self._held = False  # while a new model loads (check): no batch starts
        self._idle = asyncio.Event()  # no batch is being scored
        self._idle.set()
        self._running_calls = 0  # calls of run() in the pool: up to RUN_DEPTH per worker
        self._freed = asyncio.Event()  # one of them ended, or a check did: the waiting look again

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
        while self.pending and not self._held and self.running < max(1, self.workers):
            self.running += 1
            self._idle.clear()
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
            if not self.running:
                self._idle.set()
            if self.pending:  # what gathered meanwhile goes next, as one batch
                asyncio.get_running_loop().call_soon(self._dispatch)
        if self.observe is not None:
            self.observe(started, time.perf_counter(), len(texts))
        _resolve(batch, languages, scores)

    async def in_worker(self, fn: Callable[[], T]) -> T | None:
        """`fn()` as run in the scoring worker, None without one (`fn` must pickle: a
        module-level function). With several workers, one of them runs it."""
        if not self._pool.started:
            return None
        return await self._pool.call(fn)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` where scoring runs: in a scoring worker when there is one, else in a
        thread; never on the event loop (`fn` must pickle: a module-level function). Page
        extraction (ingest/article.py) runs here.

        At most RUN_DEPTH such calls per worker are in the pool, and none goes in while a
        new model loads (check): the rest wait here, not in the pool's queue, where the
        model's load (a call per worker) waited behind them all (ten extractions of 0.3 s
        held a reload 3.4 s with one worker, 2.3 s with two)."""
        if not self.workers or self.classifier().path is None:
            return await asyncio.to_thread(fn, *args)
        while self._held or self._running_calls >= RUN_DEPTH * self.workers:
            self._freed.clear()  # no await since the test above: any set() after it wakes this one
            await self._freed.wait()
        self._running_calls += 1
        try:
            return await self._pool.call(fn, *args)
        finally:
            self._running_calls -= 1
            self._freed.set()

    async def start(self) -> None:
        """Start the workers and load the model and the language detector in each of them
        now, not in the first poll. A model they refuse is named as the settings name it
        (the error named the private copy, a file gone at exit)."""
        model = self.classifier()
        if self.workers and model.path is not None:
            await self.check(model)
            await self._pool.call_each(worker.score, str(model.path), model.version, ["warm-up"], [True])

    async def check(self, model: Classifier) -> None:
        """Load `model` whole in every worker before it is put in force: a lazily loaded
        model's weights are first read there (ModelError if they are broken: a reload that
        only read its metadata put it in force, then every batch failed), and with one
        worker loading it the others did so in their next batch, under its deadline.

        No batch, and no call of run(), starts meanwhile, and the batches under way end first
        (the calls of run() under way, RUN_DEPTH per worker at most, go before the load), so that
        from the moment the caller puts `model` in force (with no await between:
        wiring.model_in_force, Service.apply) every score handed out is its own. A batch is
        scored whole by the model in force when it starts; those held start after this
        returns, with the new model, or with the one in force still if a worker refused it."""
        if not self.workers or model.path is None:
            return
        self._held = True
        try:
            await self._idle.wait()
            await self._pool.call_each(worker.load, str(model.path), model.version, _named(self.classifier()))
        except ModelError as exc:  # named as the settings name it, not by its copy
            raise ModelError(str(exc).replace(str(model.path), str(model.source))) from None
        finally:
            self._held = False
            self._freed.set()
            asyncio.get_running_loop().call_soon(self._dispatch)

    def _warm(self) -> Callable[[], object] | None:
        """What a new worker does in its start (asked as the workers start, after a death or a
        stuck call too): load the model in force and the language detector, as start() does.
        The first batch after a restart did, under its deadline: 0.52-0.65 s, now 0.08-0.09 s
        as before the kill (150 long texts)."""
        named = _named(self.classifier())
        return partial(worker.score, *named, ["warm-up"], [True]) if named is not None else None

    async def _score(self, texts: list[str], detect: list[bool]) -> tuple[Languages, Scores]:
        model = self.classifier()
        if not self.workers or model.path is None:  # on the event loop, detection too
            return worker.languages(texts, detect), model.score(texts)
        languages, packed = await self._pool.call(worker.score, str(model.path), model.version, texts, detect)
        return languages, _unpack(packed)

    def close(self, grace: float = CLOSE_GRACE) -> None:
        """End the workers for good (pool.py): a call after this fails with PoolClosed."""
        self._pool.close(grace)


def _named(model: Classifier) -> tuple[str, str] | None:
    """The (file, version) a worker loads `model` by; None for one loaded from no file."""
    return (str(model.path), model.version) if model.path is not None else None


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
