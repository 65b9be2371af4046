"""A feed whose URL changed under the same name (settings.toml edited, or a `${TOKEN}` in it
rotated) starts afresh at the new URL.

Its state is kept by name (keys.py), so before this the old URL's ETag and Last-Modified
were sent to the new one (a site whose ETag is its own version, the same for each of its
feeds, answered 304, and the new feed was not read until it next changed), and the old
URL's backoff held back the URL that replaced a broken one for as long as it had left (an
hour, after a 503 with Retry-After: 3600). The state keeps a digest of the URL it belongs
to (never the URL: it may hold a secret); at a poll that finds another, the validators, the
backoff deadline and the last success go (so the new URL's first poll takes its archive as
read, as a new feed's is: `backlog`). Kept: the listing (an item still listed is not new,
whatever the URL), the error counts and the ops channel's knowledge of a failure, so that
a fixed URL's first success is reported as the recovery it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

from monitor.store import FeedState

URL_FIELD = "url"
"""Field of a feed's hash: the digest of the URL its state belongs to."""
FORGOTTEN = ("etag", "last_modified", "retry_at", "last_success")


def url_digest(url: str) -> str:
    """16 hex digits of the URL's sha1: which URL, not what it says."""
    return hashlib.sha1(url.encode("utf-8", "replace")).hexdigest()[:16]


def moved(state: FeedState, url: str) -> tuple[FeedState, dict[str, object]]:
    """The state to poll `url` with, and the fields to save at once (none: nothing to save).
    A new feed's state, or one saved before digests were kept, is taken as its URL's (its
    validators are kept): the digest is saved once."""
    digest = url_digest(url)
    if state.url == digest:
        return state, {}
    if not state.url:
        return replace(state, url=digest), {URL_FIELD: digest}
    fresh = replace(state, etag=None, last_modified=None, retry_at=0.0, last_success=None, url=digest)
    return fresh, {URL_FIELD: digest, **dict.fromkeys(FORGOTTEN)}


def url_changed(fields: Mapping[str, object]) -> bool:
    """Whether `moved`'s fields drop another URL's state (not only save a first digest)."""
    return FORGOTTEN[0] in fields
