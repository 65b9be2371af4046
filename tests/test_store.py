"""The Redis store on a real server: atomic claims, leases, scripts surviving SCRIPT FLUSH."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from monitor import codec, seen
from monitor.items import Alert, Recent
from monitor.keys import Keys
from monitor.store import Claim, Store


def test_claim_many_marks_once_and_survives_a_script_flush(redis_client) -> None:
    store = Store(redis_client, Keys("t:"))
    claims = [Claim("a", {"id": "a"}, (("s1", '{"x": 1}'),)), Claim("b", {"id": "b"})]
    assert store.claim_many(claims, 60, 100) == [True, True]
    redis_client.script_flush()  # as after a Redis restart: the scripts are unknown again
    assert store.claim_many(claims + [Claim("c", {"id": "c"})], 60, 100) == [False, False, True]
    assert redis_client.xlen("t:outbox") == 1 and redis_client.xlen("t:recent") == 3
    assert store.unseen(["a", "b", "c", "d"]) == [False, False, False, True]
    [bucket] = redis_client.keys("t:sb:*:" + seen.record("a")[0])  # a's day and shard
    assert 0 < redis_client.ttl(bucket) <= 86400 + 60 + 1  # the rest of the day, then the ttl


def test_lease_is_exclusive_reentrant_and_released_by_its_owner(redis_client) -> None:
    store = Store(redis_client, Keys("t:"))
    store.update_feed("f", {"etag": '"v1"', "last_status": "ok"})
    redis_client.script_flush()
    state = store.lease_and_state("f", "w1", 10)
    assert state is not None and state.etag == '"v1"'
    assert store.lease_and_state("f", "w2", 10) is None
    assert store.lease_and_state("f", "w1", 10) is not None  # its own lease, e.g. after Redis came back
    store.release_lease("f", "w2")  # not its lease: nothing happens
    assert store.lease_and_state("f", "w2", 10) is None
    store.release_lease("f", "w1")
    assert store.lease_and_state("f", "w2", 10) is not None


def test_saving_a_feed_sets_clears_counts_and_releases_only_its_own_lease(redis_client) -> None:
    store = Store(redis_client, Keys("t:"))
    store.update_feed("g", {"etag": '"v1"', "last_error": "timeout", "errors": 2}, {"alerts": 3})
    assert store.lease_and_state("g", "w1", 10) is not None
    redis_client.script_flush()  # the script is loaded again when Redis has forgotten it
    store.update_feed("g", {"etag": '"v2"', "last_error": None, "errors": 0},
                      {"alerts": 2, "new_items": 0}, release="w2")  # w2 does not hold it
    state = store.feed_state("g")
    assert (state.etag, state.last_error, state.errors, state.alerts, state.new_items) == ('"v2"', None, 0, 5, 0)
    assert redis_client.hget("t:feed:g", "new_items") is None  # adding 0 writes nothing
    assert store.lease_and_state("g", "w2", 10) is None  # still w1's
    store.update_feed("g", {"items": 4}, release="w1")
    assert store.lease_and_state("g", "w2", 10) is not None and store.feed_state("g").items == 4


def test_a_claim_keeps_its_recent_record_and_alerts_compressed_and_reads_them_back(redis_client) -> None:
    store = Store(redis_client, Keys("t:"))
    record = Recent(id="i1", source="feed", title="Talks in Sochi", url="https://news.example.org/1",
                    published=datetime(2026, 3, 1, 6, 30, tzinfo=UTC), story=None, seen_at=1772346600.123,
                    scores={"t1": 0.8123, "t2": 0.0, "t3": 0.0}, terms={"t1": ("sochi", "talks"), "t2": (), "t3": ()},
                    language="en")
    alert = Alert(id="3f2a9c1d", channel="hook", topic="t1", topic_title="T1", score=0.8123, threshold=0.5,
                  terms=("sochi",), item_id="i1", source="feed", title="Talks in Sochi", url=record.url,
                  published=record.published, text="Turkish and Russian officials met in Sochi. " * 20)
    payload = codec.encode_alert(alert)
    assert store.claim_many([Claim("i1", codec.recent_fields(record), (("3f2a9c1d", payload),))], 60, 100) == [True]
    [(_, stored)] = redis_client.xrange("t:recent")
    [(_, queued)] = redis_client.xrange("t:outbox")
    # Zero scores and empty term lists are left out: read back as 0 and none.
    assert store.recent(1) == [replace(record, scores={"t1": 0.8123}, terms={"t1": ("sochi", "talks")})]
    assert len(stored[b"item"]) < 0.6 * len(codec.encode_recent(record).encode())  # 48 % on the bench's
    assert codec.decode_alert(queued[b"alert"]) == alert
    assert queued[b"alert"][:1] == b"x" and len(queued[b"alert"]) * 3 < len(payload)  # zlib
