"""The zero-setup channel: `console://`, an apprise custom notification.

It prints each alert to standard output and appends it as one JSON line to a file
(`?jsonl=PATH`, by default `<data_dir>/alerts.jsonl`). Being an apprise plugin, it goes
through the same send, retry and acknowledgement path as email or chat.

The line is written first and the alert printed only once it is: a write that fails (a
full disk) fails the send with its cause ("alerts.jsonl: No space left on device", logged
through apprise so the sender records it) and prints nothing, so the retries that follow
print the alert once, when it is written. A partly written line is cut off again, so a
retry never appends to half a record.

The file is rotated at a size, as logrotate would (alerts.jsonl -> .1 -> .2 ..., the
oldest dropped), so a service that runs for months holds a bounded amount of it:
`?rotate=10MB&keep=5` (JSONL_MAX_BYTES and JSONL_KEEP when not given; checked when the
settings are read, `rotation`). Renames only: a line is in one file or another, never lost
or copied.

Each file has its own lock (by its resolved path), so a channel whose file is slow holds up
only the channels writing that file. A FIFO, a socket or anything else that is neither a
regular file nor a device (/dev/null, /dev/full) fails the send at once, "not a regular
file": opening a FIFO no one reads blocked the sending thread, and with one lock for all
files, every console channel behind it.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import stat
import sys
import threading
import time
import weakref
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from apprise.decorators import notify

from monitor import codec, defaults
from monitor.errors import shown
from monitor.items import Queued

SCHEMA = "console"
JSONL_FILE = "alerts.jsonl"
_UNITS = {"": 1, "b": 1, "k": 1_000, "kb": 1_000, "m": 1_000_000, "mb": 1_000_000,
          "g": 1_000_000_000, "gb": 1_000_000_000}
_SIZE = re.compile(r"(\d+)\s*([kmg]?b?)", re.IGNORECASE)
_SMALLEST = 1_000  # a smaller file would rotate at every alert or two
_MOST_KEPT = 1_000

# The alert being sent, so that the JSON line carries its fields (as stored in the outbox,
# retry bookkeeping included) and not only the text.
current_alert: ContextVar[Queued | None] = ContextVar("current_alert", default=None)


@notify(on=SCHEMA, name="Console and JSON lines")
def console(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    query = meta.get("qsd", {})
    path = query.get("jsonl")
    if path:
        record = {"time": time.time(), "title": title, "body": body, "type": str(notify_type)}
        queued = current_alert.get()
        if queued is not None:
            record["alert"] = codec.queued_fields(queued)
        try:
            append_line(Path(path), json.dumps(record, ensure_ascii=False), *rotation(query))
        except (OSError, ValueError) as exc:
            # apprise's logger: the warning is kept with the send's result, as its reason
            logging.getLogger("apprise").warning("%s: %s", path, getattr(exc, "strerror", None) or exc)
            return False
    print(f"{title}\n{body}\n", file=sys.stdout, flush=True)
    return True


def rotation(query: dict[str, str]) -> tuple[int, int]:
    """(size at which the file rotates, generations kept) from a console:// URL's query
    (`rotate=10MB`, `keep=5`); ValueError, saying which and why, for a value that is not one."""
    size, keep = defaults.JSONL_MAX_BYTES, defaults.JSONL_KEEP
    if "rotate" in query:
        match = _SIZE.fullmatch(query["rotate"].strip())
        if not match:
            raise ValueError(f"rotate={shown(query['rotate'])}: not a size (write it as 10MB, 500KB or bytes)")
        size = int(match.group(1)) * _UNITS[match.group(2).lower()]
        if size < _SMALLEST:
            raise ValueError(f"rotate={shown(query['rotate'])}: below {_SMALLEST} bytes, "
                             "the file would rotate at every alert")
    if "keep" in query:
        text = query["keep"].strip()
        if not text.isdecimal() or int(text) > _MOST_KEPT:
            raise ValueError(f"keep={shown(query['keep'])}: not a number of files from 0 to {_MOST_KEPT}")
        keep = int(text)
    return size, keep


def check(url: str) -> None:
    """ValueError for a console:// URL whose `rotate` or `keep` is not one (rotation), read
    with its keys in lower case as apprise hands them to `console`; other URLs pass."""
    parts = urlsplit(url)
    if parts.scheme == SCHEMA:
        rotation(_query(parts.query))


# Per resolved path: one rotation, and no append in its midst. Weak: a lock lives while a
# send holds it, so the files of channels a reload removed leave nothing behind.
_LOCKS: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
_LOCKS_LOCK = threading.Lock()  # senders run in threads; held only to find a file's lock


def append_line(target: Path, line: str, max_bytes: int | None = None, keep: int | None = None) -> None:
    """Append one line with one write; on failure cut the file back to where it was. A file
    that has reached `max_bytes` (JSONL_MAX_BYTES) is rotated first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    data = (line + "\n").encode("utf-8")
    with _lock_for(target):
        try:
            _rotate_if_full(target, defaults.JSONL_MAX_BYTES if max_bytes is None else max_bytes,
                            defaults.JSONL_KEEP if keep is None else keep)
        except OSError as exc:  # the alert still goes into the file it would have ended
            logging.getLogger(__name__).warning("%s: not rotated: %s", target, exc.strerror or exc)
        _append(target, data)


