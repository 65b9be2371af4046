"""Batch scoring: texts of concurrent polls share one classifier call; a worker process
scores exactly as the service process would."""

from __future__ import annotations

import asyncio
import os

import pytest

from monitor import language
from monitor.model import scoring
from monitor.model.classify import Classifier
from monitor.model.scoring import BatchScorer
from tests.articles import OFF_TOPIC, ON_TOPIC
from tests.conftest import MODEL

TEXTS = [f"{title}\n{text}" for title, text in ON_TOPIC + OFF_TOPIC]


def test_concurrent_requests_are_scored_in_one_batch() -> None:
    model = Classifier.load(MODEL)
    batches: list[int] = []
    scorer = BatchScorer(lambda: model, workers=0, observe=lambda started, ended, n: batches.append(n))

    async def go() -> list[list]:
        return list(await asyncio.gather(*(scorer.score([text]) for text in TEXTS)))

    results = asyncio.run(go())
    assert batches == [len(TEXTS)]  # seven polls, one classifier call
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


def test_in_worker_runs_a_function_in_the_worker_process_or_answers_none_without_one() -> None:
    model = Classifier.load(MODEL)
    with_worker, without = BatchScorer(lambda: model, workers=1), BatchScorer(lambda: model, workers=0)

    async def go() -> tuple[int | None, int | None]:
        await with_worker.start()
        await without.start()
        return await with_worker.in_worker(os.getpid), await without.in_worker(os.getpid)

    try:
        worker_pid, none = asyncio.run(go())
    finally:
        with_worker.close()
    assert worker_pid is not None and worker_pid != os.getpid()
    assert none is None


def test_waiting_polls_are_scored_in_batches_of_at_most_worker_max_texts(monkeypatch) -> None:
    monkeypatch.setattr(scoring, "WORKER_MAX", 12)
    model = Classifier.load(MODEL)
    score, sizes = model.score, []  # texts per classifier call
    monkeypatch.setattr(model, "score", lambda texts: sizes.append(len(texts)) or score(texts))
    scorer = BatchScorer(lambda: model, workers=0)
    requests = [[f"{TEXTS[(i + j) % len(TEXTS)]} ({i}.{j})" for j in range(5)] for i in range(7)]
    requests.append([f"{TEXTS[0]} ({j})" for j in range(15)])  # one poll larger than a batch

    async def go() -> list:
        return list(await asyncio.gather(*(scorer.score(r) for r in requests)))

    results = asyncio.run(go())
    # Each poll's scores are its own, in its order. Within 1e-12 rather than equal: a text's
    # score can differ in its last bits with the other texts of its call (the matrix products
    # take another path for another number of rows; 4.1029509440801865e-09 against
    # ...80172e-09 for one text of these, model 4e565ff97881).
    assert [[{t: (s.topic, s.terms, s.score) for t, s in d.items()} for d in r] for r in results] == \
        [[{t: (s.topic, s.terms, pytest.approx(s.score, rel=1e-12, abs=1e-15)) for t, s in d.items()} for d in r]
         for r in map(score, requests)]
    assert sizes == [10, 10, 10, 5, 15]  # two polls of 5 per call; the 15 are not split


def test_detect_and_score_gives_languages_and_scores_from_one_batch_in_the_worker_or_on_the_loop() -> None:
    model = Classifier.load(MODEL)
    texts = [*TEXTS, "Türk askerleri İdlib'de Rus devriyesiyle birlikte görev yaptı, dedi yetkililer.", "42"]
    calls: list[int] = []
    with_worker = BatchScorer(lambda: model, workers=1, observe=lambda started, ended, n: calls.append(n))
    without = BatchScorer(lambda: model, workers=0)

    async def go() -> tuple[list, list, list]:
        await with_worker.start()
        calls.clear()  # the warm-up's call
        both, scores_only = await asyncio.gather(with_worker.detect_and_score(texts), with_worker.score(texts[:2]))
        return list(both), scores_only, list(await without.detect_and_score(texts))

    try:
        (languages, scores), scores_only, (loop_languages, loop_scores) = asyncio.run(go())
    finally:
        with_worker.close()
    assert calls == [len(texts) + 2]  # both requests in one call to the worker
    assert languages == loop_languages == [language.detect(text) for text in texts]
    assert languages[0] == "en" and languages[-2] == "tr" and languages[-1] == language.UNDETERMINED
    assert scores == loop_scores == model.score(texts)
    assert scores_only == model.score(texts[:2])
