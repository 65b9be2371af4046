"""A tiny sd_notify client: readiness, stopping and watchdog pings for a Type=notify unit.

The protocol is one datagram of `KEY=VALUE` lines to the AF_UNIX socket named by
$NOTIFY_SOCKET (a path, or an abstract socket when it starts with '@'). Outside systemd
the variable is unset and every call is a cheap no-op returning False, so the service can
call these unconditionally. No dependency: the protocol is ten lines of `socket`.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(message: str) -> bool:
    """Send `message` to the service manager; True when it was delivered."""
    address = _address(os.environ.get("NOTIFY_SOCKET", ""))
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as exc:
        # Never fatal: a lost notification at worst makes systemd restart us, which is
        # exactly what the watchdog is for; crashing the service here would be worse.
        log.warning("sd_notify %r failed: %s", message.split("\n", 1)[0], exc)
        return False
    return True


def ready() -> bool:
    """Tell systemd start-up is complete (Type=notify leaves 'activating' on this)."""
    return notify("READY=1")


def stopping() -> bool:
    """Tell systemd a clean shutdown has begun (so a slow stop is not mistaken for a hang)."""
    return notify("STOPPING=1")


def reloading() -> bool:
    """Tell systemd a settings reload has begun; send ready() when it is done."""
    return notify("RELOADING=1")


def watchdog_ping() -> bool:
    """Prove liveness; call at half of watchdog_interval() while healthy."""
    return notify("WATCHDOG=1")


def watchdog_interval() -> float | None:
    """Seconds within which systemd expects a ping, or None when no watchdog applies to us.

    $WATCHDOG_PID, when set, names the process the watchdog is meant for: a child that
    inherited the environment (e.g. a forked worker) must not ping on its parent's behalf.
    """
    pid = os.environ.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 1_000_000 if usec > 0 else None


def _address(value: str) -> str | bytes | None:
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode("utf-8")  # Linux abstract namespace
    if value.startswith("/"):
        return value
    return None  # sd_notify only accepts absolute paths or abstract names
