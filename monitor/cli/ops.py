"""Operator commands of `monitor`: state, checks, channels, feeds, outbox and feedback.

main.py parses arguments and dispatches here; stages are built through wiring.py, imported
by the commands that build one (it loads the model's and the sender's libraries, which
`feeds` and `check` do not need: 0.65 s against 1.2 s for `monitor feeds list`). Each
command returns its exit code.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor import codec, settings, spans, urls
from monitor.cli import table
from monitor.cli.main import known_topic, load
from monitor.connection import EMBEDDED_DB, connect
from monitor.delivery import waiting
from monitor.delivery.outbox import Outbox
from monitor.delivery.values import one_line
from monitor.errors import InputError, MonitorError, SettingsError
from monitor.items import Alert, Queued, Recent, Source
from monitor.store import FeedState, Store

# -- state ------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    from monitor import wiring
    from monitor.ingest import article_stage
    loaded = load(args)
    store = wiring.store(loaded)
    states = store.feed_states([feed.name for feed in loaded.settings.feeds])  # one round trip
    feeds = {feed.name: _feed_row(feed, states[feed.name]) for feed in loaded.settings.feeds}  # URLs masked
    box = Outbox(store.redis, store.keys, "status")
    outbox = box.depth() | {"held": waiting.held_count(store.redis, store.keys, list(loaded.settings.channels))}
    letters = box.dead_letters()
    dead = [_dead_letter(q) for q in letters]
    recent = [r for r in store.recent(500) if r.story]
    sources = sorted(_stories(store, loaded, recent).items(), key=lambda kv: kv[1][0].published, reverse=True)
    titles = {r.story: r.title for r in reversed(recent)}  # the newest record's
    languages = _story_languages(recent)
    stories = [{"story": sid, "title": titles[sid], "languages": languages[sid],
                "sources": [_source_row(s) for s in srcs]} for sid, srcs in sources]
    pages = article_stage.read_counts(store)  # short items and what their pages gave
    from monitor.cli import surge_cmd
    topics = surge_cmd.status_rows(loaded, store.redis, store.keys, time.time())  # rates against usual
    memory = store.memory()
    if args.json:
        print(json.dumps({"feeds": feeds, "outbox": outbox, "dead_letters": dead, "stories": stories,
                          "articles": pages, "topics": topics, "redis": memory}, indent=2, ensure_ascii=False))
        return 0
    rows = [(name, _ago(states[name].last_poll), f["last_status"], f["items"], f["new_items"], f["alerts"],
             f["errors"], f["last_error"] or "") for name, f in feeds.items()]
    print("\n".join(table.render(("feed", "last poll", "status", "items", "new", "alerts", "errors", "last error"),
                                 rows, right=(3, 4, 5, 6))))
    print("outbox: " + ", ".join(f"{k} {v}" for k, v in outbox.items()))
    print(f"redis: used_memory {memory['used_memory'] / 1e6:.1f} MB (peak {memory['used_memory_peak'] / 1e6:.1f} MB), "
          f"{memory['keys']} keys in its database")
    print("pages of short items: " + ", ".join(f"{k} {v}" for k, v in pages.items())
          + " (page, cached: judged on the page; the rest fell back to the feed text)")
    print("\n".join(surge_cmd.status_lines(topics)))
    for sid, srcs in sources[:10]:
        names = sorted({one_line(src.source) for src in srcs})
        print(f"story: {one_line(titles[sid])} [{', '.join(languages[sid])}] "
              f"({len(names)} source(s): {', '.join(names)})")
    for q in letters:
        title = one_line(q.alert.title) if isinstance(q.alert, Alert) else None
        print(f"dead letter {q.alert.id} to {q.alert.channel}: {title} ({q.last_error}); "
              "resend with `monitor outbox retry`")
    return 0


def _feed_row(feed: settings.Feed, state: FeedState) -> dict[str, Any]:
    return {
        "url": urls.masked(feed.url), "enabled": feed.enabled, "last_poll": state.last_poll,
        "last_status": state.last_status,
        "last_error": urls.mask_text(state.last_error) if state.last_error else None,
        "errors": state.errors, "items": state.items, "new_items": state.new_items,
        "alerts": state.alerts,
    }


def _dead_letter(queued: Queued) -> dict[str, Any]:
    """What `status` shows of a dead letter."""
    alert = queued.alert
    return {"id": alert.id, "channel": alert.channel, "kind": alert.kind,
            "title": alert.title if isinstance(alert, Alert) else None,
            "attempts": queued.attempts,  # an exception's text may hold a URL: masked, as feeds' are
            "last_error": urls.mask_text(queued.last_error) if queued.last_error else queued.last_error}


def cmd_recent(args: argparse.Namespace) -> int:
    from monitor import wiring
    loaded = load(args)
    known_topic(loaded, args.topic)
    store = wiring.store(loaded)
    records = store.recent(max(args.n * 5, 100) if args.topic else args.n)
    if args.topic:
        threshold = loaded.settings.topics[args.topic].threshold
        records = [r for r in records if r.scores.get(args.topic, 0) >= threshold][: args.n]
    stories = _stories(store, loaded, records)
    if args.json:
        print(json.dumps([{**codec.recent_fields(r), "story_sources": [_source_row(s) for s in _of(stories, r)]}
                          for r in records], indent=2, ensure_ascii=False))
        return 0
    for r in records:
        best = max(r.scores.items(), key=lambda kv: kv[1], default=("-", 0.0))
        print(f"{r.published:%Y-%m-%dT%H:%M}  {r.language:<3}  {best[0]}={best[1]:.2f}  {one_line(r.source)}: "
              f"{one_line(r.title)}")
        if len(_of(stories, r)) > 1:
            print("    story also from: " + ", ".join(
                f"{one_line(s.source)} {s.url}" for s in _of(stories, r) if s.item_id != r.id))
    return 0


def _story_languages(records: list[Recent]) -> dict[str, list[str]]:
    """The languages of each story's items seen recently (a story's sources keep none)."""
    out: dict[str, set[str]] = {}
    for r in records:
        if r.story:
            out.setdefault(r.story, set()).add(r.language)
    return {story: sorted(langs) for story, langs in out.items()}


def _of(stories: dict[str, tuple[Source, ...]], record: Recent) -> tuple[Source, ...]:
    return stories.get(record.story or "", ())


def _source_row(source: Source) -> dict[str, str]:
    return {"item_id": source.item_id, "source": source.source, "url": source.url,
            "published": source.published.isoformat()}


def _stories(store: Store, loaded: settings.Loaded, records: list[Recent]) -> dict[str, tuple[Source, ...]]:
    """Each story's sources (outlet, link, time), for the records that belong to one."""
    from monitor import wiring
    from monitor.dedup.index import NearDupIndex

    index = NearDupIndex(store.redis, store.keys, wiring.neardup_config(loaded))
    out = {}
    for story_id in {r.story for r in records if r.story}:
        story = index.story(story_id)
        if story is not None:
            out[story_id] = story.sources
    return out


