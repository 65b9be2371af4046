"""keys.py's families of keys, and tests/key_audit.py checking a real Redis against them: a
real poll, dead letters, a digest waiting and a label leave only bounded keys, and each kind
of unbounded key is reported (the kill harness runs the same audit after its kills)."""

from __future__ import annotations

import asyncio
import inspect

from monitor import settings, wiring
from monitor.key_families import FAMILIES
from monitor.keys import Keys
from monitor.model import labels
from monitor.pipeline import poll_once
from monitor.service import Service
from tests.articles import OFF_TOPIC, ON_TOPIC, rss
from tests.key_audit import audit, longest_ttl


def _built(keys: Keys) -> dict[str, str]:
    """Every key the Keys methods build, by method name (a name or id for each argument)."""
    built = {}
    for name, member in inspect.getmembers(type(keys)):
        if name.startswith("_") or name in ("named", "family_of", "prefix"):
            continue
        if isinstance(member, property):
            built[name] = getattr(keys, name)
        elif callable(member):
            params = list(inspect.signature(member).parameters.values())[1:]
            built[name] = getattr(keys, name)(*(7 if p.annotation in (int, "int") else "x1" for p in params))
    return built


def test_every_key_a_method_builds_is_in_one_family_and_every_family_is_built() -> None:
    keys = Keys("t:")
    built = _built(keys)
    assert len(built) >= 30, sorted(built)
    families = {name: keys.family_of(key) for name, key in built.items()}
    assert all(families.values()), {n: built[n] for n, f in families.items() if f is None}
    current = {f.pattern for f in FAMILIES if f.kind}  # "": an older layout's, built no more
    assert {f.pattern for f in families.values() if f is not None} == current
    assert keys.family_of("t:nd:rec:0123") is not None and keys.family_of("other:feed:a") is None


def test_a_run_leaves_only_bounded_keys_and_each_unbounded_one_is_named(
        feed_server, json_receiver, make_settings, redis_client) -> None:
    feed_server.set("/a.xml", rss([("t1", *ON_TOPIC[0]), ("t2", *ON_TOPIC[1]), ("o1", *OFF_TOPIC[0])]))
    json_receiver.fail_next = 100  # every send fails: with one attempt, each alert is a dead letter
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url, "desk": json_receiver.url})
    path.write_text(path.read_text().replace("[alerts]\n", "[alerts]\nsend_attempts = 1\n", 1)
                    .replace("[channels.desk]\n", '[channels.desk]\nmode = "digest"\ndigest_every = "1h"\n', 1))
    loaded = settings.load(path)

    async def run() -> None:
        async with wiring.runtime(loaded) as rt:
            service = Service(loaded, rt, wiring.sender(loaded, rt))
            assert [r.outcome for r in await poll_once(rt, force=True)] == ["ok"]
            await service.sender.drain()
            assert await service.probe.check() is None  # the /healthz probe: writes its key

    asyncio.run(run())
    keys = Keys()
    short_id = next(k for k in redis_client.scan_iter(keys.alert("*"))).decode().rsplit(":", 1)[1]
    labels.record(redis_client, keys, short_id, "relevant")
    problems, checked = audit(redis_client, loaded.settings)
    assert problems == []
    assert {"dead", "digest:*", "labels", "labels:order", "health:*", "alert:*", "feed:*"} <= set(checked)

    redis_client.set("monitor:stray", "1")
    redis_client.set(keys.alert("noexpiry"), "1")
    redis_client.set(keys.lease("a"), "w", ex=3600)
    redis_client.hset(keys.feed("gone"), "etag", "x")
    redis_client.hset(keys.feed("a"), "listed", "0123456789abcdef" * 1001)
    redis_client.delete(keys.recent)
    redis_client.set(keys.recent, "not a stream")
    redis_client.rpush(keys.neardup_story("big"), *range(60))
    redis_client.expire(keys.neardup_story("big"), 60)
    problems, _ = audit(redis_client, loaded.settings)
    assert sorted(problems) == sorted([
        "monitor:stray: in no family of keys.py",
        f"{keys.alert('noexpiry')}: TTL -1 s, its family's is at most {longest_ttl(loaded.settings)} s",
        f"{keys.lease('a')}: TTL 3600 s, its family's is at most 60 s",
        f"{keys.feed('gone')}: no feed 'gone' in the settings",
        f"{keys.feed('a')}: lists 1001 items, at most 1000",
        f"{keys.recent}: a string, its family recent is a stream",
        f"{keys.neardup_story('big')}: 60 entries, at most 50",
    ])