def _lock_for(target: Path) -> threading.Lock:
    """The one lock of the file `target` names, however it is spelt, while any thread holds it."""
    key = os.path.realpath(target)
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(key, threading.Lock())


def _rotate_if_full(target: Path, max_bytes: int, keep: int) -> None:
    """alerts.jsonl -> alerts.jsonl.1, .1 -> .2 ..., the oldest (.keep) dropped. Only a
    regular file is rotated (not a device such as /dev/null that `jsonl` may name)."""
    try:
        if not target.is_file() or target.stat().st_size < max_bytes:
            return
    except OSError:
        return
    for n in range(keep - 1, 0, -1):
        older = target.with_name(f"{target.name}.{n}")
        if older.exists():
            os.replace(older, target.with_name(f"{target.name}.{n + 1}"))
    if keep > 0:
        os.replace(target, target.with_name(f"{target.name}.1"))
    else:
        target.unlink()


def _append(target: Path, data: bytes) -> None:
    try:
        _check_kind(os.stat(target).st_mode)
    except FileNotFoundError:
        pass
    # O_NONBLOCK: a FIFO made after the check, with no reader, fails (ENXIO) instead of
    # blocking the open forever
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)
    try:
        _check_kind(os.fstat(fd).st_mode)
        os.set_blocking(fd, True)  # a device is written whole, as a file is
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # a short write: the disk filled up meanwhile
        except OSError:
            _truncate(fd, start)
            raise
    finally:
        os.close(fd)


def _check_kind(mode: int) -> None:
    """ValueError unless a regular file or a device: a FIFO or a socket can block a write
    for as long as its reader pleases."""
    if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):
        raise ValueError("not a regular file")


def _truncate(fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
    except OSError:  # a device such as /dev/full cannot be truncated, and holds nothing
        pass


def _query(text: str) -> dict[str, str]:
    """A console:// URL's query as apprise hands it to `console`: keys in lower case, a
    blank value kept (`jsonl=`: no file)."""
    return {k.lower(): v for k, v in parse_qsl(text, keep_blank_values=True)}


def with_defaults(url: str, data_dir: Path) -> str:
    """A `console://` URL gains `jsonl=<data_dir>/alerts.jsonl` unless it names a file
    (`jsonl=` names none: the alerts are printed only). Its keys are read in lower case,
    as apprise reads them, so `JSONL=x.jsonl` is that file and not a second one."""
    parts = urlsplit(url)
    if parts.scheme != SCHEMA:
        return url
    query = _query(parts.query)
    if "jsonl" not in query:
        query["jsonl"] = str(data_dir / JSONL_FILE)
    elif query["jsonl"] and not Path(query["jsonl"]).is_absolute():
        query["jsonl"] = str(data_dir / query["jsonl"])
    # Not urlunsplit: it drops the "//" of a URL without a host, which apprise then rejects.
    return f"{SCHEMA}://{parts.netloc}{parts.path}?{urlencode(query)}"
