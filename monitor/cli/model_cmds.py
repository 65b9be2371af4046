"""The classifier, near-duplicate, bench and surge commands: each parses nothing itself and
hands the settings to its run_* function (monitor/cli/analysis.py and others), printing
what that made."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from monitor.cli.main import load


def _emit(result: tuple[str, int]) -> int:
    """Print what a command's run_* function made, and pass on its exit code."""
    text, code = result
    print(text)
    return code


def cmd_score(args: argparse.Namespace) -> int:
    from monitor.cli import analysis

    return _emit(analysis.run_score(load(args, channels=False), args.file, args.json, args.feed))


def cmd_train(args: argparse.Namespace) -> int:
    from monitor.cli import analysis

    return _emit(analysis.run_train(load(args), args.extra, args.out))


def cmd_evaluate(args: argparse.Namespace) -> int:
    from monitor.cli import analysis

    return _emit(analysis.run_evaluate(load(args), args.data, args.json))


def cmd_similar(args: argparse.Namespace) -> int:
    from monitor import settings, wiring
    from monitor.cli import analysis
    from monitor.dedup.across import lexicon_of
    from monitor.dedup.index import NearDupConfig
    from monitor.errors import ModelError

    # The thresholds of settings.toml when there is one, so users tune what the service uses;
    # a file named (--settings, $MONITOR_SETTINGS) must be there: a typo is no default.
    named = args.settings or os.environ.get("MONITOR_SETTINGS")  # "" names none, as default_path reads it
    path = Path(args.settings) if args.settings else settings.default_path()
    if not (named or path.exists()):  # no settings: the index's test only (no model to read concepts from)
        return _emit(analysis.run_similar(args.a, args.b, args.json, NearDupConfig()))
    loaded = load(args)
    cfg = wiring.neardup_config(loaded)
    if not cfg.across_languages:
        return _emit(analysis.run_similar(args.a, args.b, args.json, cfg, why_not="[dedup] across_languages = false"))
    try:  # the model's concepts (its metadata only); its absence leaves the index's test to print
        lexicon = lexicon_of(wiring.load_classifier(loaded, lazy=True).metadata)
    except ModelError as exc:
        return _emit(analysis.run_similar(args.a, args.b, args.json, cfg, why_not=str(exc)))
    return _emit(analysis.run_similar(args.a, args.b, args.json, cfg, lexicon))


def cmd_bench(args: argparse.Namespace) -> int:
    from monitor.bench import run as bench

    path = Path(args.settings) if args.settings else None
    return _emit(bench.run_bench(path, args.feeds, args.items, args.json, args.check, args.neardup_items,
                                 args.known_miss, args.article_pages, args.fresh_passes,
                                 args.feed_passes_only,
                                 args.unchanged_polls or bench.UNCHANGED_POLLS))


def cmd_surge(args: argparse.Namespace) -> int:
    from monitor.cli import surge_cmd

    return surge_cmd.cmd_surge(args)