def _ago(ts: float | None) -> str:
    if not ts:
        return "never"
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S") + f" ({time.time() - ts:.0f}s ago)"


# -- checks and channels ----------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from monitor import wiring

    loaded = load(args)
    s = loaded.settings
    print(f"settings: {loaded.path}: ok ({len(s.feeds)} feeds, {len(s.topics)} topics, {len(s.channels)} channels)")
    failures = 0
    try:
        model = wiring.load_classifier(loaded)
        model.require(s.topics)
        print(f"model: {loaded.model_path}: ok (version {model.version}, topics {', '.join(model.topics)})")
    except MonitorError as exc:
        print(f"model: {exc}")
        failures += 1
    failures += not _check_redis(loaded)
    for name in loaded.channel_urls:  # parsed at load; URLs hold secrets, so never printed
        print(f"channel {name}: ok")
    return 1 if failures else 0


def _check_redis(loaded: settings.Loaded) -> bool:
    # redis.db appears at the first save only: a server writing its append-only file, or
    # registered and running, is there too (check said "not created yet" beside a run)
    made = (EMBEDDED_DB, "appendonly.aof", f"{EMBEDDED_DB}.settings")
    if not loaded.redis_url and not any((loaded.data_dir / name).exists() for name in made):
        # Starting the embedded server would create its files: `check` changes nothing.
        print(f"redis: embedded, {loaded.data_dir}: not created yet (the first run starts it)")
        return True
    try:
        connect(loaded.redis_url, loaded.data_dir)
    except MonitorError as exc:
        print(f"redis: {exc}")
        return False
    print("redis: " + ("embedded, " + str(loaded.data_dir) if not loaded.redis_url else "external") + ": ok")
    return True


