"""The model in force is the one scoring, in worker processes too: a worker that restarts
loads the model the service checked, not the file as it is now, and a reload loads a new
model whole where it will score before it is put in force."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from monitor import settings
from monitor.errors import ModelError, WorkerTimeout
from monitor.model import worker
from monitor.model.classify import TRUSTED, Classifier
from monitor.model.scoring import BatchScorer
from tests.test_service_faults import MODEL, dispatching

TEXTS = ["Erdogan and Putin discuss Idlib in phone call", "Russian strikes on Idlib kill 12"]


def _scores(rows: list[dict[str, object]]) -> list[list[float]]:
    return [[row[t].score for t in sorted(row)] for row in rows]  # type: ignore[attr-defined]


def _with_nan_weights(path: Path) -> None:
    """The model file at `path` with one weight NaN: its metadata reads as before."""
    state = sio.load(path, trusted=TRUSTED)
    state["coef"] = state["coef"].copy()
    state["coef"][0, 0] = np.nan
    path.write_bytes(sio.dumps(state))


def test_a_restarted_worker_scores_with_the_model_in_force_not_the_file_now(tmp_path: Path) -> None:
    """The file was overwritten with one a reload would refuse; a worker killed (out of
    memory) then read it: every batch failed until the file was mended."""
    model = tmp_path / "topics.skops"
    shutil.copy(MODEL, model)

    async def go() -> tuple[list[list[float]], list[list[float]]]:
        classifier = Classifier.load_lazily(model)
        scorer = BatchScorer(lambda: classifier, workers=1)
        try:
            await scorer.start()
            before = _scores(await scorer.score(TEXTS))
            model.write_bytes(b"not a model")
            for pid in scorer._pool.pids():
                os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.3)
            return before, _scores(await scorer.score(TEXTS))
        finally:
            scorer.close()

    before, after = asyncio.run(go())
    assert after == before and max(max(row) for row in before) > 0.5


def test_a_reload_refuses_a_model_whose_weights_are_broken(make_settings, tmp_path: Path) -> None:
    """With score_workers the service reads a model's metadata only; a reload put a model
    with a NaN weight in force, and then every batch failed in the worker."""
    model = tmp_path / "topics.skops"
    shutil.copy(MODEL, model)
    path = make_settings({}, score_workers=1)
    path.write_text(path.read_text().replace(str(MODEL), str(model)))

    async def go() -> tuple[str, str, str, list[list[float]]]:
        async with dispatching(settings.load(path)) as svc:
            version = svc.rt.classifier.version
            _with_nan_weights(model)
            await svc.try_reload()
            return svc.reload_error, version, svc.rt.classifier.version, _scores(await svc.rt.scorer.score(TEXTS))

    error, before, after, scores = asyncio.run(go())
    assert "not a valid topic model" in error and str(model) in error, error
    assert after == before
    assert all(np.isfinite(row).all() for row in scores)


def test_refused_reloads_leave_the_copy_of_the_model_in_force(make_settings, tmp_path: Path, monkeypatch) -> None:
    """The copies went by count (the newest two), refused ones too: after two refused
    reloads the copy of the model in force was gone, and the worker, whose cache the
    second refusal had emptied, failed every batch ("model file not found")."""
    import tempfile

    from monitor.model import modelfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # this test's copies alone in their folder
    monkeypatch.setattr(modelfile, "_folder", [])
    model = tmp_path / "topics.skops"
    shutil.copy(MODEL, model)
    path = make_settings({}, score_workers=1)
    path.write_text(path.read_text().replace(str(MODEL), str(model)))

    async def go() -> tuple[list[list[float]], list[str], list[list[float]], list[Path]]:
        async with dispatching(settings.load(path)) as svc:
            before = _scores(await svc.rt.scorer.score(TEXTS))
            _with_nan_weights(model)
            errors = []
            for _ in range(2):  # the file's change, then a SIGHUP or an edit of the settings
                await svc.try_reload()
                errors.append(svc.reload_error)
            after = _scores(await svc.rt.scorer.score(TEXTS))
            # (the pool's thread holds its last call's error, and with it the refused model,
            # until its next call: this batch)
            copies = [svc.rt.classifier.path, *svc.rt.classifier.path.parent.iterdir()]  # type: ignore[union-attr]
            return before, errors, after, copies

    before, errors, after, (in_force, *copies) = asyncio.run(go())
    assert all("not a valid topic model" in error for error in errors), errors
    assert after == before
    assert copies == [in_force]  # the refused ones removed


def test_a_model_the_worker_refuses_at_start_is_named_as_the_settings_name_it(make_settings, tmp_path: Path) -> None:
    """With score_workers, the error of a start whose model the worker refused named its
    private copy (/tmp/monitor-model-PID-…/0-topics.skops), a file gone at exit."""
    from tests.test_cli import monitor

    model = tmp_path / "topics.skops"
    shutil.copy(MODEL, model)
    _with_nan_weights(model)
    path = make_settings({}, score_workers=1)
    path.write_text(path.read_text().replace(str(MODEL), str(model)))
    result = monitor("poll", "--once", settings=path)
    assert result.returncode == 1
    assert f"{model}: not a valid topic model: coef holds values that are not finite numbers" in result.stderr
    assert "monitor-model-" not in result.stderr, result.stderr


def test_a_start_the_worker_refuses_closes_what_it_opened(make_settings, tmp_path: Path) -> None:
    """Runtime's start opened the HTTP sessions, then the scorer; a model the worker refused
    left the sessions open ("ERROR asyncio: Unclosed client session" under the one-line
    error) and the worker running until exit."""
    from monitor import wiring
    from monitor.errors import ModelError

    model = tmp_path / "topics.skops"
    shutil.copy(MODEL, model)
    _with_nan_weights(model)
    path = make_settings({}, score_workers=1)
    path.write_text(path.read_text().replace(str(MODEL), str(model)))
    rt = wiring.runtime(settings.load(path))

    async def go() -> None:
        async with rt:
            raise AssertionError("the start should have failed")

    with pytest.raises(ModelError, match="not a valid topic model"):
        asyncio.run(go())
    assert rt.http is not None and rt.http.guarded.closed
    assert not rt.scorer._pool.started  # its workers stopped


def test_copies_of_a_killed_process_are_removed_by_the_next(tmp_path: Path, monkeypatch) -> None:
    """A service killed by SIGKILL (the OOM killer) left its copy of the model in the
    unit's TMPDIR, which outlives it: 4.4 MB a kill, for ever."""
    import subprocess
    import sys
    import tempfile

    from monitor.model import modelfile

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    dead, living = tmp_path / f"monitor-model-{gone}-x1", tmp_path / f"monitor-model-{os.getppid()}-x2"
    for folder in (dead, living):
        folder.mkdir()
        (folder / "0-topics.skops").write_bytes(b"model")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(modelfile, "_folder", [])
    owner = Classifier.load_lazily(MODEL)  # any object the copy lives as long as
    copy = modelfile.snapshot(MODEL, owner)
    assert not dead.exists() and living.exists()
    assert copy.parent.parent == tmp_path and copy.read_bytes() == MODEL.read_bytes()


