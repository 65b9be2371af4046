"""Every JSON shape stored in Redis, encoded and decoded in one place.

    shape             where in Redis (keys.py)                       written by        read by
    alert, digest     outbox stream, retry set, dead letters,        claim, outbox     sender, labels,
      (Queued)        a channel's digest list, alert:<id>                              cli
    recent record     recent stream                                  claim             cli
    near-dup source   a story's list                                 the near-dup Lua  near-dup index, cli
    label             labels hash                                    labels            labels, cli

Values are the frozen dataclasses of items.py; dates are datetimes there and ISO 8601 text
only here. Each `encode_x` has its `decode_x`, and `decode_x(encode_x(v)) == v`. Decoding
ignores fields it does not know and reads the optional ones with the defaults they had
when they were added, so whatever an earlier version stored still decodes. A shape that
cannot be read raises ValueError.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar, cast

from monitor.items import (
    ALERT_KINDS,
    Alert,
    AlertKind,
    Basis,
    Digest,
    Label,
    Queued,
    Recent,
    Source,
    SurgeFacts,
    SurgeStory,
)

T = TypeVar("T")
Raw = str | bytes


def text(raw: Raw) -> str:
    """A Redis reply's string (a name, a stream id): bytes decoded as UTF-8."""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw

# -- alerts and digests ----------------------------------------------------------------


def alert_fields(alert: Alert) -> dict[str, Any]:
    """An alert as a JSON object, in its fields' order."""
    return {
        "id": alert.id, "channel": alert.channel, "topic": alert.topic, "topic_title": alert.topic_title,
        "score": alert.score, "threshold": alert.threshold, "terms": list(alert.terms),
        "item_id": alert.item_id, "source": alert.source, "title": alert.title, "url": alert.url,
        "published": alert.published.isoformat(), "text": alert.text, "kind": alert.kind,
        "story": alert.story,
        # Only when judged on the page: alerts judged on their feed text read as before.
        **({"judged_on": alert.judged_on} if alert.judged_on != "feed" else {}),
        **_language_field(alert.language),
        **({"surge": _surge_fields(alert.surge)} if alert.surge is not None else {}),
        **({"sources": [source_fields(s) for s in alert.sources]} if alert.sources else {}),
    }


def alert_from_fields(data: Mapping[str, Any]) -> Alert:
    return _reading("alert", lambda: Alert(
        id=str(data["id"]), channel=str(data["channel"]), topic=str(data["topic"]),
        topic_title=str(data["topic_title"]), score=float(data["score"]),
        threshold=float(data["threshold"]), terms=tuple(str(t) for t in data["terms"]),
        item_id=str(data["item_id"]), source=str(data["source"]), title=str(data["title"]),
        url=str(data["url"]), published=datetime.fromisoformat(data["published"]),
        text=str(data.get("text", "")), kind=_kind(data.get("kind", "alert")),
        story=str(data.get("story") or ""), judged_on=_basis(data.get("judged_on", "feed")),
        language=_language(data.get("language")),  # absent from alerts stored before
        surge=_surge(data["surge"]) if data.get("surge") is not None else None,
        sources=tuple(source_from_fields(s) for s in data.get("sources") or ()),
    ))


def _surge_fields(facts: SurgeFacts) -> dict[str, Any]:
    return {"window": facts.window, "stories": facts.stories, "sources": facts.sources,
            "expected": facts.expected, "p_value": facts.p_value,
            "top": [{"title": s.title, "url": s.url, "sources": list(s.sources)} for s in facts.top]}


def _surge(data: Mapping[str, Any]) -> SurgeFacts:
    return SurgeFacts(
        window=float(data["window"]), stories=int(data["stories"]), sources=int(data["sources"]),
        expected=float(data["expected"]), p_value=float(data["p_value"]),
        top=tuple(SurgeStory(str(s["title"]), str(s["url"]), tuple(str(n) for n in s["sources"]))
                  for s in data["top"]))


def digest_fields(digest: Digest) -> dict[str, Any]:
    return {"kind": digest.kind, "channel": digest.channel, "id": digest.id,
            "alerts": [alert_fields(a) for a in digest.alerts]}


def digest_from_fields(data: Mapping[str, Any]) -> Digest:
    alerts = tuple(alert_from_fields(a) for a in _reading("digest", lambda: data["alerts"]))
    return _reading("digest", lambda: Digest(id=str(data["id"]), channel=str(data["channel"]), alerts=alerts))


def queued_fields(queued: Queued) -> dict[str, Any]:
    """An alert or digest with its retry bookkeeping, which appears once a send failed
    (and stays, with attempts 0, on a dead letter sent again)."""
    alert = queued.alert
    data = digest_fields(alert) if isinstance(alert, Digest) else alert_fields(alert)
    if queued.attempts or queued.last_error:
        data["attempts"] = queued.attempts
        data["last_error"] = queued.last_error
    return data


def queued_from_fields(data: Mapping[str, Any]) -> Queued:
    alert = digest_from_fields(data) if data.get("kind") == Digest.kind else alert_from_fields(data)
    return Queued(alert, int(data.get("attempts", 0)), str(data.get("last_error") or ""))


def encode_queued(queued: Queued) -> str:
    return _dumps(queued_fields(queued))


def decode_queued(raw: Raw) -> Queued:
    return queued_from_fields(_object(raw, "alert"))


def encode_alert(alert: Alert) -> str:
    """A fresh alert: what the claim enqueues and keeps under alert:<id>."""
    return encode_queued(Queued(alert))


def decode_alert(raw: Raw) -> Alert:
    """An alert (any retry bookkeeping it carries is dropped)."""
    alert = decode_queued(raw).alert
    if not isinstance(alert, Alert):
        raise ValueError("expected an alert, got a digest")
    return alert


