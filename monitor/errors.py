"""Every error the monitor raises on purpose, in one tree.

    MonitorError
    ├── SettingsError      settings.toml is missing, unreadable or invalid   (exit 2)
    ├── InputError         a file or argument given on the command line is bad (exit 2)
    ├── ModelError         the model file is missing, unsafe, or lacks a topic (exit 1)
    ├── StoreError         Redis cannot be reached or answered with an error   (exit 1)
    └── ParseError         one feed's body is not a feed (never fatal)

Only the command line (monitor/cli/main.py) turns these into exit codes and one-line
messages; the stages raise them with a message that already names the file, feed, key or
channel. A failed fetch or send is not an error raised: it is a result (`FetchResult` with
outcome "error", `notify` returning False): the poll backs off, the sender retries.
"""

from __future__ import annotations

import json


class MonitorError(Exception):
    """Base of every error the monitor raises on purpose."""

    exit_code = 1


class SettingsError(MonitorError):
    """Invalid settings; the message is `settings.toml: <key path>: <reason>`."""

    exit_code = 2


class InputError(MonitorError):
    """A bad file or argument on the command line."""

    exit_code = 2


class ModelError(MonitorError):
    """The model cannot be loaded or does not cover the configured topics."""


class StoreError(MonitorError):
    """Redis is unreachable or failed a command."""


class ParseError(MonitorError):
    """A feed body could not be parsed as RSS, Atom or JSON Feed."""


class WorkerTimeout(MonitorError):
    """A call ran in a scoring worker for longer than the deadline: the workers were ended
    (model/pool.py)."""


SHOWN_CHARS = 60  # of a value quoted in an error: enough to recognise it, one line whatever it holds


def shown(value: object) -> str:
    """A value as an error quotes it: its repr, a long string cut with its length said (a
    5,000-character duration made a 5,000-character line of `monitor check`)."""
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS]!r}… ({len(value):,} characters)"
    return repr(value)


def shown_json(value: object) -> str:
    """A value of a JSON file as an error quotes it: in JSON, as the file writes it
    (true, null, "text"), cut past SHOWN_CHARS with its length said."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (RecursionError, ValueError):  # nested past what json writes back
        return "a value nested too deeply"
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}… ({len(text):,} characters)"
