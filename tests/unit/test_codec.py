"""The codec of every JSON shape in Redis: round trips, the stored field names, and JSON
written by the previous version (dict alerts) still decoding."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import codec
from monitor.items import ALERT_KINDS, Alert, Digest, Label, Queued, Recent, Source

QUICK = settings(database=None, deadline=None)  # no example files written, no timing under load

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(-timedelta(hours=5, minutes=30))])
WHEN = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=ZONES)
TEXT = st.text(max_size=40)
SCORE = st.floats(min_value=0, max_value=1, allow_nan=False)
WORDS = st.lists(st.text(min_size=1, max_size=12), max_size=5).map(tuple)

ALERTS = st.builds(
    Alert, id=TEXT, channel=TEXT, topic=TEXT, topic_title=TEXT, score=SCORE, threshold=SCORE, terms=WORDS,
    item_id=TEXT, source=TEXT, title=TEXT, url=TEXT, published=WHEN, text=TEXT,
    kind=st.sampled_from(ALERT_KINDS), story=TEXT,
)
DIGESTS = st.builds(Digest, id=TEXT, channel=TEXT, alerts=st.lists(ALERTS, max_size=4).map(tuple))
QUEUED = st.builds(Queued, alert=ALERTS | DIGESTS, attempts=st.integers(0, 50), last_error=TEXT)
RECENTS = st.builds(
    Recent, id=TEXT, source=TEXT, title=TEXT, url=TEXT, published=WHEN, story=st.none() | TEXT,
    seen_at=st.floats(min_value=0, max_value=4e9, allow_nan=False),
    scores=st.dictionaries(TEXT, SCORE, max_size=4), terms=st.dictionaries(TEXT, WORDS, max_size=4),
)
SOURCES = st.builds(Source, item_id=TEXT, source=TEXT, url=TEXT, published=WHEN)
LABELS = st.builds(Label, id=TEXT, topic=TEXT, relevant=st.booleans(),
                   time=st.floats(min_value=0, max_value=4e9, allow_nan=False), title=TEXT, text=TEXT,
                   score=st.none() | SCORE)

ALERT = Alert(
    id="3f2a9c1d", channel="hook", topic="t1", topic_title="T1", score=0.8123, threshold=0.5,
    terms=("erdogan", "idlib"), item_id="item1", source="feed", title="Şam'da görüşme",
    url="https://news.example.org/1", published=datetime(2026, 3, 1, 6, 30, tzinfo=UTC), text="Body text.",
    story="s1",
)
ERROR = "channel 'hook': send failed (alert 3f2a9c1d)"
# Written by the previous version (alerts.to_json, then retry_later and resend_dead).
OLD_FIELDS = ('"id": "3f2a9c1d", "channel": "hook", "topic": "t1", "topic_title": "T1", "score": 0.8123, '
              '"threshold": 0.5, "terms": ["erdogan", "idlib"], "item_id": "item1", "source": "feed", '
              '"title": "\\u015eam\'da g\\u00f6r\\u00fc\\u015fme", "url": "https://news.example.org/1", '
              '"published": "2026-03-01T06:30:00+00:00", "text": "Body text.", "kind": "alert", "story": "s1"')
OLD_RETRIED = "{" + OLD_FIELDS + ', "attempts": 2, "last_error": "' + ERROR + '"}'
OLD_RESENT = "{" + OLD_FIELDS + ', "attempts": 0, "last_error": "' + ERROR + '"}'
OLD_DIGEST = ('{"kind": "digest", "channel": "hook", "id": "d0d0d0d0", "alerts": ['
              + OLD_RETRIED + ", {" + OLD_FIELDS + "}]}")
OLD_RECENT = ('{"id": "guid-1", "source": "feed", "title": "\\u015eam\'da g\\u00f6r\\u00fc\\u015fme", '
              '"url": "https://news.example.org/1", "published": "2026-03-01T06:30:00+00:00", "story": "story1", '
              '"seen_at": 1772346600.123, "scores": {"t1": 0.8123, "t2": 0.1}, '
              '"terms": {"t1": ["erdogan", "idlib"], "t2": []}}')


# -- round trips ---------------------------------------------------------------------------


@QUICK
@given(ALERTS)
def test_alert_round_trip(alert: Alert) -> None:
    assert codec.decode_alert(codec.encode_alert(alert)) == alert
    assert codec.alert_from_fields(codec.alert_fields(alert)) == alert


@QUICK
@given(QUEUED)
def test_queued_alert_or_digest_round_trip_with_retry_bookkeeping(queued: Queued) -> None:
    raw = codec.encode_queued(queued)
    assert codec.decode_queued(raw) == queued
    assert codec.decode_queued(raw.encode()) == queued  # as redis-py returns it


@QUICK
@given(RECENTS)
def test_recent_record_round_trip(record: Recent) -> None:
    assert codec.decode_recent(codec.encode_recent(record)) == record
    assert codec.recent_from_fields(json.loads(json.dumps(codec.recent_fields(record)))) == record


@QUICK
@given(SOURCES)
def test_story_source_round_trip(source: Source) -> None:
    assert codec.decode_source(codec.encode_source(source)) == source


@QUICK
@given(LABELS)
def test_label_round_trip(label: Label) -> None:
    assert codec.decode_label(codec.encode_label(label)) == label


def test_published_keeps_its_instant_and_offset() -> None:
    when = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=3)))
    decoded = codec.decode_alert(codec.encode_alert(Alert(**{**_plain(ALERT), "published": when})))
    assert decoded.published == when and decoded.published.utcoffset() == timedelta(hours=3)


# -- the stored format -----------------------------------------------------------------------


def test_alert_fields_keep_their_names_and_order() -> None:
    data = json.loads(codec.encode_alert(ALERT))
    assert list(data) == ["id", "channel", "topic", "topic_title", "score", "threshold", "terms", "item_id",
                          "source", "title", "url", "published", "text", "kind", "story"]
    assert data["published"] == "2026-03-01T06:30:00+00:00" and data["terms"] == ["erdogan", "idlib"]
    assert data == json.loads("{" + OLD_FIELDS + "}")


def test_retry_bookkeeping_appears_once_a_send_failed() -> None:
    assert "attempts" not in json.loads(codec.encode_queued(Queued(ALERT)))
    assert json.loads(codec.encode_queued(Queued(ALERT, 2, ERROR))) == json.loads(OLD_RETRIED)
    assert json.loads(codec.encode_queued(Queued(ALERT, 0, ERROR))) == json.loads(OLD_RESENT)


def test_digest_fields() -> None:
    data = json.loads(codec.encode_queued(Queued(Digest("d0d0d0d0", "hook", (ALERT,)), attempts=1, last_error="x")))
    assert (data["kind"], data["channel"], data["id"], data["attempts"], data["last_error"]) == (
        "digest", "hook", "d0d0d0d0", 1, "x")
    assert data["alerts"] == [json.loads("{" + OLD_FIELDS + "}")]


def test_story_source_keeps_the_short_names_the_lua_reads() -> None:
    source = Source("item1", "feed", "https://news.example.org/1", datetime(2026, 3, 1, tzinfo=UTC))
    assert json.loads(codec.encode_source(source)) == {
        "i": "item1", "s": "feed", "u": "https://news.example.org/1", "t": "2026-03-01T00:00:00+00:00", "l": "und"}


# -- what the previous version stored --------------------------------------------------------


def test_previous_versions_alerts_still_decode() -> None:
    assert codec.decode_alert("{" + OLD_FIELDS + "}") == ALERT
    assert codec.decode_queued(OLD_RETRIED) == Queued(ALERT, 2, ERROR)
    assert codec.decode_queued(OLD_RESENT) == Queued(ALERT, 0, ERROR)
    assert codec.decode_alert(OLD_RETRIED) == ALERT  # alert:<id> readers drop the bookkeeping


def test_previous_versions_digest_decodes_dropping_folded_bookkeeping() -> None:
    assert codec.decode_queued(OLD_DIGEST) == Queued(Digest("d0d0d0d0", "hook", (ALERT, ALERT)))


def test_previous_versions_recent_record_decodes() -> None:
    record = codec.decode_recent(OLD_RECENT)
    assert record == Recent(
        id="guid-1", source="feed", title="Şam'da görüşme", url="https://news.example.org/1",
        published=datetime(2026, 3, 1, 6, 30, tzinfo=UTC), story="story1", seen_at=1772346600.123,
        scores={"t1": 0.8123, "t2": 0.1}, terms={"t1": ("erdogan", "idlib"), "t2": ()})
    assert json.loads(codec.encode_recent(record)) == json.loads(OLD_RECENT)


def test_optional_fields_take_their_defaults_and_unknown_ones_are_ignored() -> None:
    data = json.loads("{" + OLD_FIELDS + "}")
    for key in ("text", "kind", "story"):
        del data[key]
    data["added_later"] = [1, 2]
    assert codec.decode_alert(json.dumps(data)) == Alert(**{**_plain(ALERT), "text": "", "story": ""})
    old = json.loads(OLD_RECENT)
    del old["seen_at"], old["terms"]
    old["story"] = None
    record = codec.decode_recent(json.dumps(old))
    assert (record.seen_at, record.terms, record.story) == (0.0, {}, None)


# -- what cannot be read -----------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "message"), [
    ("not json", "alert: not JSON"),
    ("[1, 2]", "expected a JSON object, got list"),
    ('{"id": "x"}', "alert: missing field 'channel'"),
    ("{" + OLD_FIELDS.replace('"kind": "alert"', '"kind": "urgent"') + "}", "unknown kind 'urgent'"),
    ("{" + OLD_FIELDS.replace('"terms": ["erdogan", "idlib"]', '"terms": 3') + "}", "alert: "),
    ('{"kind": "digest", "id": "d", "channel": "hook"}', "digest: missing field 'alerts'"),
])
def test_unreadable_shapes_raise_value_error(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        codec.decode_queued(raw)


def test_decode_alert_refuses_a_digest() -> None:
    with pytest.raises(ValueError, match="got a digest"):
        codec.decode_alert(OLD_DIGEST)


def _plain(alert: Alert) -> dict[str, object]:
    return {name: getattr(alert, name) for name in Alert.__dataclass_fields__}
