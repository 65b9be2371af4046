"""Feeds in and out by OPML: `monitor feeds import FILE.opml` and `monitor feeds export`.

Reading uses listparser (OPML 1.0/2.0 subscription lists, nested folders, the quirks of
real exports); writing is OPML 2.0 from the standard library. A feed's name is derived
from its outline's title (`[a-z0-9_-]+`, as settings names are) and made unique against
the feeds already in settings.toml; a URL already there is kept as it is, not added twice.
A URL holding `${` is skipped: settings.toml would fill it from the monitor's environment.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from monitor import urls
from monitor.errors import InputError

NAME_CHARS = 40  # a derived name is cut to this many characters
# settings.toml fills `${NAME}` in a feed URL from the environment: a list from elsewhere
# holding one could have the monitor send a secret (`${SMTP_PASSWORD}`) to its host.
ENV_PROBLEM = "holds ${…}, which settings.toml fills from the environment (add such a feed by hand)"


@dataclass(frozen=True)
class Imported:
    added: list[tuple[str, str]]  # (name, url) to add
    present: list[str]  # URLs already in settings.toml
    refused: list[str]  # "url: reason" of outlines that are no feed URL the monitor can poll


def read(path: Path) -> list[tuple[str, str]]:
    """(title, url) of every feed outline in the file; InputError naming it otherwise."""
    import listparser

    from monitor.model.dataset import read_input_file

    data = read_input_file(path)  # a regular file only: /dev/zero was read without end (MemoryError)
    parsed = listparser.parse(data)
    if not parsed.get("version", "").startswith("opml"):  # listparser reads RSS/iGoogle lists too
        reason = f": {parsed.bozo_exception}" if parsed.bozo else " (no <opml> root element)"
        raise InputError(f"{path}: not an OPML file{reason}")
    return [(str(feed.get("title") or ""), str(feed["url"])) for feed in parsed.feeds if feed.get("url")]


def plan(outlines: Iterable[tuple[str, str]], existing: Sequence[tuple[str, str]]) -> Imported:
    """Which outlines to add, under which names, given the feeds (name, url) already there."""
    names = {name for name, _ in existing}
    known = {url.strip() for _, url in existing}
    added: list[tuple[str, str]] = []
    present: list[str] = []
    refused: list[str] = []
    for title, url in outlines:
        url = url.strip()
        problem = ENV_PROBLEM if "${" in url and url not in known else urls.problem(url)
        if problem:
            refused.append(f"{urls.masked(url)}: {problem}")
        elif url in known:
            present.append(urls.masked(url))
        else:
            name = unique(derive_name(title, url), names)
            names.add(name)
            known.add(url)
            added.append((name, url))
    return Imported(added, present, refused)


def derive_name(title: str, url: str) -> str:
    """A settings name from a title ("BBC News – Middle East" -> "bbc-news-middle-east"),
    else from the URL's host and path."""
    source = title or (urlsplit(url).hostname or "") + " " + urlsplit(url).path
    ascii_text = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:NAME_CHARS].strip("-")
    return name or "feed"


def unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name}-{n}" in taken:
        n += 1
    return f"{name}-{n}"


def export(feeds: Sequence[tuple[str, str]], title: str = "monitor feeds") -> str:
    """OPML 2.0 of the feeds (name, url as written in settings.toml: `${NAME}` unexpanded)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(tz=UTC))
    body = ET.SubElement(root, "body")
    for name, url in feeds:
        ET.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=url)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
