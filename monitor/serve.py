"""`monitor run`'s process around the Service (service.py): start-up, signal handlers,
the orderly stop, and an exit that does not wait on a send blocked on its channel."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading

from monitor import __version__, alert_feed, connection, metrics, open_files, systemd, wiring
from monitor.malloc import freeze_startup
from monitor.runtime import Runtime
from monitor.service import Service, show_info
from monitor.settings import Loaded
from monitor.stopping import end_within

log = logging.getLogger("monitor")
# Seconds from SIGTERM to the end of the orderly stop. systemd (TimeoutStopSec) and compose
# (stop_grace_period) kill at 15; with Redis frozen every step would wait out its socket
# timeout (10 s each: 19 s measured), so each step gets what is left of this budget.
STOP_WITHIN = 12.0


async def serve(loaded: Loaded) -> int:
    """Poll on schedule and send until SIGTERM/SIGINT; 0 on a clean stop."""
    open_files.raise_soft_limit()  # before Redis, feeds or workers open any (open_files.py)
    rt = wiring.runtime(loaded)  # connects before anything runs on the loop: it blocks nothing
    service = Service(loaded, rt, wiring.sender(loaded, rt))
    _install_signals(service)
    http = None
    deadline: float | None = None  # loop time the stop must be done by, once it has begun
    async with rt:
        freeze_startup()  # malloc.py: full collections then walk only what polls make
        try:
            await service.prune()
            await service.sync_schedule()
            service.dispatcher = asyncio.create_task(service.dispatch())
            show_info(rt, loaded)
            if loaded.settings.monitor.http:
                http = await metrics.start_http(loaded.settings.monitor.http, rt.metrics,
                                                service.unhealthy, service.refresh_metrics,
                                                alert_feed.routes(rt, lambda: list(service.loaded.settings.topics)))
            tasks = [asyncio.create_task(c) for c in
                     (service.sender.run(service.stop), service.watch(), service.watchdog(),
                      service.embedded_guard())]
            systemd.ready()
            log.info("monitor %s running: %d feeds, %d topics, model %s", __version__,
                     len(service.feeds), len(rt.config.rules), rt.classifier.version)
            await service.stop.wait()
            log.info("stopping")
            systemd.stopping()
            deadline = asyncio.get_running_loop().time() + STOP_WITHIN
            await end_within(_left(deadline), [service.dispatcher])
            await service.finish_polls(_left(deadline))
            await end_within(_left(deadline), tasks)
        finally:
            if http is not None:
                await http.cleanup()
            service.probe.close()
            await _save(rt, _left(deadline))
            if not await rt.io.close(within=_left(deadline)):
                log.warning("stop: Redis did not answer within %.0f s of the signal", STOP_WITHIN)
    log.info("stopped")
    return service.exit_code


def _install_signals(service: Service) -> None:
    loop = asyncio.get_running_loop()

    def stop(signum: int) -> None:
        if service.stop.is_set():  # a second signal: stop at once
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            os._exit(1)
        log.info("received %s", signal.Signals(signum).name)
        service.stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum)
    loop.add_signal_handler(signal.SIGHUP, service.reload.set)


def _left(deadline: float | None) -> float | None:
    """Seconds left before `deadline` (loop time), never below zero; None: no bound (a
    start-up that failed before any stop began)."""
    return None if deadline is None else max(0.0, deadline - asyncio.get_running_loop().time())


async def _save(rt: Runtime, within: float | None) -> None:
    """Ask Redis for a snapshot, so the embedded server restarts from a fresh one too."""
    try:
        await asyncio.wait_for(rt.io(rt.store.redis.bgsave), within)
    except Exception as exc:  # best effort: the append-only file already has the state
        log.debug("bgsave: %r", exc)


def exit_past_stuck_sends(code: int) -> None:
    """After a clean stop, exit now even when a send is still blocked on its channel:
    Python would wait for its thread (apprise's own pool: 80 s for an SMTP server that
    answers a line every 12 s, past systemd's 15 s). Unrecorded, that alert is sent again
    at the next start, as after a crash."""
    # A send's own thread is a daemon, but the pool apprise starts in it is joined at exit.
    stuck = [t for t in threading.enumerate()
             if t is not threading.main_thread() and (not t.daemon or t.name == "monitor-send")]
    if not stuck:
        return
    # Named, so that a warning after a stop says what was waiting (the kill harness saw one
    # after a SIGTERM that nothing explained).
    log.warning("exiting while %d thread(s) still wait on a channel or Redis (%s); "
                "an alert whose send was not yet recorded is sent again at the next start",
                len(stuck), ", ".join(sorted(t.name for t in stuck)))
    connection.stop_embedded()  # as main's finally would have
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
