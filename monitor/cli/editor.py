"""Edit settings.toml in place keeping its comments and layout (tomlkit), for operator
commands: `monitor feeds add|remove` and `monitor tune --set`.

Every edit is validated as a whole file (feed URLs with their `${NAME}` expanded, as load
does) before it is written, and written atomically (a temporary file renamed over the old
one), so a running service that reloads on change never sees half a file, and an edit that
would make the settings invalid is refused.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT

from monitor import settings, settings_env
from monitor.errors import InputError, SettingsError


def _read(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8-sig"))  # as settings.load reads it
    except FileNotFoundError:
        raise SettingsError(f"{path}: file not found") from None
    except tomlkit.exceptions.ParseError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None


def _write(path: Path, doc: tomlkit.TOMLDocument) -> None:
    text = tomlkit.dumps(doc)
    checked = settings.validate(tomlkit.parse(text).unwrap(), str(path))
    # As load will: a feed URL's `${NAME}` unset would make the file refuse to load.
    settings_env.feed_urls(((f.name, f.url) for f in checked.feeds), str(path))
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".toml", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        _keep_mode(handle.fileno(), path)
    os.replace(tmp, path)


def _keep_mode(fd: int, path: Path) -> None:
    """The replacement gets the file's mode and group: mkstemp's 0600 left a root-owned
    settings file unreadable to the service's user after `tune --set`."""
    try:
        was = os.stat(path)
    except FileNotFoundError:
        return
    os.fchmod(fd, stat.S_IMODE(was.st_mode))
    try:
        os.fchown(fd, -1, was.st_gid)
    except PermissionError:  # not a member of that group: the mode is kept at least
        pass


def written_feeds(path: Path) -> list[tuple[str, str]]:
    """(name, url) of each feed as settings.toml writes it (`${NAME}` unexpanded)."""
    return [(str(feed.get("name")), str(feed.get("url"))) for feed in _read(path).get("feeds") or []]


def list_feeds(path: Path) -> list[dict[str, Any]]:
    return [dict(feed) for feed in settings.load(path).settings.model_dump()["feeds"]]


def add_feed(path: Path, name: str, url: str, interval: str | None = None) -> None:
    add_feeds(path, [(name, url)], interval)


def add_feeds(path: Path, new: list[tuple[str, str]], interval: str | None = None) -> None:
    """Append feeds (name, url) in one validated, atomic write; a name or URL already
    there is refused (`feeds import` leaves a URL already there out before this)."""
    doc = _read(path)
    feeds = doc.get("feeds")
    if feeds is None:
        feeds = AoT([])
        doc.append("feeds", feeds)
    names = {str(feed.get("name")) for feed in feeds}  # once: per new feed, 200,000 took minutes
    addresses = {str(feed.get("url")): str(feed.get("name")) for feed in feeds}
    for name, url in new:
        if name in names:
            raise InputError(f"{path}: feeds: a feed named {name!r} already exists")
        if url in addresses:
            raise InputError(f"{path}: feeds: feed {addresses[url]!r} already has this URL")
        feeds.append(_feed_table(name, url, interval))
        names.add(name)
        addresses[url] = name
    _write(path, doc)


def _feed_table(name: str, url: str, interval: str | None) -> tomlkit.items.Table:
    table = tomlkit.table()
    table.add("name", name)
    table.add("url", url)
    if interval:
        table.add("interval", interval)
    table.add(tomlkit.nl())  # a blank line between this table and the next, as written by hand
    return table


def remove_feed(path: Path, name: str) -> None:
    doc = _read(path)
    feeds = doc.get("feeds") or []
    index = next((i for i, feed in enumerate(feeds) if feed.get("name") == name), None)
    if index is None:
        raise InputError(f"{path}: feeds: no feed named {name!r}")
    del feeds[index]
    _write(path, doc)


def add_topic(path: Path, name: str, title: str, threshold: float, notify: list[str]) -> None:
    doc = _read(path)
    topics = doc.get("topics")
    if topics is None:
        topics = tomlkit.table(is_super_table=True)
        doc.append("topics", topics)
    if name in topics:
        raise InputError(f"{path}: topics.{name}: already exists")
    table = tomlkit.table()
    table.add("title", title)
    table.add("threshold", round(threshold, 4))
    table.add("notify", notify)
    table.add(tomlkit.nl())
    last = list(topics.values())[-1] if topics else None
    for item in _trailing(last) if isinstance(last, tomlkit.items.Table) else []:
        table.value.body.append((None, item))  # the next table's comment stays above it
    topics.append(name, table)
    _write(path, doc)


def _trailing(table: tomlkit.items.Table) -> list[Any]:
    """Take the comments and blank lines after a table's last key (tomlkit keeps the next
    table's leading comment there), so a table added after it goes above them."""
    body = table.value.body
    cut = len(body)
    while cut and body[cut - 1][0] is None:
        cut -= 1
    tail = [item for _, item in body[cut:]]
    if not any(isinstance(item, tomlkit.items.Comment) for item in tail):
        return []
    del body[cut + 1:]  # keep one blank line after the table
    return tail[1:]


def set_threshold(path: Path, topic: str, value: float) -> None:
    doc = _read(path)
    topics = doc.get("topics") or {}
    if topic not in topics:
        raise InputError(f"{path}: topics.{topic}: no such topic")
    topics[topic]["threshold"] = round(value, 4)
    _write(path, doc)