def cmd_notify_test(args: argparse.Namespace) -> int:
    from monitor import wiring
    from monitor.delivery import alerts, transport
    from monitor.delivery.templates import TemplateFailed

    loaded = load(args)
    names = [args.channel] if args.channel else list(loaded.channel_urls)
    unknown = [n for n in names if n not in loaded.channel_urls]
    if unknown:
        raise InputError(f"{loaded.path}: channels.{unknown[0]}: no such channel") from None
    failed = 0
    configs = wiring.channel_configs(loaded)  # templates compiled once for every channel
    for name in names:
        config = configs[name]
        try:
            outcome = transport.send_now(config.url, config.throttle, config.templates,
                                         alerts.test_alert(name), loaded.data_dir)
        except TemplateFailed as exc:  # e.g. refused by the sandbox: the template is the setting's fault
            raise SettingsError(f"{loaded.path}: channels.{name}.{exc}") from None
        print(f"channel {name}: " + ("sent" if outcome.ok else f"FAILED: {outcome.reason}"))
        failed += not outcome.ok
    return 1 if failed else 0


def cmd_feeds(args: argparse.Namespace) -> int:
    from monitor.cli import editor

    path = settings.load(args.settings).path  # refuse to edit a file that is already invalid
    if args.action in ("import", "export"):

        return opml_command(path, args)
    if args.action == "add":
        editor.add_feed(path, args.name, args.url, args.interval)
        print(f"added feed {args.name}")
    elif args.action == "remove":
        editor.remove_feed(path, args.name)
        print(f"removed feed {args.name}")
    else:
        for feed in editor.list_feeds(path):
            every = f" every {spans.setting(feed['interval'])}" if feed["interval"] else ""
            print(f"{feed['name']:<24} {urls.masked(feed['url'])}{every}{'' if feed['enabled'] else ' (disabled)'}")
    return 0


def opml_command(path: Path, args: argparse.Namespace) -> int:
    from monitor.cli import editor, opml

    if args.action == "export":
        print(opml.export(editor.written_feeds(path)), end="")
        return 0
    found = opml.plan(opml.read(Path(args.file)), editor.written_feeds(path))
    if found.added:
        editor.add_feeds(path, found.added)
    for name, url in found.added:
        print(f"added {name:<24} {urls.masked(url)}")
    for line in found.refused:
        print(f"skipped {line}")
    print(f"{args.file}: {len(found.added)} feed(s) added, {len(found.present)} already present, "
          f"{len(found.refused)} skipped")
    return 0


# -- outbox and feedback ----------------------------------------------------------------


def cmd_label(args: argparse.Namespace) -> int:
    from monitor import wiring
    from monitor.model import labels

    loaded = load(args)
    store = wiring.store(loaded)
    if args.id == "export":
        if not args.verdict:
            raise InputError("label export: give the file to write, e.g. `monitor label export labels.jsonl`")
        count = labels.export(labels.all_labels(store.redis, store.keys), Path(args.verdict))
        print(f"wrote {count} labelled example(s) to {args.verdict}")
        return 0
    if not args.verdict:
        raise InputError("label: give a verdict, relevant or irrelevant")
    if args.topic is not None and args.topic not in loaded.settings.topics:
        raise InputError(f"label: --topic {args.topic}: no such topic in {loaded.path} "
                         f"(topics: {', '.join(loaded.settings.topics)})")
    label = labels.record(store.redis, store.keys, args.id, args.verdict, args.topic,
                          keep=loaded.settings.alerts.labels_max)
    print(f"alert {args.id}: {args.verdict} for {label.topic}")
    return 0