# -- recent records ----------------------------------------------------------------------


def recent_fields(record: Recent) -> dict[str, Any]:
    return {
        "id": record.id, "source": record.source, "title": record.title, "url": record.url,
        "published": record.published.isoformat(), "story": record.story, "seen_at": record.seen_at,
        "scores": dict(record.scores), "terms": {t: list(terms) for t, terms in record.terms.items()},
        **_language_field(record.language),
    }


def recent_from_fields(data: Mapping[str, Any]) -> Recent:
    return _reading("recent record", lambda: Recent(
        id=str(data["id"]), source=str(data["source"]), title=str(data["title"]), url=str(data["url"]),
        published=datetime.fromisoformat(data["published"]), story=_optional_str(data.get("story")),
        seen_at=float(data.get("seen_at", 0.0)),
        scores={str(t): float(s) for t, s in data["scores"].items()},
        terms={str(t): tuple(str(w) for w in ws) for t, ws in data.get("terms", {}).items()},
        language=_language(data.get("language")),  # absent from records stored before
    ))


def encode_recent(record: Recent) -> str:
    return _dumps(recent_fields(record))


def stored_recent(fields: Mapping[str, Any]) -> bytes:
    """A recent record (`recent_fields`) as the recent stream keeps it, in half its JSON's
    bytes: zero scores, empty term lists and a null story are left out (read back as 0, no
    terms and None: readers take a topic's score with `.get(topic, 0)`), compact JSON, zlib."""
    data = {k: _nonzero(v) if k in ("scores", "terms") else v for k, v in fields.items()
            if not (k == "story" and v is None)}
    return compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def _nonzero(by_topic: Mapping[str, Any]) -> dict[str, Any]:
    return {topic: value for topic, value in by_topic.items() if value}


def decode_recent(raw: Raw) -> Recent:
    return recent_from_fields(_object(raw, "recent record"))


# -- near-duplicate story sources ------------------------------------------------------------
# Short names: the Lua in dedup/script.py reads "s" (the outlet) and stores every entry of
# a story's list as given, so this format is shared with it.


def source_fields(source: Source) -> dict[str, str]:
    return {"i": source.item_id, "s": source.source, "u": source.url,
            "t": source.published.isoformat(), "l": source.language}


def source_from_fields(data: Mapping[str, Any]) -> Source:
    return _reading("story source", lambda: Source(
        str(data["i"]), str(data["s"]), str(data["u"]), datetime.fromisoformat(data["t"]),
        str(data.get("l") or "und")))


def encode_source(source: Source) -> str:
    """Compact (no spaces): one is kept per story's first item in the near-dup index."""
    return json.dumps(source_fields(source), ensure_ascii=False, separators=(",", ":"))


def decode_source(raw: Raw) -> Source:
    return source_from_fields(_object(raw, "story source"))


# -- labels ----------------------------------------------------------------------------------


def encode_label(label: Label) -> str:
    return _dumps({"id": label.id, "topic": label.topic, "relevant": label.relevant, "time": label.time,
                   "title": label.title, "text": label.text, "score": label.score})


def decode_label(raw: Raw) -> Label:
    data = _object(raw, "label")
    return _reading("label", lambda: Label(
        id=str(data["id"]), topic=str(data["topic"]), relevant=bool(data["relevant"]),
        time=float(data["time"]), title=str(data.get("title", "")), text=str(data.get("text", "")),
        score=None if data.get("score") is None else float(data["score"]),
    ))


# -- helpers -------------------------------------------------------------------------------


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


def compress(text: str) -> bytes:
    """A shape kept long or in numbers (alert:<id>, recent records, alerts waiting in the
    outbox), zlib-compressed: a third to a half of its JSON's size on news text. Every
    decoder reads both forms.

    memLevel 5, not zlib's default 8: the default's 128 KB hash table cost ~30 µs to set up
    per call, more than compressing a 1-2 KB record, and on the 754 FA-KES articles (up to
    4,000 characters) the output is as small to the byte."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 15, 5)  # level 6, zlib format ("x..."), memLevel 5
    return packer.compress(text.encode("utf-8")) + packer.flush()


def _object(raw: Raw, what: str) -> Mapping[str, Any]:
    if isinstance(raw, bytes) and raw[:1] == b"x":  # zlib's header; JSON starts with "{"
        try:
            raw = zlib.decompress(raw)
        except zlib.error as exc:
            raise ValueError(f"{what}: not zlib: {exc}") from None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{what}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return cast(Mapping[str, Any], data)


def _reading(what: str, build: Callable[[], T]) -> T:
    """Build a value from decoded JSON; a missing field or a wrong type is a ValueError."""
    try:
        return build()
    except KeyError as exc:
        raise ValueError(f"{what}: missing field {exc}") from None
    except (TypeError, AttributeError) as exc:
        raise ValueError(f"{what}: {exc}") from None


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _language_field(language: str) -> dict[str, str]:
    """Only when detected: health alerts and what was stored before read as they did."""
    return {"language": language} if language != "und" else {}


def _language(value: object) -> str:
    """A stored language code; "und" when absent (stored before languages were detected)."""
    return "und" if value is None else str(value)


def _basis(value: object) -> Basis:
    if value == "page":
        return "page"
    if value == "feed":
        return "feed"
    raise ValueError(f"alert: unknown judged_on {value!r}")


def _kind(value: object) -> AlertKind:
    for kind in ALERT_KINDS:
        if value == kind:
            return kind
    raise ValueError(f"alert: unknown kind {value!r}")
