"""The zero-setup channel: `console://`, an apprise custom notification.

It prints each alert to standard output and appends it as one JSON line to a file
(`?jsonl=PATH`, by default `<data_dir>/alerts.jsonl`). Being an apprise plugin, it goes
through the same send, retry and acknowledgement path as email or chat.
"""

from __future__ import annotations

import json
import sys
import time
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from apprise.decorators import notify

from monitor import codec
from monitor.items import Queued

SCHEMA = "console"
JSONL_FILE = "alerts.jsonl"

# The alert being sent, so that the JSON line carries its fields (as stored in the outbox,
# retry bookkeeping included) and not only the text.
current_alert: ContextVar[Queued | None] = ContextVar("current_alert", default=None)


@notify(on=SCHEMA, name="Console and JSON lines")
def console(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    print(f"{title}\n{body}\n", file=sys.stdout, flush=True)
    path = meta.get("qsd", {}).get("jsonl")
    if path:
        record = {"time": time.time(), "title": title, "body": body, "type": str(notify_type)}
        queued = current_alert.get()
        if queued is not None:
            record["alert"] = codec.queued_fields(queued)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return True


def with_defaults(url: str, data_dir: Path) -> str:
    """A `console://` URL gains `jsonl=<data_dir>/alerts.jsonl` unless it names a file."""
    parts = urlsplit(url)
    if parts.scheme != SCHEMA:
        return url
    query = dict(parse_qsl(parts.query))
    if "jsonl" not in query:
        query["jsonl"] = str(data_dir / JSONL_FILE)
    elif query["jsonl"] and not Path(query["jsonl"]).is_absolute():
        query["jsonl"] = str(data_dir / query["jsonl"])
    # Not urlunsplit: it drops the "//" of a URL without a host, which apprise then rejects.
    return f"{SCHEMA}://{parts.netloc}{parts.path}?{urlencode(query)}"
