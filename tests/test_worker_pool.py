"""The scoring workers' pool under calls that never end (monitor/model/pool.py): a stuck
call is ended whoever waits on it, the calls behind it are scored, and a stop ends it all."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from monitor import defaults
from monitor.errors import WorkerTimeout
from monitor.model.classify import Classifier
from monitor.model.pool import PoolClosed
from monitor.model.scoring import BatchScorer

MODEL = Path(__file__).resolve().parent.parent / "models" / "topics.skops"
pytestmark = pytest.mark.timeout(180)


def started(deadline: float = defaults.SCORE_CALL_SECONDS, workers: int = 1) -> BatchScorer:
    # one model, as the service's: each load makes a new private copy, which a worker loads
    # again in its batch, under the short deadlines of these tests (one failed under load)
    classifier = Classifier.load_lazily(MODEL)
    return BatchScorer(lambda: classifier, workers=workers, deadline=deadline)


def test_a_stuck_call_whose_caller_was_cancelled_is_ended_by_the_next_caller() -> None:
    """A call whose caller was cancelled (a poll cut short by a stop or a reload) left the
    calls watched: it ran on untimed, and the batch behind it, whose clock then started,
    failed with WorkerTimeout after the deadline while the stuck call went on."""
    async def go() -> tuple[int, float]:
        scorer = started(3.0)
        try:
            await scorer.start()
            stuck = asyncio.ensure_future(scorer.run(time.sleep, 3600))
            await asyncio.sleep(0.5)
            stuck.cancel()
            began = time.monotonic()
            scored = await scorer.score(["Erdogan and Putin discuss Idlib"])
            return len(scored), time.monotonic() - began
        finally:
            scorer.close()

    scored, waited = asyncio.run(go())
    assert scored == 1  # made again in new workers, not failed
    assert waited < 60


def test_calls_made_again_after_a_kill_get_the_deadline_not_the_start_allowance() -> None:
    """The calls behind a stuck one are made again in a new pool; they got the new pool's
    start allowance (120 s) as well as the deadline, so a second stuck page held the only
    worker for minutes. The new workers' start is their own first call's now."""
    async def go() -> tuple[list[BaseException | int], float]:
        scorer = started(60.0)
        try:
            await scorer.start()
            scorer._pool.deadline = 2.0
            began = time.monotonic()
            results = await asyncio.gather(scorer.run(time.sleep, 3600), scorer.run(time.sleep, 3600),
                                           return_exceptions=True)
            return list(results), time.monotonic() - began
        finally:
            scorer.close()

    results, waited = asyncio.run(go())
    assert all(isinstance(r, WorkerTimeout) for r in results), results
    assert waited < 60  # 2 s each, and the new worker's start; not 2 + 120 s


def test_closing_ends_a_stuck_call_and_starts_no_workers_after() -> None:
    """close() killed the worker of a stuck call; the call, made again, started a new pool
    after the close, whose worker, running the same call, held the process's exit."""
    async def go() -> tuple[BaseException | None, bool, float]:
        scorer = started(3600.0)
        await scorer.start()
        stuck = asyncio.ensure_future(scorer.run(time.sleep, 3600))
        await asyncio.sleep(0.5)
        began = time.monotonic()
        scorer.close(grace=1.0)
        failed = (await asyncio.gather(stuck, return_exceptions=True))[0]
        return failed if isinstance(failed, BaseException) else None, scorer._pool.started, time.monotonic() - began

    failed, again, waited = asyncio.run(go())
    assert isinstance(failed, PoolClosed), failed
    assert not again
    assert waited < 30


