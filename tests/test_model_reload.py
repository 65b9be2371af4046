"""A reload with several scoring workers (`score_workers = 2`): the new model is loaded in
every worker before it is put in force, and from then on every score handed out is its
own; a model one worker refuses leaves the old one in force, and loaded, in all."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
import skops.io as sio

from monitor import settings
from monitor.model import worker
from monitor.model.classify import TRUSTED, Classifier
from monitor.model.scoring import RUN_DEPTH, BatchScorer
from monitor.service import Service
from tests.test_model_in_force import _with_nan_weights
from tests.test_service_faults import MODEL, dispatching

pytestmark = pytest.mark.timeout(180)

# long enough that a batch of them keeps a worker busy for a while (~0.1 s)
TEXTS = [f"Erdogan and Putin discuss Idlib in phone call, report {n}. " * 20 for n in range(150)]


def _new_version(path: Path) -> str:
    """The model file at `path` as another training would leave it: another version, and
    scores that differ from the shipped model's."""
    state = sio.load(MODEL, trusted=TRUSTED)
    meta = json.loads(state["metadata"])
    meta["version"] = "reloaded-" + meta["version"]
    state["metadata"], state["intercept"] = json.dumps(meta), state["intercept"] + 1.0
    path.write_bytes(sio.dumps(state))
    return str(meta["version"])


def _service(make_settings, tmp_path: Path) -> tuple[Path, settings.Loaded]:
    model = tmp_path / "topics.skops"
    shutil.copy(MODEL, model)
    path = make_settings({}, score_workers=2)
    path.write_text(path.read_text().replace(str(MODEL), str(model)))
    return model, settings.load(path)


async def _held(svc: Service) -> list[tuple[int, str | None]]:
    """Each worker's pid and the version of the model it holds, one answer per worker."""
    return await svc.rt.scorer._pool.call_each(worker.held)


def test_a_reload_loads_the_new_model_in_every_worker_before_it_is_in_force(make_settings, tmp_path: Path) -> None:
    """One worker loaded a new model before it was put in force; the other loaded it in
    its next batch, under that batch's deadline (and a model it refused was found there)."""
    model, loaded = _service(make_settings, tmp_path)

    async def go() -> tuple[str, str, list[tuple[int, str | None]], list[int]]:
        async with dispatching(loaded) as svc:
            version = _new_version(model)
            await svc.try_reload()
            assert svc.reload_error == ""
            return version, svc.rt.classifier.version, await _held(svc), svc.rt.scorer._pool.pids()

    version, in_force, held, pids = asyncio.run(go())
    assert in_force == version
    assert sorted(pid for pid, _ in held) == sorted(pids) and len(set(pids)) == 2  # every worker answered
    assert [held_version for _, held_version in held] == [version, version]


def test_no_score_handed_out_after_a_reload_is_the_old_model_s(make_settings, tmp_path: Path) -> None:
    """Polls scored on while the reload loaded its model; a batch dispatched meanwhile
    waited behind the load, and was scored by the old model (loaded again for it) after the
    new one was in force."""
    model, loaded = _service(make_settings, tmp_path)
    _new_version(reference := tmp_path / "reference.skops")
    (topic, old), *_ = Classifier.load(MODEL).score(TEXTS[:1])[0].items()
    new = Classifier.load(reference).score(TEXTS[:1])[0][topic]

    async def go() -> list[tuple[str, float]]:
        async with dispatching(loaded) as svc:
            seen: list[tuple[str, float]] = []  # the version in force as scores came back, and a score
            reloaded = asyncio.Event()

            async def poll() -> None:
                while not reloaded.is_set() or len(seen) < 30:
                    row = (await svc.rt.scorer.score(TEXTS))[0]
                    seen.append((svc.rt.classifier.version, row[topic].score))

            polls = [asyncio.create_task(poll()) for _ in range(3)]
            await asyncio.sleep(0.5)
            _new_version(model)
            await svc.try_reload()
            reloaded.set()
            await asyncio.gather(*polls)
            return seen

    seen = asyncio.run(go())
    assert {version.startswith("reloaded-") for version, _ in seen} == {False, True}  # before and after
    assert old.score != pytest.approx(new.score)
    after = [score for version, score in seen if version.startswith("reloaded-")]
    assert all(score == pytest.approx(new.score) for score in after), (new.score, old.score, seen)


