"""What a template can print of an alert: its fields, made readable and safe to show.

Feed text is hostile input: a headline may carry bidirectional overrides (U+202E makes
"gpj.exe" read "exe.jpg"), C1 controls (U+009B is a terminal's CSI), 20,000 characters,
or nothing at all; a link may be `javascript:`. Here a headline is cleaned, capped and,
when missing, made from the text's first words; a link is kept only for http and https,
rebuilt so that none of its characters can end a Markdown link or an HTML attribute.
Escaping for the channel's format happens later, in templates.py, on every printed value.
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import regex
from markupsafe import Markup

from monitor.defaults import LEAD_CHARS, TITLE_CHARS, UNTITLED_CHARS
from monitor.items import Alert, Source
from monitor.normalise import APOSTROPHES, words

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SPACE_RE = re.compile(r"\s+")
LINK_SCHEMES = ("http", "https")
# Kept as they are in a link's path, query and fragment; everything else is %-encoded,
# among them < > " ' ( ) [ ] * ` \ @ and spaces, which could end or bend a link's markup.
URL_SAFE = "/%:=&?~+$,;!-._"
PREFIXES = {"follow_up": Markup("Follow-up: "), "test": Markup("Test: "), "health": Markup("Monitor: "),
            "surge": Markup("Surge: ")}
UNTITLED = "(untitled)"
# An email's subject, in UTF-8 octets: apprise writes it as one quoted-printable encoded word
# on one line (Message.as_string folds no header), up to 3 characters an octet, and SMTP
# refuses a line past 998 (RFC 5321 4.5.3.1.6). 300 makes at most 921 with "Subject: " and
# the word's "=?utf-8?q?" and "?=": a 200-character Arabic or Russian headline made ~1,150.
SUBJECT_OCTETS = 300
GRAPHEME_RE = regex.compile(r"\X")
# A word as a text writes it: letters with their marks and invisible characters, and the
# suffix after an apostrophe ("İdlib'de"), which the normaliser folds into one word.
WRITTEN_RE = regex.compile(rf"[\w\p{{M}}\p{{Cf}}]+(?:[{APOSTROPHES}][\w\p{{M}}\p{{Cf}}]+)*")


class Link(str):
    """A URL already made safe for every format: printed without format escaping."""


def strip_controls(text: str) -> str:
    return CONTROL_RE.sub("", text)


def one_line(text: str) -> str:
    """Controls removed and every run of whitespace (newlines too) made one space."""
    return SPACE_RE.sub(" ", strip_controls(text)).strip()


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis when cut (in a
    word longer than that, between two whole graphemes)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    return (head.rsplit(" ", 1)[0] if " " in head else graphemes(text, limit - 1)).rstrip() + "…"


def graphemes(text: str, limit: int) -> str:
    """The text's whole graphemes in its first `limit` characters: a letter keeps its marks
    (an Arabic letter its tashkeel, "e" its U+0301), a flag both its regional indicators."""
    end = 0
    for grapheme in GRAPHEME_RE.finditer(text, 0, limit + 1):
        if grapheme.end() > limit:
            break
        end = grapheme.end()
    return text[:end]


def subject(title: str, octets: int = SUBJECT_OCTETS) -> str:
    """The title as an email's subject: cut (cut's way) to at most `octets` UTF-8 octets."""
    if len(title.encode()) <= octets:
        return title
    fits = title.encode()[: octets - len("…".encode())].decode("utf-8", "ignore")
    return cut(title, len(fits) + 1)


def headline(title: str, text: str) -> str:
    """The title on one line, capped; without one, the text's first words."""
    line = one_line(title)
    if line:
        return cut(line, TITLE_CHARS)
    return cut(one_line(text), UNTITLED_CHARS) or UNTITLED


def safe_link(url: str) -> Link:
    """The URL if it is http(s) with a host, without userinfo, with every character that
    markup could read %-encoded; else an empty Link (templates then print no link)."""
    try:
        parts = urlsplit(one_line(url))
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return Link("")
    if parts.scheme.lower() not in LINK_SCHEMES or not host:
        return Link("")
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    path, query, fragment = (quote(p, safe=URL_SAFE) for p in (parts.path, parts.query, parts.fragment))
    return Link(f"{parts.scheme.lower()}://{netloc}{path}" + (f"?{query}" if query else "")
                + (f"#{fragment}" if fragment else ""))


def alert_values(alert: Alert) -> dict[str, Any]:
    """What a template can print: the alert's fields, made readable."""
    plain = {f.name: getattr(alert, f.name) for f in fields(alert)}
    sources = story_sources(alert)
    return {
        **{k: v for k, v in plain.items() if isinstance(v, str | int | float)},
        "title": headline(alert.title, alert.text),
        "source": one_line(alert.source),
        "url": safe_link(alert.url),
        "published": _time(alert.published),
        "score": f"{alert.score:.2f}",
        "threshold": f"{alert.threshold:.2f}",
        "terms": ", ".join(shown_terms(alert.terms, f"{alert.title}\n{alert.text}")) or "(no terms)",
        "lead": lead(alert.text),
        "prefix": PREFIXES.get(alert.kind, ""),
        "sources": [source_values(s) for s in sources],
        "source_count": len({s.source for s in sources}),
    }


def shown_terms(terms: tuple[str, ...], text: str) -> tuple[str, ...]:
    """The terms as the text writes them: a term is a feature of the model, its words
    normalised (monitor/normalise.py: "İdlib'de Türk" is "idlibde turk", "أنقرة" is "انقره",
    a misspelling to an Arabic reader). Each word is shown as it first appears in the text;
    one the text does not hold, and a "[…]" label (concepts, the lead), as it is."""
    wanted = {w for term in terms if not term.startswith("[") for w in term.split(" ")}
    written: dict[str, str] = {}
    for match in WRITTEN_RE.finditer(text):
        if len(found := words(match.group())) == 1 and found[0] in wanted:
            written.setdefault(found[0], match.group())
            if len(written) == len(wanted):
                break
    return tuple(term if term.startswith("[") else " ".join(written.get(w, w) for w in term.split(" "))
                 for term in terms)


def story_sources(alert: Alert) -> tuple[Source, ...]:
    """The alert's story's sources in time order (its own alone when it was checked for none)."""
    found = alert.sources or (Source(alert.item_id, alert.source, alert.url, alert.published, alert.language),)
    return tuple(sorted(found, key=lambda s: s.published))


def source_values(source: Source) -> dict[str, Any]:
    """What a template prints of one source: name, link, time and language."""
    return {"name": one_line(source.source), "link": safe_link(source.url),
            "time": _time(source.published), "language": source.language}


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The first sentences of the text, cut at a word boundary."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    return (head.rsplit(" ", 1)[0] if " " in head else graphemes(text, limit)) + " …"