def test_a_batch_waiting_when_the_scorer_closes_fails_its_polls_instead_of_hanging() -> None:
    """close() cancelled the calls not started, and their batches' polls got CancelledError,
    which the batch's handler (for Exception) let pass: the polls' futures were never set."""
    async def go() -> BaseException | None:
        scorer = started(3600.0)
        await scorer.start()
        stuck = asyncio.ensure_future(scorer.run(time.sleep, 3600))
        await asyncio.sleep(0.3)
        waiting = asyncio.ensure_future(scorer.score(["Russian strikes on Idlib"]))
        await asyncio.sleep(0.3)
        scorer.close(grace=0.5)
        done = await asyncio.wait_for(asyncio.gather(waiting, stuck, return_exceptions=True), 30)
        return done[0] if isinstance(done[0], BaseException) else None

    failed = asyncio.run(go())
    assert isinstance(failed, PoolClosed), failed


def test_a_page_whose_extraction_is_ended_is_kept_as_thin_and_its_site_rests(feed_server) -> None:
    """A page the extractor loops on (here: a worker call that never ends in its place) was
    an error: not cached, so each copy of the item in another feed stalled the worker for
    the deadline again. It is now thin (cached as such by the article stage: read no more),
    and its site's other pages wait `host_rest`."""
    from monitor.ingest import article
    from monitor.ingest.fetch import FetchLimits, make_session
    from tests.articles import ON_TOPIC
    from tests.test_articles import page_html

    feed_server.set("/loop", page_html(*ON_TOPIC[0]), content_type="text/html")
    limits = FetchLimits(1.0, 2.0, 1_000_000, 3, 4, "monitor/test")
    gate = article.HostGate()

    async def go() -> article.Page:
        scorer = started(60.0)
        try:
            await scorer.start()
            scorer._pool.deadline = 2.0

            async def looping(fn: object, *args: object) -> object:  # the extractor's call, stuck
                return await scorer.run(time.sleep, 3600)

            async with make_session(limits, allow_private=True) as session:
                return await article.read_page(session, feed_server.url("/loop"), limits, gate,
                                               article.ArticleConfig(mode="always"), looping)
        finally:
            scorer.close()

    page = asyncio.run(go())
    assert page.outcome == "thin" and "more than 2 s" in (page.error or ""), page
    assert gate.resting("127.0.0.1")


def test_a_stuck_call_another_caller_finds_late_fails_once_and_the_others_are_scored() -> None:
    """The caller that found a stuck call late killed the pool; the stuck call's own caller
    took that for a death and made it again (stalling the worker a second deadline), and the
    other caller, killed twice as a bystander, failed its polls."""
    async def go() -> list[BaseException | None]:
        scorer = started(60.0)
        try:
            await scorer.start()
            scorer._pool.deadline = 2.0

            async def after(delay: float, seconds: float) -> None:
                await asyncio.sleep(delay)
                await scorer.run(time.sleep, seconds)

            done = await asyncio.gather(after(0, 1.0), after(0.05, 3600), after(0.5, 0.1), return_exceptions=True)
            return [r if isinstance(r, BaseException) else None for r in done]
        finally:
            scorer.close()

    first, stuck, other = asyncio.run(go())
    assert first is None and other is None, (first, other)
    assert isinstance(stuck, WorkerTimeout), stuck


def test_a_stuck_call_no_one_waits_on_is_ended_by_the_next_call() -> None:
    """With two workers, a stuck call whose caller was cancelled was never ended: the other
    worker answered every later call before its caller looked at the clock, so half the
    workers were gone for good while health said OK."""
    async def go() -> tuple[list[int], list[int]]:
        scorer = started(60.0, workers=2)
        try:
            await scorer.start()
            scorer._pool.deadline = 1.0
            before = scorer._pool.pids()
            stuck = asyncio.ensure_future(scorer.run(time.sleep, 3600))
            await asyncio.sleep(0.3)
            stuck.cancel()
            for _ in range(12):
                await scorer.run(os.getpid)
                await asyncio.sleep(0.25)
            return before, scorer._pool.pids()
        finally:
            scorer.close()

    before, after = asyncio.run(go())
    assert len(before) == 2 and not set(before) & set(after)  # the stuck worker's pool was ended


