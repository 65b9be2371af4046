"""The `monitor` command: parses arguments, wires stages, turns errors into exit codes.

Exit codes: 0 success; 1 a failure at run time (Redis down, a feed or channel failed,
model unusable); 2 bad settings or bad input, with one line naming the file and key.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from monitor import __version__, settings
from monitor.errors import MonitorError

log = logging.getLogger("monitor")

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    _logging(args.verbose)
    try:
        return int(args.handler(args))
    except MonitorError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="monitor", description="Streaming news monitor with alerts.")
    parser.add_argument("--settings", help="settings file (default: settings.toml or $MONITOR_SETTINGS)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"monitor {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")

    def command(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    command("run", cmd_run, "run the service: poll on schedule, alert, until SIGTERM/Ctrl-C")
    p = command("poll", cmd_poll, "poll every feed once, process, send, exit")
    p.add_argument("--once", action="store_true", required=True, help="poll once and exit")
    p.add_argument("--force", action="store_true", help="also poll feeds that are backing off")
    p = command("score", cmd_score, "score one article's text for every topic, with reasons")
    p.add_argument("file", nargs="?", default="-", help="a text file, or - for standard input")
    p.add_argument("--json", action="store_true")
    p = command("train", cmd_train, "train the topic model from models/ data and write it")
    p.add_argument("--with", dest="extra", action="append", default=[], metavar="FILE",
                   help="more labelled JSONL to train on (repeatable)")
    p.add_argument("--out", help="where to write the model (default: the model in settings)")
    p = command("evaluate", cmd_evaluate, "precision/recall per topic on labelled JSONL data")
    p.add_argument("data", help='JSON lines: {"text": ..., "topics": [...]}')
    p.add_argument("--json", action="store_true")
    command("check", cmd_check, "validate settings, model, Redis and channels; change nothing")
    p = command("notify-test", cmd_notify_test, "send a test alert to one channel or all")
    p.add_argument("channel", nargs="?")
    p = command("status", cmd_status, "feeds, last poll, errors, counts, outbox depth")
    p.add_argument("--json", action="store_true")
    p = command("recent", cmd_recent, "recently scored items with their scores")
    p.add_argument("--topic")
    p.add_argument("-n", type=int, default=20, help="how many (default 20)")
    p.add_argument("--json", action="store_true")
    p = command("feeds", cmd_feeds, "list, add or remove feeds in settings.toml (comments kept)")
    feeds = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    feeds.add_parser("list", help="list the feeds")
    add = feeds.add_parser("add", help="add a feed")
    add.add_argument("name")
    add.add_argument("url")
    add.add_argument("--interval", help='poll interval, e.g. "5m"')
    remove = feeds.add_parser("remove", help="remove a feed")
    remove.add_argument("name")
    p = command("similar", cmd_similar, "near-duplicate measures and verdict for two texts")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--json", action="store_true")
    p = command("bench", cmd_bench, "benchmark the pipeline on a synthetic workload, with targets")
    p.add_argument("--feeds", type=int, default=200, help="feeds (default 200)")
    p.add_argument("--items", type=int, default=20, help="items per feed (default 20)")
    p.add_argument("--neardup-items", type=int, default=100_000, help="near-dup index size (default 100000)")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--json", action="store_true")
    return parser


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("apscheduler", "apprise", "aiohttp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _load(args: argparse.Namespace) -> settings.Loaded:
    return settings.load(args.settings)


# -- the service ------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from monitor import service

    return asyncio.run(service.serve(_load(args)))


def cmd_poll(args: argparse.Namespace) -> int:
    from monitor import pipeline

    loaded = _load(args)

    async def once() -> int:
        async with pipeline.Runtime.build(loaded) as rt:
            results = await pipeline.poll_once(rt, force=args.force)
            sent = await rt.sender().drain()
        for r in results:
            line = f"{r.feed}: {r.outcome} items={r.items} new={r.new} alerts={r.alerts}"
            print(line + (f" error={r.error}" if r.error else ""))
        print(f"sent {sent} alert(s)")
        return 1 if any(r.outcome in ("error", "store_error") for r in results) else 0

    return asyncio.run(once())


# -- state ------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    from monitor.keys import Keys
    from monitor.outbox import Outbox
    from monitor.store import Store, connect

    loaded = _load(args)
    client = connect(loaded.redis_url, loaded.data_dir)
    keys = Keys(loaded.settings.monitor.key_prefix)
    store = Store(client, keys)
    feeds = {}
    for feed in loaded.settings.feeds:
        state = store.feed_state(feed.name)
        feeds[feed.name] = {
            "url": feed.url, "enabled": feed.enabled, "last_poll": state.last_poll,
            "last_status": state.last_status, "last_error": state.last_error,
            "errors": state.errors, "items": state.items, "new_items": state.new_items,
            "alerts": state.alerts,
        }
    outbox = Outbox(client, keys, "status").depth()
    if args.json:
        print(json.dumps({"feeds": feeds, "outbox": outbox}, indent=2))
        return 0
    print(f"{'feed':<20} {'last poll':<20} {'status':<14} {'items':>5} {'new':>6} {'alerts':>6} {'errors':>6}")
    for name, f in feeds.items():
        when = _ago(f["last_poll"])
        print(f"{name:<20} {when:<20} {f['last_status']:<14} {f['items']:>5} {f['new_items']:>6} "
              f"{f['alerts']:>6} {f['errors']:>6}" + (f"  {f['last_error']}" if f["last_error"] else ""))
    print("outbox: " + ", ".join(f"{k} {v}" for k, v in outbox.items()))
    return 0


def cmd_recent(args: argparse.Namespace) -> int:
    from monitor.keys import Keys
    from monitor.store import Store, connect

    loaded = _load(args)
    store = Store(connect(loaded.redis_url, loaded.data_dir), Keys(loaded.settings.monitor.key_prefix))
    records = store.recent(max(args.n * 5, 100) if args.topic else args.n)
    if args.topic:
        threshold = loaded.settings.topics[args.topic].threshold if args.topic in loaded.settings.topics else 0
        records = [r for r in records if r["scores"].get(args.topic, 0) >= threshold][: args.n]
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    for r in records:
        best = max(r["scores"].items(), key=lambda kv: kv[1], default=("-", 0.0))
        print(f"{r['published'][:16]}  {best[0]}={best[1]:.2f}  {r['source']}: {r['title']}")
    return 0


def _ago(ts: float | None) -> str:
    if not ts:
        return "never"
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S") + f" ({time.time() - ts:.0f}s ago)"


# -- checks and channels ----------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from monitor.classify import Classifier
    from monitor.store import connect

    loaded = _load(args)
    s = loaded.settings
    print(f"settings: {loaded.path}: ok ({len(s.feeds)} feeds, {len(s.topics)} topics, {len(s.channels)} channels)")
    failures = 0
    try:
        model = Classifier.load(loaded.model_path)
        model.require(s.topics)
        print(f"model: {loaded.model_path}: ok (version {model.version}, topics {', '.join(model.topics)})")
    except MonitorError as exc:
        print(f"model: {exc}")
        failures += 1
    try:
        connect(loaded.redis_url, loaded.data_dir)
        print("redis: " + ("embedded, " + str(loaded.data_dir) if not loaded.redis_url else "external") + ": ok")
    except MonitorError as exc:
        print(f"redis: {exc}")
        failures += 1
    for name in loaded.channel_urls:  # parsed at load; URLs hold secrets, so never printed
        print(f"channel {name}: ok")
    return 1 if failures else 0


def cmd_notify_test(args: argparse.Namespace) -> int:
    from monitor import alerts, pipeline, sender

    loaded = _load(args)
    names = [args.channel] if args.channel else list(loaded.channel_urls)
    unknown = [n for n in names if n not in loaded.channel_urls]
    if unknown:
        raise MonitorError(f"{loaded.path}: channels.{unknown[0]}: no such channel") from None
    failed = 0
    for name in names:
        config = pipeline.channel_configs(loaded)[name]
        ok = sender.send_now(config, alerts.test_alert(name), loaded.data_dir)
        print(f"channel {name}: {'sent' if ok else 'FAILED'}")
        failed += not ok
    return 1 if failed else 0


def cmd_feeds(args: argparse.Namespace) -> int:
    from monitor import editor

    path = settings.load(args.settings).path  # refuse to edit a file that is already invalid
    if args.action == "add":
        editor.add_feed(path, args.name, args.url, args.interval)
        print(f"added feed {args.name}")
    elif args.action == "remove":
        editor.remove_feed(path, args.name)
        print(f"removed feed {args.name}")
    else:
        for feed in editor.list_feeds(path):
            every = f" every {feed['interval']:.0f}s" if feed["interval"] else ""
            print(f"{feed['name']:<24} {feed['url']}{every}{'' if feed['enabled'] else ' (disabled)'}")
    return 0


# -- classifier and near-duplicates -----------------------------------------------------


def cmd_score(args: argparse.Namespace) -> int:
    from monitor import classify

    loaded = _load(args)
    text, code = classify.run_score(loaded, args.file, args.json)
    print(text)
    return code


def cmd_train(args: argparse.Namespace) -> int:
    from monitor import train

    loaded = _load(args)
    text, code = train.run_train(loaded, args.extra, args.out)
    print(text)
    return code


def cmd_evaluate(args: argparse.Namespace) -> int:
    from monitor import evaluate

    loaded = _load(args)
    text, code = evaluate.run_evaluate(loaded, args.data, args.json)
    print(text)
    return code


def cmd_similar(args: argparse.Namespace) -> int:
    from monitor import neardup

    text, code = neardup.run_similar(args.a, args.b, args.json)
    print(text)
    return code


def cmd_bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from monitor import bench

    path = Path(args.settings) if args.settings else None
    text, code = bench.run_bench(path, args.feeds, args.items, args.json, args.check, args.neardup_items)
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
