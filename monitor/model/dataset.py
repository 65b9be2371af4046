"""Labelled JSON lines read for training and evaluation: each line checked, every error
one line naming its file and line (a bad byte, a bad field, a topic too rare to train).

    {"text": "...", "topics": ["turkey_russia_syria"], "only": [...], "kind": "...", "lang": "tr"}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from monitor.errors import InputError


@dataclass(frozen=True)
class Dataset:
    texts: list[str]
    labels: list[frozenset[str]]
    groups: list[str]  # documents made from the same fragments share a group
    calibrate: np.ndarray  # bool per document: its held-out margin fits the calibration
    topics: tuple[str, ...]
    digest: str  # sha256 of the input files, in the order given
    only: list[frozenset[str] | None]  # per document: the topics its line speaks for (None: all)
    langs: list[str | None]  # per document: its `lang` (None: the reference language, English)
    places: list[str]  # per document: its file:line, for errors


def read_data(paths: list[Path]) -> Dataset:
    """Read JSON-lines training files; a bad line is an InputError naming file and line."""
    texts: list[str] = []
    labels: list[frozenset[str]] = []
    groups: list[str] = []
    calibrate: list[bool] = []
    only: list[frozenset[str] | None] = []
    langs: list[str | None] = []
    places: list[str] = []
    digest = hashlib.sha256()
    for path in paths:
        try:
            raw = read_file(Path(path))
        except OSError as exc:
            raise InputError(f"{path}: cannot read training data: {exc.strerror or exc}") from exc
        digest.update(raw)
        for n, line in enumerate(text_lines(raw, path), 1):
            if line.strip():
                places.append(f"{path}:{n}")
                row = parse_row(line, places[-1])
                texts.append(row["text"])
                labels.append(frozenset(row["topics"]))
                groups.append(group_of(row, places[-1]))
                calibrate.append(row.get("calibrate") is not False)
                only.append(frozenset(row["only"]) if "only" in row else None)
                langs.append(row["lang"] if row.get("lang") not in (None, "en") else None)
    topics = tuple(sorted(set().union(*labels))) if labels else ()
    if not topics:
        raise InputError(f"{', '.join(map(str, paths))}: no labelled positives to train on")
    return Dataset(texts, labels, groups, np.array(calibrate), topics, digest.hexdigest(), only, langs,
                   places)


def read_file(path: Path) -> bytes:
    """A regular file's bytes; OSError for anything else (`--with /dev/zero` read without
    end, a FIFO waited for a writer)."""
    if path.exists() and not path.is_file() and not path.is_dir():
        raise OSError("not a regular file")
    return path.read_bytes()


def read_input_file(path: Path) -> bytes:
    """`read_file`, or an InputError naming the file when it cannot be read."""
    try:
        return read_file(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def text_lines(raw: bytes, path: Path) -> list[str]:
    """A file's lines; a byte that is not UTF-8 is an InputError naming its line."""
    try:  # on newlines alone: U+2028 inside a JSON string is not a line's end (splitlines cut it)
        return raw.decode("utf-8").split("\n")
    except UnicodeDecodeError as exc:
        # the bytes before the bad one decode: their line count is the bad byte's line
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text (byte {exc.start} of the file)") from None


def check_positives(data: Dataset, folds: int) -> None:
    """Refuse a topic with fewer positives than folds, naming the first line that names it:
    cross-validation would hold out a fold without one (sklearn fails on it), and a topic
    so rare is most often a misspelt name ("iran-nuclear"), silently a topic of its own."""
    named = set(data.topics).union(*(o for o in data.only if o))
    lines = list(zip(data.places, data.labels, data.only, strict=True))
    for topic in sorted(named):
        n = sum(topic in labels and (o is None or topic in o) for _, labels, o in lines)
        if n < folds:
            where = next(p for p, labels, o in lines if topic in labels or topic in (o or ()))
            others = ", ".join(sorted(named - {topic})) or "none"
            raise InputError(f"{where}: topic {topic!r} has {n} positive document(s), fewer than the "
                             f"{folds} cross-validation folds: give a new topic more, or fix a misspelt "
                             f"name (other topics: {others})")


def group_of(row: dict[str, Any], where: str) -> str:
    """The optional `kind` of a line: generated documents of one story kind share
    sentences, so cross-validation keeps a kind within one fold (else it measures
    memory of sentences, not generalisation). Lines without one are their own group."""
    kind = row.get("kind")
    return f"kind:{kind}" if isinstance(kind, str) else f"line:{where}"


def json_line(line: str, where: str) -> Any:
    """One line of a JSON-lines file, decoded; not JSON is an InputError naming `where`
    (the file and line), also for what json refuses otherwise."""
    try:
        return json.loads(line)
    except RecursionError:  # "[[[[..." : json recurses once per bracket
        raise InputError(f"{where}: not JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise InputError(f"{where}: not JSON: {getattr(exc, 'msg', exc)}") from None


def parse_row(line: str, where: str) -> dict[str, Any]:
    """One line as its JSON object, its `text` and `topics` checked; the optional fields
    (kind, calibrate, only, lang) are read by whoever needs them, from the one parse
    (shared with evaluation)."""
    row = json_line(line, where)
    if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not _names(row.get("topics")):
        raise InputError(f'{where}: expected {{"text": str, "topics": [str, ...]}}')
    # a string `only` would be read as a set of its letters, a number or dict fail later
    if "only" in row and not _names(row["only"]):
        raise InputError(f'{where}: "only" must be a list of topic names, like ["iran_nuclear"]')
    if row.get("lang") is not None and not isinstance(row["lang"], str):
        raise InputError(f'{where}: "lang" must be a language code, like "tr"')
    return cast(dict[str, Any], row)


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


