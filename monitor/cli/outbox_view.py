"""`monitor outbox`: every alert that waits, as a table (or `--json`), and `retry`, which
sends the dead letters again."""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from typing import Any

from monitor import codec, spans, urls
from monitor.cli import table
from monitor.cli.main import load
from monitor.delivery import waiting
from monitor.delivery.loops import longest_wait
from monitor.delivery.outbox import Outbox
from monitor.items import Alert

TITLE_SHOWN = 50  # characters of a headline in the table
WHY_SHOWN = 80  # characters of the reason (a failed send's can be long)


def cmd_outbox(args: argparse.Namespace) -> int:
    from monitor import wiring

    loaded = load(args)
    store = wiring.store(loaded)
    if args.action == "retry":
        print(f"moved {Outbox(store.redis, store.keys, 'cli').resend_dead()} dead letter(s) back to the outbox")
        return 0
    policies = {name: wiring.channel_policy(c) for name, c in loaded.settings.channels.items()}
    now = time.time()
    rows, counts = waiting.read(store.redis, store.keys, policies, now, longest_wait(wiring.retry_policy(loaded)))
    if args.json:
        print(json.dumps({"counts": counts, "alerts": [record(w) for w in rows]}, indent=2, ensure_ascii=False))
        return 0
    print("outbox: " + ", ".join(f"{state} {counts[state]}" for state in waiting.STATES))
    if rows:
        print("\n".join(table.render(("state", "channel", "id", "topic", "score", "goes", "title", "why"),
                                     [_row(w, now) for w in rows], right=(4,))))
    if counts["dead"]:
        print("resend the dead letters with `monitor outbox retry`")
    return 0


def record(w: waiting.Waiting) -> dict[str, Any]:
    """One waiting alert as `--json` gives it: the stored record, its state and when it goes
    (`due` as stored; `stamped_ahead`: a clock since set back stamped it, it goes now)."""
    data = {"state": w.state, "channel": w.channel, "due": w.due, "stamped_ahead": w.stamped_ahead,
            "why": urls.mask_text(w.why), **codec.queued_fields(w.queued)}
    if data.get("last_error"):  # a failure's text may quote a URL with its credentials
        data["last_error"] = urls.mask_text(data["last_error"])
    return data


def _row(w: waiting.Waiting, now: float) -> tuple[str, ...]:
    alert = w.queued.alert
    score = f"{alert.score:.2f}" if isinstance(alert, Alert) else ""
    title = waiting.title_of(w.queued)
    title = title if len(title) <= TITLE_SHOWN else title[:TITLE_SHOWN - 1] + "…"
    why = urls.mask_text(w.why)  # a failure's text may quote a URL with its credentials
    why = why if len(why) <= WHY_SHOWN else why[:WHY_SHOWN - 1] + "…"  # --json has it whole
    return (w.state, w.channel, alert.id, waiting.topic_of(w.queued), score, goes(w, now), title, why)


def goes(w: waiting.Waiting, now: float) -> str:
    """When a waiting alert will be sent, as the operator reads it."""
    if w.state == "dead":
        return "never"
    if w.state == "sending":
        return "being sent"
    if w.stamped_ahead:
        return "now (clock set back)"
    if w.due is None:
        return "now" if w.state == "queued" else "not within 8 days"
    at = datetime.fromtimestamp(w.due, tz=UTC).strftime("%H:%M UTC")
    return "now" if w.due <= now else f"in {spans.span(w.due - now)} ({at})"
