"""The service's soft limit of open files, raised at `monitor run`'s start (limits.OPEN_FILES).

systemd starts a service with a soft limit of 1,024 open files and a hard one of 524,288:
the soft one is kept low for programs that watch descriptors with select(), which cannot
see one past 1,023, and a program that does not is meant to raise its own up to the hard
limit, as Go's runtime and many servers do. The monitor's sockets are bounded (`concurrency`
in use and IDLE_CONNECTIONS idle a session: ingest/pool.py), but `concurrency` may be
1,000, beside Redis, the model, the scoring workers' pipes and the health endpoint's
clients. Its event loop uses epoll; apprise's IRC and Nostr plugins use select(), but a
descriptor past 1,023 only exists where the limit of 1,024 would have refused it anyway.
"""

from __future__ import annotations

import logging
import resource

from monitor import limits

log = logging.getLogger("monitor")


def raise_soft_limit(target: int = limits.OPEN_FILES) -> tuple[int, int] | None:
    """Raise the soft RLIMIT_NOFILE to `target`, or to the hard limit if lower; the soft
    limit before and after, or None when it is already that high (or cannot be raised:
    logged)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = target if hard == resource.RLIM_INFINITY else min(target, hard)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return None
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (OSError, ValueError) as exc:  # a sandbox that forbids it: the limit stays
        log.warning("open files: could not raise the soft limit from %d to %d: %s", soft, wanted, exc)
        return None
    log.info("open files: soft limit raised from %d to %d (hard limit %s)", soft, wanted,
             "unlimited" if hard == resource.RLIM_INFINITY else hard)
    return soft, wanted
