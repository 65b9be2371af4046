"""Settings errors as the operator reads them: every problem, one line each, naming the
file and key, with a "did you mean" for a misspelt key.

pydantic reports a misspelt required key twice (the misspelling is unknown, the real key
is missing); the two are shown as one line naming both. A quoted number or boolean gets
plain wording instead of pydantic's ("Input should be a valid number").
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor.errors import shown

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # TOML's bare keys
MAX_SHOWN = 10  # errors listed at most; a file that wrong needs reading, not a longer list
TYPE_WORDS = {"float_type": "a number", "int_type": "a whole number", "bool_type": "true or false"}


class KeyProblem(ValueError):
    """A cross-field error that knows its own key path (relative to the table that raised it)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path, self.reason = path, reason


def describe(exc: ValidationError, label: str, root: type[BaseModel]) -> str:
    """Every error of `exc`, one line each, misspellings folded into their missing key."""
    errors = exc.errors()
    unknown = [tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
    lines: list[str] = []
    folded: set[tuple[Any, ...]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "missing" and _misspelt(loc, unknown):
            continue  # told with the misspelling
        if error["type"] == "extra_forbidden":
            line = _unknown(loc, root, errors)
        else:
            line = _message(error)
        if (loc, line) not in folded:
            folded.add((loc, line))
            lines.append(f"{label}: {line}")
    more = len(lines) - MAX_SHOWN
    return "\n".join(lines[:MAX_SHOWN] + ([f"{label}: … and {more} more"] if more > 0 else []))


def _message(error: Any) -> str:
    cause = (error.get("ctx") or {}).get("error")
    path = key_path(error["loc"])
    if isinstance(cause, KeyProblem):
        return f"{cause.path if not error['loc'] else path + '.' + cause.path}: {cause.reason}"
    if error["type"] == "missing":
        return f"{path}: required key is missing"
    if error["type"] in TYPE_WORDS and isinstance(error.get("input"), str):
        hint = " (write it without quotes)" if _unquoted(error["input"]) else ""
        return f"{path}: must be {TYPE_WORDS[error['type']]}, not the string {shown(error['input'])}{hint}"
    return f"{path}: {error['msg'].removeprefix('Value error, ')}"


def _unquoted(text: str) -> bool:
    """Whether a string would be a valid number or boolean without its quotes."""
    if text.strip() in ("true", "false"):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _misspelt(missing: tuple[Any, ...], unknown: Sequence[tuple[Any, ...]]) -> bool:
    """Whether an unknown key beside a missing one is its misspelling."""
    return any(u[:-1] == missing[:-1] and _close(str(u[-1]), [str(missing[-1])]) for u in unknown)


def _unknown(loc: tuple[Any, ...], root: type[BaseModel], errors: Sequence[Any]) -> str:
    path = key_path(loc)
    known = fields_at(root, loc[:-1])
    guess = _close(str(loc[-1]), known)
    if not guess:
        return f"{path}: unknown key"
    missing = any(e["type"] == "missing" and tuple(e["loc"]) == (*loc[:-1], guess) for e in errors)
    return f"{path}: unknown key; did you mean {guess!r}?" + (" (it is required)" if missing else "")


def _close(word: str, candidates: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return found[0] if found else None


def fields_at(root: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys the table at `loc` accepts (empty when `loc` is not a table)."""
    kind: Any = root
    for part in loc:
        kind = _inner(kind, part)
        if kind is None:
            return []
    while not (isinstance(kind, type) and issubclass(kind, BaseModel)):  # a dict or list of tables
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if not args:
            return []
        kind = args[-1]
    return list(kind.model_fields)


def _inner(kind: Any, part: Any) -> Any:
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        field = kind.model_fields.get(str(part))
        return field.annotation if field else None
    origin = typing.get_origin(kind)
    if origin in (list, tuple, dict) or isinstance(kind, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        return args[-1] if args else None
    return None


def key_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        elif not (str(part).startswith(("function-", "lax-", "strict-")) or "[" in str(part)):
            # skip pydantic's validator and union branch labels; a key of other characters
            # than a name's quoted, as TOML writes it (a newline in it broke the error's line)
            parts.append(str(part) if _BARE_KEY.fullmatch(str(part)) else json.dumps(str(part)))
    return ".".join(parts) or "(top level)"


def where(path: Path) -> str:
    """Where a relative settings path was looked for, and how to name another."""
    if path.is_absolute():
        return ""
    return f" in {Path.cwd()} (give --settings PATH or set MONITOR_SETTINGS)"
