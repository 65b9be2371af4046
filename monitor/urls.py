"""Feed URLs as they may be shown, and as they must be to be fetched.

`masked` is the one way a URL reaches a screen, a log or an error text: userinfo and
query values may be credentials (`https://user:pass@host/feed?token=...`), so they become
`***`. `problem` says what makes a feed URL unusable, in words that never repeat the URL.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

import yarl

MASK = "***"
SCHEMES = ("http", "https")

# A URL inside free text (an error message): a scheme, "://", then anything up to a space or quote.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
# For text that does not parse as a URL: userinfo up to the last "@" (a password may hold
# an unencoded "/", "?" or "#", which ends the authority for urlsplit: `user:pa/ss@host`).
_USERINFO = re.compile(r"(?<=//)\S*@")
_QUERY_VALUE = re.compile(r"=[^&;#]*")


def masked(url: str) -> str:
    """The URL with its password (or a lone userinfo token), query and fragment values as
    `***`: `https://user:***@host/path?token=***`. Never raises, even for a malformed URL."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - "user:pa/ss@host" splits as host "user", port "pa"
    except ValueError:  # e.g. an unclosed "[": mask by pattern, not by structure
        return _masked_text_form(url)
    return SplitResult(parts.scheme, _netloc(parts.netloc), parts.path, _query(parts.query),
                       _query(parts.fragment)).geturl()


def mask_text(text: str) -> str:
    """Free text (an error message) with every URL in it masked."""
    def one(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(",.;:)")  # punctuation after a URL is the sentence's
        return masked(url) + match.group(0)[len(url):]

    return _URL_IN_TEXT.sub(one, text)


def link_base(url: str) -> str:
    """The feed URL as a base for its items' relative links: without userinfo, query and
    fragment, so `/news/1` or `#top` in a feed never carries the feed's credentials along."""
    parts = urlsplit(url)
    return SplitResult(parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", "").geturl()


def host(url: str) -> str:
    """The URL's host in lower case; "" for one with no host or that does not split."""
    try:
        return urlsplit(url.strip()).hostname or ""  # urlsplit lowers it
    except ValueError:
        return ""


def parsed(url: str) -> yarl.URL:
    """The URL as aiohttp reads it; ValueError where it cannot be read, also where yarl
    raises IndexError instead ("http://[v1.x]@/": a bracketed host before userinfo's "@",
    which urlsplit accepts: an item's link, a refresh tag or a setting made a traceback)."""
    try:
        return yarl.URL(url)
    except IndexError:
        raise ValueError("malformed URL") from None


def problem(url: str) -> str | None:
    """Why this URL cannot be fetched as a feed (None: it can). The reason never quotes
    the URL: it may hold a secret."""
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "contains a space or control character"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "malformed URL (unbalanced [ ] around the host)"
    try:
        port = parts.port
        aiohttp_url = parsed(url)  # what aiohttp will make of it
    except ValueError as exc:  # its text may quote part of the URL: not shown
        return "malformed URL (the port is not a number from 1 to 65535)" if "ort" in str(exc) \
            else "malformed URL"
    if parts.scheme.lower() not in SCHEMES:
        return "must be an http:// or https:// URL"
    if not parts.hostname or not aiohttp_url.raw_host:
        return "has no host"
    if port == 0:
        return "malformed URL (the port is not a number from 1 to 65535)"
    return None


def _netloc(netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        return netloc
    user, colon, password = userinfo.partition(":")
    # No password: the user is the secret (an API key as HTTP Basic user, `https://KEY:@host`)
    return f"{user}:{MASK}@{hostport}" if colon and password else f"{MASK}@{hostport}"


def _query(query: str) -> str:
    """Every value masked, names kept; a bare segment (`?s3cret`) may be a token too."""
    masked_parts = []
    for part in re.split(r"([&;])", query):
        if part in ("&", ";", ""):
            masked_parts.append(part)
        elif "=" in part:
            name, _, value = part.partition("=")
            masked_parts.append(f"{name}={MASK}" if value else part)
        else:
            masked_parts.append(MASK)
    return "".join(masked_parts)


def _masked_text_form(url: str) -> str:
    url, hash_, fragment = _USERINFO.sub(lambda m: _netloc(m.group(0)), url, count=1).partition("#")
    head, question, query = url.partition("?")
    return head + question + _QUERY_VALUE.sub(f"={MASK}", query) + hash_ + _query(fragment)

