"""Bounded Redis on a real server: the seen-set's size and exactness, capped dead letters
and labels, batched resends, and an outbox that keeps only undelivered alerts."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from monitor import codec, defaults, seen
from monitor.delivery.outbox import Outbox
from monitor.items import Queued
from monitor.keys import Keys
from monitor.model import labels
from monitor.store import Claim, Store
from tests.test_delivery import alert


def _bucket_bytes(client, keys: Keys) -> int:
    return sum(int(client.memory_usage(k, samples=0)) for k in client.scan_iter(keys.seen_buckets + "*", count=1000))


@pytest.mark.slow  # 20,000 claims and 40,000 lookups: ~2.5 s
def test_seen_set_is_exact_and_costs_at_most_40_bytes_an_item(redis_client) -> None:
    store = Store(redis_client, Keys("t:"))
    ids = [f"https://news.example.org/story/{n}" for n in range(20_000)]
    for at in range(0, len(ids), 500):
        assert store.claim_many([Claim(i, {"id": i}) for i in ids[at:at + 500]], defaults.SEEN_TTL, 10) == [True] * 500
    assert store.unseen(ids) == [False] * len(ids)
    others = [f"https://news.example.org/other/{n}" for n in range(20_000)]
    assert store.unseen(others) == [True] * len(others)
    assert store.claim_many([Claim(ids[7], {"id": "again"})], defaults.SEEN_TTL, 10) == [False]
    per_item = _bucket_bytes(redis_client, store.keys) / len(ids)
    assert per_item <= 40, f"{per_item:.1f} B per seen item"  # a key per item: ~165 B


def test_a_record_matches_only_on_its_own_boundary(redis_client) -> None:
    store, keys = Store(redis_client, Keys("t:")), Keys("t:")
    shard, rec = seen.record("misaligned")
    today = seen.today(time.time())
    redis_client.set(f"{keys.seen_buckets}{today}:{shard}", b"\x00" * 4 + rec + b"\x00" * 4)
    assert store.unseen(["misaligned"]) == [True]  # the bytes straddle two records
    redis_client.set(f"{keys.seen_buckets}{today}:{shard}", b"\x00" * 8 + rec)
    assert store.unseen(["misaligned"]) == [False]


def test_seen_window_and_ids_claimed_before_the_seen_set(redis_client) -> None:
    store, keys = Store(redis_client, Keys("t:")), Keys("t:")
    redis_client.set(keys.seen("old-layout"), 1, ex=60)  # written by an earlier version: still seen
    assert store.unseen(["old-layout", "new"]) == [False, True]
    assert store.claim_many([Claim("old-layout", {"id": "o"})], 60, 10) == [False]
    shard, rec = seen.record("long-ago")
    first, _ = seen.days(time.time(), 3 * defaults.DAY)
    redis_client.set(f"{keys.seen_buckets}{first - 1}:{shard}", rec)  # a day before the window
    assert store.unseen(["long-ago"], 3 * defaults.DAY) == [True]
    assert store.unseen(["long-ago"], 5 * defaults.DAY) == [False]


def test_a_claim_rechecks_only_the_days_since_its_items_were_found_unseen(redis_client) -> None:
    store, keys = Store(redis_client, Keys("t:")), Keys("t:")
    now = time.time()
    ttl = 30 * defaults.DAY
    assert store.unseen(["raced", "old"], ttl) == [True, True]
    # Another worker claims "raced" after this one's check: the claim's own check sees it.
    assert store.claim_many([Claim("raced", {"id": "r"})], ttl, 10, checked_at=now) == [True]
    assert store.claim_many([Claim("raced", {"id": "r"})], ttl, 10, checked_at=now) == [False]
    # A record three days old was the lookup's to find; the claim reads today and tomorrow
    # (and the day before, within CLOCK_SKEW of midnight), not the window's 32 days.
    shard, rec = seen.record("old")
    today = seen.today(now)
    redis_client.set(f"{keys.seen_buckets}{today - 3}:{shard}", rec)
    assert seen.claim_days(now, ttl, now)[0] >= today - 1
    assert store.claim_many([Claim("old", {"id": "o"})], ttl, 10, checked_at=now) == [True]
    assert store.claim_many([Claim("old", {"id": "o"})], ttl, 10) == [False]  # the window, without checked_at


def test_dead_letters_are_capped_and_resent_in_batches(redis_client, caplog) -> None:
    outbox = Outbox(redis_client, Keys(), "w1", dead_max=5)
    outbox.ensure_group()
    for n in range(8):
        outbox.enqueue(alert(n))
    assert [outbox.bury(delivery, "boom") for delivery in outbox.take(10)] == [0] * 5 + [1] * 3
    assert caplog.text.count("more than [alerts] dead_max = 5; the oldest 1 dropped") == 3  # never silently
    assert outbox.depth()["dead"] == 5
    assert [q.alert.id for q in outbox.dead_letters(limit=2)] == [alert(3).id, alert(4).id]  # oldest kept first
    assert outbox.resend_dead(batch=2) == 5
    assert outbox.depth() == {"queued": 5, "sending": 0, "retry": 0, "dead": 0}
    assert all(d.attempts == 0 for d in outbox.take(10))


def test_outbox_trim_keeps_every_undelivered_alert_and_no_delivered_one(redis_client) -> None:
    outbox = Outbox(redis_client, Keys(), "w1")
    outbox.ensure_group()
    for n in range(6):
        outbox.enqueue(alert(n))
    taken = outbox.take(4)  # 0..3 taken: 0 and 1 end without their XDEL (a crash between)
    for delivery in taken[:2]:
        redis_client.xack(Keys().outbox, "senders", delivery.entry_id)
    assert outbox.trim_delivered() == 2
    assert redis_client.xlen(Keys().outbox) == 4  # 2 pending, 2 never read
    assert [d.alert.id for d in outbox.take(4, own_pending=True)] == [alert(2).id, alert(3).id]
    assert [d.alert.id for d in outbox.take(4)] == [alert(4).id, alert(5).id]
    assert outbox.trim_delivered() == 0


def test_labels_are_capped_oldest_first(redis_client) -> None:
    keys = Keys()
    for n in range(5):
        redis_client.set(keys.alert(alert(n).id), codec.compress(codec.encode_alert(replace(alert(n), text="x" * 500))))
        labels.record(redis_client, keys, alert(n).id, "relevant", keep=3)
    kept = labels.all_labels(redis_client, keys)
    assert sorted(label.id for label in kept) == [alert(n).id for n in (2, 3, 4)]
    assert kept[0].text == "x" * 500  # read back from the compressed alert
    assert redis_client.zcard(keys.labels_order) == 3


def test_a_compressed_alert_is_a_third_of_its_json_or_less(redis_client) -> None:
    text = " ".join(f"Officials in Ankara said on day {n} that talks with Moscow went on." for n in range(60))
    payload = codec.encode_queued(Queued(replace(alert(1), text=text[:defaults.TEXT_KEPT])))
    assert len(codec.compress(payload)) * 3 <= len(payload)
    assert codec.decode_alert(codec.compress(payload)).text == text[:defaults.TEXT_KEPT]