def test_a_model_landing_while_a_reload_loads_one_is_loaded_by_the_next(make_settings, tmp_path: Path,
                                                                          monkeypatch) -> None:
    """The stamp (mtime, size) is read before the model is: a file written while the reload
    loads the one before it differs from the stamp kept, so the watcher reloads again.
    (Read after, it named the new file while the old model was in force, for good.)"""
    from monitor import wiring

    model = tmp_path / "topics.skops"
    shutil.copy(MODEL, model)
    path = make_settings({})
    path.write_text(path.read_text().replace(str(MODEL), str(model)))
    loading = wiring.polling_classifier

    def landing_meanwhile(loaded: settings.Loaded) -> Classifier:
        classifier = loading(loaded)
        os.utime(model, (model.stat().st_mtime + 60,) * 2)  # `monitor train` replaced it just now
        return classifier

    async def go() -> tuple[object, object]:
        async with dispatching(settings.load(path)) as svc:
            os.utime(model, (model.stat().st_mtime + 30,) * 2)  # a new model: the reload loads it
            monkeypatch.setattr(wiring, "polling_classifier", landing_meanwhile)
            await svc.try_reload()
            assert svc.reload_error == ""
            return svc.model_stamp, wiring.stamp(model)

    kept, now = asyncio.run(go())
    assert kept != now  # the watcher compares these: it reloads again


