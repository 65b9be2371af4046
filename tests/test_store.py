"""The Redis store on a real server: atomic claims, leases, scripts surviving SCRIPT FLUSH."""

from __future__ import annotations

from monitor import seen
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
