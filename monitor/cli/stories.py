"""`monitor stories [--topic T] [-n N] [--json]`: recent stories with their sources.

A story is what the near-duplicate index made of an item and its copies (monitor/dedup/).
The stories are those of the recently scored items (the `recent` stream), newest first;
each story's sources come from its record in the index, in time order, each with its
outlet, link, time and language. A story that has left the window shows the items of it
that `recent` still holds.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from monitor.cli.main import known_topic, load
from monitor.delivery.values import one_line
from monitor.items import Recent, Source


def cmd_stories(args: argparse.Namespace) -> int:
    from monitor import wiring
    from monitor.dedup.index import NearDupIndex

    loaded = load(args)
    known_topic(loaded, args.topic)
    store = wiring.store(loaded)
    records = [r for r in store.recent(max(args.n * 20, 500)) if r.story]
    if args.topic:
        threshold = loaded.settings.topics[args.topic].threshold
        records = [r for r in records if r.scores.get(args.topic, 0.0) >= threshold]
    index = NearDupIndex(store.redis, store.keys, wiring.neardup_config(loaded))
    stories = [_story(story_id, items, index) for story_id, items in _grouped(records)[: args.n]]
    if args.json:
        print(json.dumps(stories, indent=2, ensure_ascii=False))
        return 0
    for story in stories:
        count = story["source_count"]
        print(f"{one_line(story['title'])}  ({count} source{'s' if count != 1 else ''})")
        for s in story["sources"]:
            print(f"  {s['published'][:16].replace('T', ' ')}  {s['language']:<3}  {one_line(s['source'])}: {s['url']}")
    return 0


def _grouped(records: list[Recent]) -> list[tuple[str, list[Recent]]]:
    """Each story's recent records, stories by their newest record first."""
    out: dict[str, list[Recent]] = {}
    for r in records:  # the stream is newest first
        out.setdefault(r.story or "", []).append(r)
    return list(out.items())


def _story(story_id: str, items: list[Recent], index: Any) -> dict[str, Any]:
    found = index.story(story_id)
    sources = found.sources if found else tuple(
        Source(r.id, r.source, r.url, r.published, r.language) for r in items)
    ordered = sorted(sources, key=lambda s: s.published)
    count = found.n_sources if found else len({s.source for s in ordered})  # the index counts past the list's cap
    return {"story": story_id, "title": items[-1].title, "source_count": count,
            "sources": [_row(s) for s in ordered]}


def _row(source: Source) -> dict[str, str]:
    return {"item_id": source.item_id, "source": source.source, "url": source.url,
            "published": source.published.isoformat(), "language": source.language}
