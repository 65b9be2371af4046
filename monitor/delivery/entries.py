"""The outbox stream's entries as a sender holds them (outbox.py): one taken for sending,
and the decoding of an entry, which a newer version may have written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor import codec
from monitor.items import Alert, Digest, Queued


@dataclass(frozen=True)
class Delivery:
    """One alert or digest taken from the outbox by this sender."""

    entry_id: bytes
    queued: Queued

    @property
    def alert(self) -> Alert | Digest:
        return self.queued.alert

    @property
    def attempts(self) -> int:
        return self.queued.attempts


def decoded(entries: list[Any]) -> tuple[list[Delivery], list[tuple[bytes, bytes, str]]]:
    """The entries that decode, and (id, payload, why) of those that do not."""
    out, unreadable = [], []
    for entry_id, fields in entries:
        if fields and b"alert" in fields:  # a deleted entry shows as (id, None) in XPENDING reads
            try:
                out.append(Delivery(entry_id, codec.decode_queued(fields[b"alert"])))
            except ValueError as exc:
                unreadable.append((entry_id, fields[b"alert"], str(exc)))
    return out, unreadable


def readable_or_none(raw: codec.Raw) -> Queued | None:
    try:
        return codec.decode_queued(raw)
    except ValueError:  # written by another version (see Outbox._readable)
        return None
