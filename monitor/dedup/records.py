"""What the near-duplicate script stores, read from Python: the 6-byte ref naming an item,
the id a new story gets, and a story's first source from its first item's record (the
record's layout is script_terms.py's). The index (index.py) writes through the script."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from monitor import codec
from monitor.dedup import shingles
from monitor.items import Source

if TYPE_CHECKING:
    from monitor.dedup.index import NearDupConfig

REF_BYTES = 6
"""Bytes naming an item in the index: 48 bits, so two items of a 1,000,000-item window
clash once in ~560 windows (they would share a record: the second gets the first's answer)."""


def ref_of(item_id: str) -> bytes:
    return hashlib.sha1(item_id.encode()).digest()[:REF_BYTES]


def story_id_of(ref: bytes, time_slice: int) -> str:
    """A new story's id names its first item and the slice its record is in (so the story
    can be read before it has a list: most stories never get a copy)."""
    return f"{ref.hex()}-{time_slice:x}"


def first_source(value: bytes, story_id: str, now: float, cfg: NearDupConfig) -> Source | None:
    """The story entry of a story's first item from its record (script_terms.py's layout),
    or None when the record is not that story's first item or has left the window."""
    at = cfg.num_perm * shingles.BITS // 8
    at += 3 + 3 * value[at] + 2 * value[at + 1]
    fields = value[at:].split(b"|", 11)
    # an empty story id: the item started the story its ref and slice name (story_id_of)
    if len(fields) < 12 or fields[2].decode() not in ("", story_id) or not fields[11]:
        return None
    if now - float(fields[1]) > cfg.window_seconds:
        return None
    return codec.decode_source(fields[11])
