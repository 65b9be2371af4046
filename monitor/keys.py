"""Every Redis key the monitor uses, in one place (nobody else builds key strings), each
with the bound that keeps it from growing without limit ("Bound:" in its docstring).

All keys start with one prefix (`[monitor] key_prefix`, default "monitor:"), so several
monitors can share a server and `redis-cli --scan --pattern 'monitor:*'` shows all state.
State named after a feed or a channel (feed, lease, channel, digest, sent) goes when the
feed or channel leaves the settings (prune.py, at start and on reload). Each key's family
(its pattern, type and kind of bound, for audits) is in key_families.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from monitor import defaults
from monitor.key_families import FAMILIES, Family

OUTBOX_GROUP = "senders"
"""Consumer group of the outbox stream: each alert is delivered to one sender."""
LAST_DIGEST = "last_digest"
"""Field of a channel's hash: when its last digest was enqueued (its digest clock)."""
DIGEST_SINCE = "digest_since"
"""Field of a channel's hash: when its waiting alerts began to wait (the fold that found
its digest empty); deleted with them when the digest is enqueued."""


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = defaults.KEY_PREFIX

    @property
    def seen_buckets(self) -> str:
        """Prefix of the seen-set's strings, `<prefix>sb:<day>:<shard>` (seen.py): one
        8-byte record per item processed that day (UTC) whose sha1 starts with the shard.
        Bound: each expires `[dedup] seen_ttl` + CLOCK_SKEW after its day ends; 256 a day."""
        return f"{self.prefix}sb:"

    @property
    def seen_latest(self) -> str:
        """String: the latest day (seen.today) a claim wrote seen strings for, so that lookups
        read the days a clock ahead, since set back, wrote (seen.last_day; up to seen.farthest).
        Bound: one key, TTL `[dedup] seen_ttl` + a day + CLOCK_SKEW from the claim that raised it."""
        return f"{self.prefix}sblatest"

    def seen(self, item_id: str) -> str:
        """String (written before the seen-set, still honoured, no longer written).
        Bound: its TTL, `[dedup] seen_ttl` from when it was written."""
        return f"{self.prefix}seen:{item_id}"

    def article(self, ref: str) -> str:
        """String: the text extracted from the page at one canonical URL (at most
        ARTICLE_CHARS characters, zlib-compressed: ~2 KB for a 4.5 KB text; empty when the
        page was thin), so copies of an item in other feeds read no page; `ref` is 16 hex
        digits of the URL's sha1.
        Bound: TTL `[dedup] seen_ttl`, one per short item whose page was read."""
        return f"{self.prefix}article:{ref}"

    @property
    def article_counts(self) -> str:
        """Hash, one field per outcome (page, cached, and each reason for falling back to
        the feed text): pages read for short items, for `status`.
        Bound: one field per outcome, a fixed set."""
        return f"{self.prefix}articles"

    def feed(self, name: str) -> str:
        """Hash: a feed's HTTP validators (etag, last_modified), last poll, status, error
        count, backoff deadline, item counts, its URL's digest (moved.py), and `listed`: its items' digests at the last
        poll that read it, each with its headline's (seen.listing, 24 hex digits an item).
        Bound: one per feed in the settings (pruned when it leaves them), fixed fields;
        `listed` at most FEED_ITEMS_MAX items (24 KB)."""
        return f"{self.prefix}feed:{name}"

    @property
    def schedule(self) -> str:
        """Sorted set, score = when the feed is next due: the shared schedule every worker
        takes due feeds from (schedule.py).
        Bound: one member per feed in the settings (pruned with it)."""
        return f"{self.prefix}due"

    def health(self, worker: str) -> str:
        """String, written by each /healthz probe of a worker (a write, so a Redis that
        answers but refuses writes is seen). Bound: TTL 60 s."""
        return f"{self.prefix}health:{worker}"

    def lease(self, name: str) -> str:
        """String: the worker polling this feed now. Bound: TTL a poll's lease (<= 60 s)."""
        return f"{self.prefix}lease:{name}"

    @property
    def outbox(self) -> str:
        """Stream with consumer group `senders`: alerts waiting to be sent.
        Bound: an entry is deleted once its delivery ends (sent, retried, folded or
        buried), and `trim_delivered` drops anything before the oldest entry still
        unread or pending, so it holds only undelivered alerts; never MAXLEN (that would
        drop undelivered ones). Its group's consumers (one per sender process, host-pid):
        each deletes its own at a clean exit, and senders delete those idle past
        `claim_timeout` that hold nothing (`Outbox.forget_gone`)."""
        return f"{self.prefix}outbox"

    @property
    def retry(self) -> str:
        """Sorted set, score = time due: alerts whose send failed, waiting for their retry,
        and alerts put back without an attempt (their channel asked to wait, or already
        holds delivery/loops.HELD_PER_CHANNEL in the sender's memory).
        Bound: each alert is here at most `send_attempts` times before it is buried; put
        back, it waits for its channel, as it would in the stream."""
        return f"{self.prefix}retry"

    @property
    def dead(self) -> str:
        """List: alerts that failed `send_attempts` times (shown by status, resent by
        outbox retry, which reads it a batch at a time).
        Bound: `[alerts] dead_max` entries, the oldest dropped (LTRIM) as one arrives."""
        return f"{self.prefix}dead"

    def channel(self, name: str) -> str:
        """Hash: a channel's failed sends in a row, time of its last digest (LAST_DIGEST),
        since when its digest's alerts wait (DIGEST_SINCE), whether the ops channel was
        told it is failing, and until when its Retry-After pauses it (delivery/pause.py).
        Bound: one per channel in the settings (pruned when it leaves them), fixed fields."""
        return f"{self.prefix}channel:{name}"

    def digest(self, channel: str) -> str:
        """List: alerts folded into the channel's next digest (mode, rate limit or quiet
        hours), oldest first; emptied atomically when the digest is enqueued.
        Bound: one digest period of the channel's alerts; a channel removed from the
        settings has its folded alerts reported to the ops channel and the log, then
        deleted (prune.py)."""
        return f"{self.prefix}digest:{channel}"

    def sent(self, channel: str) -> str:
        """Sorted set of outbox entry ids, score = send time: the channel's sends, for
        `max_per_hour`; a digest counts from when it is enqueued, and an alert from when a
        rate-limited channel reserves its room (a failed send gives the room back).
        Bound: trimmed to the last hour at each send; pruned with its channel."""
        return f"{self.prefix}sent:{channel}"

    @property
    def labels(self) -> str:
        """Hash: alert short id -> JSON verdict (relevant or not, topic, time, text).
        Bound: `[alerts] labels_max` labels, the oldest dropped as one is recorded."""
        return f"{self.prefix}labels"

    @property
    def labels_order(self) -> str:
        """Sorted set, score = label time: the order in which labels go past `labels_max`.
        Bound: as `labels`."""
        return f"{self.prefix}labels:order"

    @property
    def recent(self) -> str:
        """Stream: recently scored items with their scores. Bound: MAXLEN ~ RECENT_MAX."""
        return f"{self.prefix}recent"

    def alert(self, short_id: str) -> str:
        """String: an alert by its short id, zlib-compressed JSON (for labels, lookup).
        Bound: TTL `[dedup] seen_ttl`, one per alert enqueued."""
        return f"{self.prefix}alert:{short_id}"

    # Near-dup index, layout 2 (issue 16): the keys of layout 1 (nd:rec:*, nd:lsh:*,
    # nd:topic:*; 16-bit signatures, 8-byte refs, 2-byte LSH fields) are no longer read and
    # expire within one `[dedup] window`; the story lists and source sets keep their names
    # and format. Layout 3 (2026-11-29) changed only the LSH (script_lsh.py: a full segment's
    # records move into the next): layout 2's segments (nd:lsh2:*, described in the records'
    # field '#') are not read and expire with their slices, so for one window a copy of an
    # item indexed before the upgrade is found only by its topic's rewording test.
    # `slice` below is a time slice of NearDupConfig (window / slices seconds).

    def neardup_records(self, time_slice: str) -> str:
        """Hash, expires `[dedup] window` + seen.CLOCK_SKEW after its time slice ends: the
        records of the items indexed in one slice (field: the item's 6-byte ref; value: its
        packed MinHash signature, term sketch, shingle count, index time, story id (empty for
        the item that started the story: its ref and slice give it), the result its check
        returned, replayed on a repeat check, and for a story's first item its story entry);
        field '%': the slice's LSH segments (script_lsh.py; field '#' held layout 2's)."""
        return f"{self.prefix}nd:rec2:{time_slice}"

    def neardup_refs(self, time_slice: str) -> str:
        """String, expires with its slice's records: the 6-byte refs of the slice's items in
        the order indexed (an LSH record names an item by its place here)."""
        return f"{self.prefix}nd:refs2:{time_slice}"

    def neardup_lsh(self, segment: str) -> str:
        """Hash `<slice>:<bits>`, expires with its slice's records: the LSH buckets of the
        slice's segment of that many field bits (field: the first bits of a band's hash;
        value: 5-byte records of 2 check bytes and the item's sequence number; script_lsh.py).
        An item is filed under its text's bands and, for a headline of 5+ content words, the
        headline's two (dedup/headline.py: a headline-only copy's story), so the headline
        costs 10 bytes here and no key of its own. Bound: each field holds at most
        NearDupConfig max_bucket records, a segment a fixed number of items. (nd:lsh2:*, layout
        2's segments, is no longer read and expires within one `[dedup] window`.)"""
        return f"{self.prefix}nd:lsh3:{segment}"

    def neardup_topic(self, topic: str) -> str:
        """String, TTL `[dedup] window` + CLOCK_SKEW from its latest item, at most NearDupConfig
        topic_candidates entries: the newest items that alerted on a topic, newest first,
        each its count of names (a byte), 6-byte index ref, term sketch flags and names
        (terms.py; <= 56 bytes), so that the rewording test reads only the records of those
        whose names agree. (nd:topic2:*, the same entries as a list, is no longer read and
        expires within one `[dedup] window`.)"""
        return f"{self.prefix}nd:topic3:{topic}"

    def neardup_story(self, story_id: str) -> str:
        """List, TTL `[dedup] window` + seen.CLOCK_SKEW (dedup/script_story.py says why) from its
        latest copy, capped at STORY_SOURCES_MAX (its first sources): one story's sources,
        first item first, each a JSON object (item id, source, url, published, language).
        Made when the story's first copy arrives (in its language, or another language's
        item linked to it, dedup/across.py): a story of one item has none (its entry is in
        the item's record)."""
        return f"{self.prefix}nd:story:{story_id}"

    def neardup_story_sources(self, story_id: str) -> str:
        """Set, TTL `[dedup] window` + CLOCK_SKEW from its latest copy, one member per feed at
        most: the source names of one story's copies (is a copy's source new, how many)."""
        return f"{self.prefix}nd:srcs:{story_id}"

    def across(self, topic: str, figures: str) -> str:
        """List: the stories of one topic begun within ACROSS_WINDOW by items giving one set
        of figures (`figures`: 16 hex digits, dedup/across.py), each its language, concepts, story
        id, time and first item, so that the same story in another language joins it. Bound: TTL
        ACROSS_WINDOW + CLOCK_SKEW from its latest entry, the newest ACROSS_ENTRIES entries."""
        return f"{self.prefix}xl:{topic}:{figures}"

    def across_story(self, story_id: str) -> str:
        """String, TTL `[dedup] window` + CLOCK_SKEW from its latest read: the story (its id and
        first item) the index's story `story_id` is across languages (dedup/across.py): another
        language's it was linked to (with what the link returned: whether the item's source was
        new there, the story's sources, the item's place on its list), or its own, recorded; so
        that its copies, which the index finds in `story_id`, are recorded on that story, and a
        repeat check of its first item gets that answer. One per new story checked across
        languages."""
        return f"{self.prefix}xls:{story_id}"

    def surge_counts(self, topic: str) -> str:
        """Hash, TTL the topic's `surge_baseline` from its latest story, fields pruned past it:
        time bucket (SURGE_BUCKET) -> distinct stories first seen in it (surge/counter.py)."""
        return f"{self.prefix}surge:n:{topic}"

    def surge_state(self, topic: str) -> str:
        """Hash, TTL the topic's `surge_baseline` from its latest story: when the topic's history
        began, and the current surge (active until, alerted count, start)."""
        return f"{self.prefix}surge:state:{topic}"

    def surge_bucket(self, topic: str, bucket: int) -> str:
        """Hash, TTL a window past the bucket's end: the stories seen in one time bucket
        (`s:<story>` -> title, link, sources, and `n` 1 when the story was first counted in
        this bucket), for the window's distinct sources and top stories."""
        return f"{self.prefix}surge:b:{topic}:{bucket}"

    def surge_story(self, topic: str, story: str) -> str:
        """String, TTL the larger of the topic's window and `[dedup] window`, + CLOCK_SKEW,
        from the story's latest copy: present once a story was counted for the topic, so its
        later copies count once, however long they keep coming."""
        return f"{self.prefix}surge:s:{topic}:{story}"

    # Near-dup keys above (nd:*) are bounded by their TTLs, `[dedup] window` + CLOCK_SKEW.

    def named(self, family: str) -> str:
        """SCAN pattern of a per-name family ('feed:', 'lease:', 'channel:', 'digest:', 'sent:')."""
        return f"{_glob(self.prefix)}{family}*"

    def family_of(self, key: str) -> Family | None:
        """The family of a key under this prefix (None: not one the monitor writes)."""
        if not key.startswith(self.prefix):
            return None
        rest = key[len(self.prefix):]
        return next((f for f in FAMILIES if fnmatchcase(rest, f.pattern)), None)


def _glob(text: str) -> str:
    """`text` with SCAN's glob characters escaped."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)
