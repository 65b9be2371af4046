"""Scoring in batches, on the second core: the classify stage as the service runs it.

Two costs shape this. A classifier call has a fixed part (vectorizer set-up, sparse
products) that dominates small batches, and a poll often brings one new item; so the new
items of polls that finish together are scored in one call. And scoring is the heaviest
CPU work of a poll, pure Python under the GIL; so with `[monitor] score_workers = 1` it
runs in a worker process, while the service process goes on fetching, parsing and talking
to Redis. While a batch is being scored there, the next one gathers; and when enough
waits meanwhile, this process scores some of it itself, so that both cores score.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

from monitor.classify import Classifier
from monitor.items import TopicScore

BATCH_WINDOW = 0.005  # seconds the first waiting texts wait for others to join their batch
INLINE_MIN = 40  # texts waiting while the worker is busy before this process scores some itself
INLINE_MAX = 200  # at most this many at a time here: the event loop is blocked meanwhile

Scores = list[dict[str, TopicScore]]

_worker_models: dict[tuple[str, str], Classifier] = {}


def _worker_init() -> None:
    # The service stops its workers itself; a Ctrl-C on the terminal must not kill them first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _score_in_worker(path: str, version: str, texts: list[str]) -> Scores:
    """Runs in the worker process: the model is loaded once per (file, version)."""
    model = _worker_models.get((path, version))
    if model is None:
        _worker_models.clear()
        model = _worker_models[(path, version)] = Classifier.load(Path(path))
    return model.score(texts)


class BatchScorer:
    def __init__(self, classifier: Callable[[], Classifier], workers: int = 0,
                 window: float = BATCH_WINDOW, observe: Callable[[float], None] | None = None) -> None:
        self.classifier = classifier
        self.observe = observe  # gets the seconds each batch took to score
        self.workers = workers
        self.window = window
        self.pending: list[tuple[list[str], asyncio.Future[Scores]]] = []
        self.busy = False
        self.inline_batches = 0  # batches this process scored while the worker was busy
        self._pool: Executor | None = None

    async def score(self, texts: list[str]) -> Scores:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Scores] = loop.create_future()
        if not self.pending and not self.busy:
            loop.call_later(self.window, self._dispatch)
        self.pending.append((texts, future))
        if self.busy and self.workers and self._pending_texts() >= INLINE_MIN:
            loop.call_soon(self._dispatch)  # the worker is busy: this process helps
        return await future

    def _pending_texts(self) -> int:
        return sum(len(texts) for texts, _ in self.pending)

    def _dispatch(self) -> None:
        """The worker, when free, takes everything waiting; while it is busy, this process
        scores what waits itself, in bounded batches, so both cores score."""
        if not self.pending:
            return
        if not self.busy:
            batch, self.pending = self.pending, []
            self.busy = True
            asyncio.ensure_future(self._flush(batch))
        elif self.workers and self._pending_texts() >= INLINE_MIN:
            batch, size = [], 0
            while self.pending and size < INLINE_MAX:
                batch.append(self.pending.pop(0))
                size += len(batch[-1][0])
            started = time.perf_counter()
            try:
                scores = self.classifier().score([text for texts, _ in batch for text in texts])
            except Exception as exc:
                _fail(batch, exc)
                return
            self._observe(started)
            self.inline_batches += 1
            _resolve(batch, scores)

    async def _flush(self, batch: list[tuple[list[str], asyncio.Future[Scores]]]) -> None:
        started = time.perf_counter()
        try:
            scores = await self._score([text for texts, _ in batch for text in texts])
        except Exception as exc:  # every waiting poll fails alike; none is marked
            _fail(batch, exc)
            return
        finally:
            self.busy = False
            if self.pending:  # what gathered meanwhile goes next, as one batch
                asyncio.get_running_loop().call_soon(self._dispatch)
        self._observe(started)
        _resolve(batch, scores)

    def _observe(self, started: float) -> None:
        if self.observe is not None:
            self.observe(time.perf_counter() - started)

    async def worker_cpu(self) -> float:
        """CPU seconds the scoring worker has used (0 without one): what scoring costs
        beside the service process. With several workers, one of them answers."""
        if self._pool is None:
            return 0.0
        return await asyncio.get_running_loop().run_in_executor(self._pool, time.process_time)

    async def start(self) -> None:
        """Start the workers and load the model in them now, not in the first poll."""
        if self.workers and self.classifier().path is not None:
            await self._score(["warm-up"])

    async def _score(self, texts: list[str]) -> Scores:
        model = self.classifier()
        if not self.workers or model.path is None:
            return model.score(texts)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, multiprocessing.get_context("spawn"),
                                             initializer=_worker_init)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _score_in_worker, str(model.path), model.version, texts)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _resolve(batch: list[tuple[list[str], asyncio.Future[Scores]]], scores: Scores) -> None:
    start = 0
    for texts, future in batch:
        if not future.done():
            future.set_result(scores[start:start + len(texts)])
        start += len(texts)


def _fail(batch: list[tuple[list[str], asyncio.Future[Scores]]], exc: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