def test_a_scoring_worker_stuck_in_a_call_is_ended_and_the_calls_behind_it_are_scored() -> None:
    """A worker that hangs rather than dies (a page that loops the extractor) held every
    later batch: polls waited on it for ever. Past the deadline its call fails, and the
    batch queued behind it is scored by a new worker; the scorer goes on working."""
    async def go() -> tuple[BaseException | None, list[int], float]:
        scorer = started()
        try:
            await scorer.start()  # the worker's start and the model's load at the full deadline
            scorer._pool.deadline = 3.0
            began = time.monotonic()
            stuck = asyncio.ensure_future(scorer.run(time.sleep, 3600))
            await asyncio.sleep(0.2)  # the stuck call runs; the batch waits behind it
            behind = await scorer.score(["Erdogan and Putin discuss Idlib"])
            failed = (await asyncio.gather(stuck, return_exceptions=True))[0]
            waited = time.monotonic() - began
            after = [len(await scorer.score(["Russian strikes on Idlib"])) for _ in range(2)]
            return failed if isinstance(failed, BaseException) else None, [len(behind), *after], waited
        finally:
            scorer.close()

    failed, scored, waited = asyncio.run(go())
    assert isinstance(failed, WorkerTimeout) and "more than 3 s" in str(failed)
    assert scored == [1, 1, 1]
    assert waited < 60  # not the stuck call's hour


def test_closing_the_scorer_does_not_wait_for_a_worker_stuck_in_a_call() -> None:
    """close() waited for every worker's call to end: a stuck one held the service's stop
    for ever (until the service manager's SIGKILL)."""
    async def go() -> BatchScorer:
        scorer = started(3600)
        await scorer.start()
        stuck = asyncio.ensure_future(scorer.run(time.sleep, 3600))
        await asyncio.sleep(0.5)
        stuck.cancel()  # as a stop cancels its polls
        return scorer

    scorer = asyncio.run(go())
    pids = scorer._pool.pids()
    began = time.monotonic()
    scorer.close(grace=1.0)
    assert time.monotonic() - began < 30
    assert not any(os.path.exists(f"/proc/{pid}") and "Z" not in open(f"/proc/{pid}/stat").read().split()[2]
                   for pid in pids)


def test_a_call_for_each_worker_reaches_every_worker_while_one_is_busy() -> None:
    """A pool cannot be told which worker takes a call: without the workers' barrier the
    idle one took both calls while the other was busy, and the busy one never ran it."""
    async def go() -> tuple[list[int], list[int]]:
        scorer = started(workers=2)
        try:
            await scorer.start()
            busy = asyncio.ensure_future(scorer.run(time.sleep, 1.0))
            await asyncio.sleep(0.2)
            answered = await scorer._pool.call_each(os.getpid)
            await busy
            return answered, scorer._pool.pids()
        finally:
            scorer.close()

    answered, pids = asyncio.run(go())
    assert sorted(answered) == sorted(pids) and len(set(pids)) == 2



def one_dies(directory: str) -> int:
    """In a worker: the second to come dies mid-call (an OOM kill as a reload's model loads);
    the others answer their pid."""
    try:
        os.close(os.open(f"{directory}/first", os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        try:
            os.close(os.open(f"{directory}/second", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return os.getpid()
        time.sleep(0.3)
        os._exit(3)
    return os.getpid()


def test_a_worker_dying_in_a_call_for_each_ends_the_others_waiting_at_the_barrier(tmp_path: Path) -> None:
    """The worker that had answered waited at the barrier for the one that died, for ever: its
    model held, and the service's exit held (the executor's thread joins its workers, which
    ignore the SIGTERM it sends; the reviewer's process had not exited 30 s later)."""
    async def go() -> tuple[list[int], list[int], list[int]]:
        pool = started(workers=2)._pool
        try:
            await pool.call(os.getpid)
            old = pool.pids()
            answered = await pool.call_each(one_dies, str(tmp_path))
            return old, answered, pool.pids()
        finally:
            pool.close()

    old, answered, new = asyncio.run(go())
    assert sorted(answered) == sorted(new) and not set(old) & set(new)
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() for pid in old) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in old), "an old worker still waits at the barrier"