def test_copies_named_with_this_process_s_pid_are_an_earlier_life_s(tmp_path: Path, monkeypatch) -> None:
    """A container restarted after a SIGKILL runs in a new PID namespace with its /tmp kept,
    and the monitor gets the pid it had (1 under `unshare --pid`): the sweep took the
    folder the killed one left for this process's own, live, so each kill left a copy."""
    import tempfile

    from monitor.model import modelfile

    earlier = tmp_path / f"monitor-model-{os.getpid()}-x1"
    earlier.mkdir()
    (earlier / "0-topics.skops").write_bytes(b"model")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(modelfile, "_folder", [])
    model = Classifier.load_lazily(MODEL)
    assert not earlier.exists()
    assert model.path is not None and model.path.parent.parent == tmp_path and model.path.exists()


def test_new_workers_hold_the_model_in_force_before_their_first_batch() -> None:
    """Workers started after a death, or after a stuck call's workers were killed, loaded the
    model in their first batch, under its deadline (0.38-0.58 s, not ~0.01 s)."""
    classifier = Classifier.load_lazily(MODEL)

    async def held(scorer: BatchScorer) -> list[tuple[int, str | None]]:
        return await scorer._pool.call_each(worker.held)  # before any batch reaches them

    async def go() -> tuple[list[int], list[tuple[int, str | None]], list[tuple[int, str | None]]]:
        scorer = BatchScorer(lambda: classifier, workers=2, deadline=2.0)
        try:
            await scorer.start()
            first = scorer._pool.pids()
            os.kill(first[0], signal.SIGKILL)
            await asyncio.sleep(0.3)
            after_death = await held(scorer)
            with pytest.raises(WorkerTimeout):
                await scorer.run(time.sleep, 3600)
            return first, after_death, await held(scorer)
        finally:
            scorer.close()

    first, after_death, after_timeout = asyncio.run(go())
    assert not {pid for pid, _ in after_death} & set(first)  # new workers answered
    assert not {pid for pid, _ in after_timeout} & {pid for pid, _ in after_death}
    assert [version for _, version in after_death + after_timeout] == [classifier.version] * 4


def test_a_model_new_workers_cannot_load_in_their_start_fails_the_batch_not_the_pool() -> None:
    """The load in a new worker's start is not the batch's: failing there, it must not break
    the pool (an initializer's error ends its worker); the batch loads the model as before."""
    classifier = Classifier.load_lazily(MODEL)
    assert classifier.path is not None
    copy, good = classifier.path, classifier.path.read_bytes()

    async def go() -> tuple[BaseException | None, int]:
        scorer = BatchScorer(lambda: classifier, workers=1)
        try:
            await scorer.start()
            copy.write_bytes(b"not a model")  # what the new worker reads
            os.kill(scorer._pool.pids()[0], signal.SIGKILL)
            await asyncio.sleep(0.3)
            failed = (await asyncio.gather(scorer.score(TEXTS), return_exceptions=True))[0]
            copy.write_bytes(good)
            return failed if isinstance(failed, BaseException) else None, len(await scorer.score(TEXTS))
        finally:
            scorer.close()

    failed, scored = asyncio.run(go())
    assert isinstance(failed, ModelError), failed
    assert scored == 2
