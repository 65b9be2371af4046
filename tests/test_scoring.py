"""Batch scoring: texts of concurrent polls share one classifier call; a worker process
scores exactly as the service process would."""

from __future__ import annotations

import asyncio

from monitor.classify import Classifier
from monitor.scoring import BatchScorer
from tests.articles import OFF_TOPIC, ON_TOPIC
from tests.conftest import MODEL

TEXTS = [f"{title}\n{text}" for title, text in ON_TOPIC + OFF_TOPIC]


def test_concurrent_requests_are_scored_in_one_batch() -> None:
    model = Classifier.load(MODEL)
    batches: list[float] = []
    scorer = BatchScorer(lambda: model, workers=0, observe=batches.append)

    async def go() -> list[list]:
        return list(await asyncio.gather(*(scorer.score([text]) for text in TEXTS)))

    results = asyncio.run(go())
    assert len(batches) == 1  # seven polls, one classifier call
    expected = model.score(TEXTS)
    assert [r[0] for r in results] == expected


def test_worker_process_scores_like_the_service_process() -> None:
    model = Classifier.load(MODEL)
    scorer = BatchScorer(lambda: model, workers=1)

    async def go() -> list:
        await scorer.start()
        return await scorer.score(TEXTS)

    try:
        scores = asyncio.run(go())
    finally:
        scorer.close()
    assert scores == model.score(TEXTS)
    assert scores[0]["turkey_russia_syria"].score > 0.5 and scores[-1]["turkey_russia_syria"].score < 0.5


def test_service_process_helps_while_the_worker_is_busy() -> None:
    model = Classifier.load(MODEL)
    batches: list[float] = []
    scorer = BatchScorer(lambda: model, workers=1, observe=batches.append)
    requests = [[f"{TEXTS[(i + j) % len(TEXTS)]} ({i}.{j})" for j in range(5)] for i in range(60)]

    async def go() -> list:
        await scorer.start()
        batches.clear()
        first = asyncio.ensure_future(scorer.score(requests[0]))  # the worker takes this one
        await asyncio.sleep(0.01)
        rest = await asyncio.gather(*(scorer.score(r) for r in requests[1:]))
        return [await first, *rest]

    try:
        results = asyncio.run(go())
    finally:
        scorer.close()
    assert results == [model.score(r) for r in requests]
    assert scorer.inline_batches >= 1 and len(batches) > scorer.inline_batches  # both scored
