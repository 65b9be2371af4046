"""Every Redis key the monitor uses, in one place (nobody else builds key strings).

All keys start with one prefix (`[monitor] key_prefix`, default "monitor:"), so several
monitors can share a server and `redis-cli --scan --pattern 'monitor:*'` shows all state.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor import defaults

OUTBOX_GROUP = "senders"
"""Consumer group of the outbox stream: each alert is delivered to one sender."""


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = defaults.KEY_PREFIX

    def seen(self, item_id: str) -> str:
        """String, TTL `[dedup] seen_ttl`: present once the item was scored and its alerts enqueued."""
        return f"{self.prefix}seen:{item_id}"

    def article(self, ref: str) -> str:
        """String, TTL `[dedup] seen_ttl`: the text extracted from the page at one canonical
        URL (at most ARTICLE_CHARS characters; empty when the page was thin), so copies of
        an item in other feeds read no page; `ref` is 16 hex digits of the URL's sha1."""
        return f"{self.prefix}article:{ref}"

    @property
    def article_counts(self) -> str:
        """Hash, no TTL, one field per outcome (page, cached, and each reason for falling
        back to the feed text): pages read for short items, for `status`."""
        return f"{self.prefix}articles"

    def feed(self, name: str) -> str:
        """Hash, no TTL: a feed's HTTP validators (etag, last_modified), last poll, status,
        error count, backoff deadline and item counts."""
        return f"{self.prefix}feed:{name}"

    def health(self, worker: str) -> str:
        """String, TTL 60 s: written by each /healthz probe of a worker (a write, so a Redis
        that answers but refuses writes is seen)."""
        return f"{self.prefix}health:{worker}"

    def lease(self, name: str) -> str:
        """String, TTL a poll's lease: the worker polling this feed now."""
        return f"{self.prefix}lease:{name}"

    @property
    def outbox(self) -> str:
        """Stream with consumer group `senders`: alerts waiting to be sent; an entry is
        deleted once its send is acknowledged."""
        return f"{self.prefix}outbox"

    @property
    def retry(self) -> str:
        """Sorted set, score = time due: alerts whose send failed, waiting for their retry."""
        return f"{self.prefix}retry"

    @property
    def dead(self) -> str:
        """List: alerts that failed `send_attempts` times (shown by status, resent by outbox retry)."""
        return f"{self.prefix}dead"

    def channel(self, name: str) -> str:
        """Hash, no TTL: a channel's failed sends in a row, time of its last digest, and
        whether the ops channel was told it is failing."""
        return f"{self.prefix}channel:{name}"

    def digest(self, channel: str) -> str:
        """List, no TTL: alerts folded into the channel's next digest (mode, rate limit or
        quiet hours), oldest first; emptied atomically when the digest is enqueued."""
        return f"{self.prefix}digest:{channel}"

    def sent(self, channel: str) -> str:
        """Sorted set, score = send time, trimmed to the last hour: the channel's sends, for
        `max_per_hour`."""
        return f"{self.prefix}sent:{channel}"

    @property
    def labels(self) -> str:
        """Hash, no TTL: alert short id -> JSON verdict (relevant or not, topic, time, text)."""
        return f"{self.prefix}labels"

    @property
    def recent(self) -> str:
        """Stream, capped at RECENT_MAX: recently scored items with their scores."""
        return f"{self.prefix}recent"

    def alert(self, short_id: str) -> str:
        """Hash, TTL `[dedup] seen_ttl`: an alert's fields by its short id (for labels, lookup)."""
        return f"{self.prefix}alert:{short_id}"

    def neardup_item(self, ref: str) -> str:
        """String, TTL `[dedup] window`: one indexed item's MinHash signature, term sketch,
        shingle count, index time, story id and the result its check returned (replayed on
        a repeat check); `ref` is 16 hex digits of the item id's sha1. (Named nd:item: before
        the term sketch was added; those records are no longer read and expire.)"""
        return f"{self.prefix}nd:rec:{ref}"

    def neardup_topic(self, topic: str) -> str:
        """List, TTL `[dedup] window` from its latest item, trimmed to NearDupConfig
        topic_candidates: the newest items that alerted on a topic, newest first, each its
        8-byte index ref, term sketch flags and names (terms.py; <= 57 bytes), so that the
        rewording test reads the record only of those whose names agree."""
        return f"{self.prefix}nd:topic:{topic}"

    def neardup_lsh(self, time_slice: int) -> str:
        """Hash, expires `[dedup] window` after its time slice ends: the LSH buckets of the
        items indexed in one slice of time (field: 2 bytes of a band; value: 15-byte
        records of band number, band values and item ref)."""
        return f"{self.prefix}nd:lsh:{time_slice}"

    def neardup_story(self, story_id: str) -> str:
        """List, TTL `[dedup] window` from its latest copy, capped at STORY_SOURCES_MAX (its
        first sources): one story's sources, first item first, each a JSON object (item id,
        source, url, published, language)."""
        return f"{self.prefix}nd:story:{story_id}"

    def neardup_story_sources(self, story_id: str) -> str:
        """Set, TTL `[dedup] window` from its latest copy, at most one member per feed: the
        source names of one story's copies (whether a copy's source is new, and how many)."""
        return f"{self.prefix}nd:srcs:{story_id}"
