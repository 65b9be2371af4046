"""What runs in a scoring worker process (scoring.py starts them): the model loaded once
per (file, version), each batch's languages and scores, and the worker's end with the
service's. Module-level functions, so the pool can pickle them by name."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from monitor import language
from monitor.errors import ModelError
from monitor.items import TopicScore
from monitor.malloc import freeze_startup
from monitor.model.classify import Classifier

Scores = list[dict[str, TopicScore]]
Languages = list[str | None]  # a text's language, None where it was not asked for
Packed = tuple[tuple[str, ...], list[tuple[tuple[float, tuple[str, ...]], ...]]]  # topics, rows

_models: dict[tuple[str, str], Classifier] = {}
_barrier: list[threading.Barrier] = []  # the pool's, from init: where its calls of `each` meet
T = TypeVar("T")

PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def init(started: threading.Barrier | None = None, wait: float = 0.0,
         warm: Callable[[], object] | None = None) -> None:
    """Each worker's start; with `started`, it takes no call before all have started (pool.py),
    and `warm` (the model in force loaded) is done by then."""
    # The service stops its workers itself; a Ctrl-C on the terminal must not kill them first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    if warm is not None:
        # A failure here would break the pool (an initializer's error ends its worker) and
        # every call with it: the first batch loads the model again, and fails as it would
        # have (a ModelError, named there), or scores.
        with contextlib.suppress(Exception):
            warm()
    if started is not None:
        _barrier[:] = [started]
        started.wait(wait)


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


def score(path: str, version: str, texts: list[str], detect: list[bool]) -> tuple[Languages, Packed]:
    """Runs in the worker process: the model is loaded once per (file, version). The
    languages of the texts flagged in `detect`, and every text's scores, packed."""
    model = _model(path, version)
    return languages(texts, detect), pack(model.topics, model.score(texts))


def _model(path: str, version: str) -> Classifier:
    """The model of (file, version), loaded on first use. The file is the service's private
    copy (modelfile.snapshot), so it is the version asked for; another is refused, never
    scored with in its place."""
    model = _models.get((path, version))
    if model is None:
        gc.unfreeze()  # what freeze_startup set aside with the model in force may go with it
        _models.clear()  # first: holding two at once raised a worker's peak by 48 MB and its RSS by 14 MB
        try:
            model = Classifier.load(Path(path))
            if model.version != version:
                raise ModelError(f"{path}: holds model {model.version}, not {version}")
            _models[(path, version)] = model
        finally:
            # What the worker now holds (the model, the modules loaded) lives until the next
            # model's load, and every full collection walked it. Page extraction makes many
            # (trafilatura's cache reset, every 4 MB of pages, calls gc.collect): with the
            # model loaded, the collector took 1.25 s of the 181 benchmark pages' eight
            # rounds, 0.02 s with it frozen.
            freeze_startup()
    return model


def ready() -> None:
    """Nothing: a new worker's first call, which takes its start (pool.py)."""


def load(path: str, version: str, in_force: tuple[str, str] | None = None) -> None:
    """Load the model of (path, version), a reload's; one refused leaves the model
    `in_force` loaded again, not left for the next batch to load under its deadline."""
    try:
        _model(path, version)
    except ModelError:
        if in_force is not None and in_force != (path, version):  # at start, they are one
            _model(*in_force)
        raise


def held() -> tuple[int, str | None]:
    """This worker's process id and the version of the model it holds (None: none yet)."""
    return os.getpid(), next((version for _, version in _models), None)


def each(fn: Callable[..., T], *args: object) -> T:
    """One of the `workers` calls of pool.call_each: `fn(*args)`, then a wait at the pool's
    barrier until every worker has taken one, so that no worker takes two, even one that
    fails. No timeout: a worker that never comes is stuck past its call's allowance, and the
    pool kills them all (pool.py)."""
    try:
        return fn(*args)
    finally:
        if _barrier:  # none outside a pool (a test calling it in-process)
            _barrier[0].wait()


def languages(texts: list[str], detect: list[bool]) -> Languages:
    return [language.detect(text) if wanted else None for text, wanted in zip(texts, detect, strict=True)]


def pack(topics: tuple[str, ...], scores: Scores) -> Packed:
    return topics, [tuple((s.score, s.terms) for s in (row[t] for t in topics)) for row in scores]