def test_a_model_one_worker_refuses_leaves_the_old_one_in_force_and_loaded_in_all(make_settings,
                                                                                   tmp_path: Path) -> None:
    """A worker that refused a new model had dropped the one in force first: it loaded
    it again in its next batch, under that batch's deadline."""
    model, loaded = _service(make_settings, tmp_path)

    async def go() -> tuple[str, str, str, list[tuple[int, str | None]]]:
        async with dispatching(loaded) as svc:
            before = svc.rt.classifier.version
            _with_nan_weights(model)
            await svc.try_reload()
            return svc.reload_error, before, svc.rt.classifier.version, await _held(svc)

    error, before, after, held = asyncio.run(go())
    assert error == f"{model}: not a valid topic model: coef holds values that are not finite numbers"
    assert after == before
    assert [version for _, version in held] == [before, before]


def test_a_reload_waits_behind_the_extractions_running_not_all_those_queued(tmp_path: Path) -> None:
    """Page extractions went into the pool's queue as they came, and a reload's load (a call
    per worker) went after them all: ten of 0.3 s held it 2.3 s with two workers."""
    import time

    _new_version(new := tmp_path / "new.skops")
    classifier = Classifier.load_lazily(MODEL)

    async def go() -> tuple[int, list[None]]:
        scorer = BatchScorer(lambda: classifier, workers=2)
        try:
            await scorer.start()
            pages = [asyncio.ensure_future(scorer.run(time.sleep, 0.3)) for _ in range(10)]
            await asyncio.sleep(0.05)  # the first are running
            await scorer.check(Classifier.load_lazily(new))
            return sum(page.done() for page in pages), await asyncio.gather(*pages)
        finally:
            scorer.close()

    done, extracted = asyncio.run(go())
    # RUN_DEPTH per worker at most: the one running, and the next
    assert done <= RUN_DEPTH * 2, f"{done} of 10 extractions went before the reload"
    assert extracted == [None] * 10  # the rest after it


def test_the_next_page_waits_in_the_pool_while_a_worker_extracts_one(tmp_path: Path) -> None:
    """With one call of run() a worker in the pool, the worker idled for the round trip
    between two pages; the next is queued in the pool now, and no more than that."""
    import time

    async def go() -> tuple[int, int]:
        scorer = BatchScorer(lambda: Classifier.load_lazily(MODEL), workers=1)
        try:
            await scorer.start()
            pages = [asyncio.ensure_future(scorer.run(time.sleep, 0.3)) for _ in range(4)]
            await asyncio.sleep(0.1)  # the first is running
            in_pool = len(scorer._pool._pending())
            await asyncio.gather(*pages)
            return in_pool, len(scorer._pool._pending())
        finally:
            scorer.close()

    assert asyncio.run(go()) == (RUN_DEPTH, 0)


def test_a_worker_keeps_its_model_from_the_collector_until_the_next_load(tmp_path: Path) -> None:
    """What a worker holds at a model's load is frozen (gc.freeze: full collections, which
    page extraction makes often, walked the model), and let go at the next load, so what
    the old model left in cycles is collected then. Run here, in this process."""
    import gc
    import weakref

    class Node:
        me: object

    new_version = _new_version(new := tmp_path / "new.skops")
    try:
        held = Node()
        held.me = held  # a cycle: only the collector frees it
        gone = weakref.ref(held)
        worker.load(str(MODEL), Classifier.load_lazily(MODEL).version)
        frozen = gc.get_freeze_count()
        del held
        gc.collect()
        assert gone() is not None, "collected: the worker's load froze nothing"
        worker.load(str(new), new_version)
        gc.collect()
        assert gone() is None, "kept after the next load: frozen for good"
        assert frozen > 0 and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        worker._models.clear()
