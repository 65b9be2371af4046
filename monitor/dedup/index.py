"""Near-duplicate detection: one story per wire copy, however many outlets republish it.

Each document becomes a set of word 3-shingles (monitor/dedup/shingles.py) and a 128-value
MinHash signature, and a sketch of its content words and names (monitor/dedup/terms.py),
both read from one pass over its tokens (monitor/dedup/prepare.py).
The index in Redis holds, per item, the signature, the shingle count and the sketch, LSH
buckets (42 bands of 3 values) to find candidates, and the newest items of each topic. A
candidate is a duplicate when the estimated Jaccard similarity is high (a lightly edited
copy), when the shorter text is mostly contained in the longer one (a copy with other text
appended, a new headline, boilerplate lines), or when it is reworded: its content words
alike (cosine) and its names and numbers the same (a spinner's synonyms, every sentence
rephrased). Band candidates get both tests; topic candidates, which share no band, the
rewording test only.

The thresholds were chosen on the evaluation in .ci/eval_neardup.py; `monitor similar A B`
prints the exact measures for two texts so users can check them on their own feeds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis
from redis.client import Pipeline

from monitor import codec, defaults
from monitor.dedup import prepare, shingles, terms
from monitor.dedup.headline import headline_bands
from monitor.dedup.records import first_source, ref_of, story_id_of
from monitor.dedup.script import CHECK_AND_ADD
from monitor.errors import StoreError
from monitor.items import Item, Source
from monitor.keys import Keys
from monitor.seen import CLOCK_SKEW
from monitor.store import evalsha, pipelined

MIN_CONTAINED_SHINGLES = 15
"""Containment counts only when the shorter text has this many shingles: a headline alone
is contained in every article that repeats it."""


@dataclass(frozen=True, slots=True)
class NearDupConfig:
    """Thresholds and index shape. Thresholds and the window may change at any time;
    changing shingle_size, num_perm, bands or rows makes the items already indexed
    incomparable, so do it with a new key prefix or let one window pass."""

    window_seconds: int = int(defaults.DEDUP_WINDOW)  # the [dedup] settings' defaults
    jaccard_threshold: float = defaults.NEARDUP_JACCARD
    containment_threshold: float = defaults.NEARDUP_CONTAINMENT
    cosine_threshold: float = defaults.NEARDUP_COSINE
    names_threshold: float = defaults.NEARDUP_NAMES
    across_languages: bool = defaults.ACROSS_LANGUAGES  # link new stories across languages (across.py)
    min_contained_shingles: int = MIN_CONTAINED_SHINGLES
    shingle_size: int = 3  # words: 2 merges more same-event articles, 5 misses reworded copies
    num_perm: int = 128  # signature length: estimate error ~0.04 at Jaccard 0.5
    bands: int = 42  # LSH bands x rows <= num_perm; 3 rows find 96% of pairs at Jaccard 0.4
    rows: int = 3
    slices: int = 3  # LSH time slices per window: memory is freed a slice at a time
    max_candidates: int = 50  # verified per check, most shared bands first (bounds latency)
    max_bucket: int = 4096  # records kept per LSH field (bounds boilerplate-only buckets)
    topic_candidates: int = 50  # newest items of each topic given the rewording test (bounds latency)
    # LSH fields of a new index's first segment (later ones sized by the last slice). 16 bits
    # hold 199,728 items at 128 records a field, and a whole byte count makes the script's
    # field names cheap; the next (19 bits, 8x the fields) takes the first's records as it
    # fills (script_lsh.py) and holds 1,597,830 in all, so a lookup reads 1 segment at 100,000
    # items and at 1,000,000. At 14 bits the second segment was a quarter full at 100,000 items
    # (816 B of Redis per item instead of 789) and 1,000,000 read 3 segments.
    field_bits: int = 16
    records_per_field: int = 128  # a segment holds 2**bits x this / bands items, then the next has 8x the fields

    def __post_init__(self) -> None:
        if (self.window_seconds < 1 or self.bands * self.rows > self.num_perm or self.bands > 256
                or not 8 <= self.field_bits <= 30 or self.num_perm % 2):
            raise ValueError("near-duplicate config: window >= 1 s, bands x rows <= num_perm (even), "
                             "field bits 8-30")
        thresholds = (self.jaccard_threshold, self.containment_threshold, self.cosine_threshold,
                      self.names_threshold)
        if not all(0 < t <= 1 for t in thresholds):
            raise ValueError("near-duplicate config: thresholds must be in (0, 1]")


@dataclass(frozen=True, slots=True)
class Similarity:
    jaccard: float  # |A and B| / |A or B| over word shingles
    containment: float  # |A and B| / min(|A|, |B|)
    shingles_a: int
    shingles_b: int
    shared: int
    cosine: float  # of the content-word vectors (terms.py)
    names: float  # share of the smaller set of names and numbers found in the other
    shared_names: int
    duplicate: bool
    reason: str  # "jaccard", "containment", "rewording" or "" when not a duplicate


@dataclass(frozen=True, slots=True)
class Story:
    story_id: str
    sources: tuple[Source, ...]  # first item first (its first STORY_SOURCES_MAX)
    counted: int = 0  # distinct source names as the index counts them (past the list's cap too)

    @property
    def first_item_id(self) -> str:
        return self.sources[0].item_id

    @property
    def n_sources(self) -> int:
        """Distinct source names (one outlet posting a story twice counts once): the
        index's count, which goes on past the STORY_SOURCES_MAX sources listed."""
        return max(self.counted, len({s.source for s in self.sources}))


@dataclass(frozen=True, slots=True)
class StoryMatch:
    story_id: str
    first_item_id: str
    sources: tuple[Source, ...]  # the story's sources up to and including this item (its first STORY_SOURCES_MAX)
    is_new: bool  # this item starts the story: it alerts
    n_sources: int  # distinct sources up to and including this item
    new_source: bool = True  # this item's source was not on the story before it
    jaccard: float = 0.0  # estimated, against the matched earlier copy (0 when new)
    containment: float = 0.0
    cosine: float = 0.0  # of the sketches; 0 when the names disagree (not computed)
    names: float = 0.0
    across: tuple[str, Source] | None = None  # its story across languages (across.py; None: not yet)


def verdict(jaccard: float, containment: float, smaller: int, cfg: NearDupConfig,
            reword: tuple[float, float, int] = (0.0, 0.0, 0)) -> str:
    """Why two texts are duplicates ("jaccard", "containment", "rewording"), or "" if they
    are not; `reword` is (cosine, names, names shared) of terms.compare."""
    if jaccard >= cfg.jaccard_threshold:
        return "jaccard"
    if containment >= cfg.containment_threshold and smaller >= cfg.min_contained_shingles:
        return "containment"
    if terms.reworded(*reword, cfg.cosine_threshold, cfg.names_threshold):
        return "rewording"
    return ""


@dataclass(frozen=True, slots=True)
class Measured:
    """A text's shingle hashes and sketch, made once for comparing it with many others."""

    hashes: Any  # numpy array of its word-shingle hashes
    sketch: terms.TermSketch


def measured(text: str, cfg: NearDupConfig = NearDupConfig()) -> Measured:
    return Measured(shingles.shingle_hashes(text, cfg.shingle_size), terms.sketch(text))


def similarity(a: str | Measured, b: str | Measured, cfg: NearDupConfig = NearDupConfig()) -> Similarity:
    """Exact shingle measures, the sketches' rewording measures of two texts, and the
    verdict the index would give."""
    ma = a if isinstance(a, Measured) else measured(a, cfg)
    mb = b if isinstance(b, Measured) else measured(b, cfg)
    j, c, shared = shingles.exact(ma.hashes, mb.hashes)
    reword = terms.compare(ma.sketch, mb.sketch)
    reason = verdict(j, c, min(ma.hashes.size, mb.hashes.size), cfg, reword)
    return Similarity(j, c, int(ma.hashes.size), int(mb.hashes.size), shared, reword[0], reword[1], reword[2],
                      bool(reason), reason)


@lru_cache(maxsize=4)
def _hasher(num_perm: int) -> shingles.MinHasher:
    return shingles.MinHasher(num_perm)


def _match(story: bytes, is_new: int, new_source: int, entries: list[bytes], j: Any, c: Any, cos: Any,
           names: Any, n_sources: int, across: bytes | None = None) -> StoryMatch:
    sources = tuple(codec.decode_source(e) for e in entries)
    return StoryMatch(
        story_id=story.decode(), first_item_id=sources[0].item_id, sources=sources,
        is_new=bool(is_new), n_sources=int(n_sources),
        new_source=bool(new_source), jaccard=float(j), containment=float(c), cosine=float(cos),
        names=float(names), across=_answer(across) if across else None,
    )


def _answer(raw: bytes) -> tuple[str, Source]:
    """The story and its first item of an answer as script_across.py keeps it: story id,
    \x1f, first item's entry (then, for a link, what it returned; script_story.py)."""
    story, first = raw.split(b"\x1f")[:2]
    return story.decode(), codec.decode_source(first)


def reach_ahead(window: float) -> float:
    """How far past its clock a check reads slices: a worker whose clock ran ahead indexed
    its items in a slice ahead, and a copy checked once its clock is set back must find them
    (it alerted as a new story). The window: as many slices ahead as back (`slices`, 3), the
    missing keys of 2 empty slices more a check than a day's reach at the default window. A
    step longer is not covered, as a copy a window after its first is not: reading a bogus
    clock's slices years ahead would be unbounded. At least CLOCK_SKEW, two right clocks'
    difference."""
    return max(CLOCK_SKEW, window)


class NearDupIndex:
    """The shared near-duplicate index of the last window, in Redis."""

    def __init__(self, redis: redis.Redis, keys: Keys, cfg: NearDupConfig) -> None:
        self._redis = redis
        self._keys = keys
        self._cfg = cfg
        self._hasher = _hasher(cfg.num_perm)
        self._slice = max(1, math.ceil(cfg.window_seconds / cfg.slices))
        self._ahead = reach_ahead(cfg.window_seconds)
        self.script = redis.register_script(CHECK_AND_ADD)

    def sketch(self, text: str) -> tuple[bytes, bytes, int, bytes]:
        """The packed signature, the band hashes, the shingle count and the term sketch of a text."""
        hashes, term_sketch = prepare.sketches(text, self._cfg.shingle_size)
        minima = self._hasher.minima(hashes)
        return (shingles.packed(minima), shingles.band_hashes(minima, self._cfg.bands, self._cfg.rows),
                int(hashes.size), term_sketch)

    def _script_call(self, item: Item, topics: Sequence[str] = ()) -> tuple[list[str], list[Any]]:
        """The keys and arguments of the check-and-add script for one item."""
        sig, band_hashes, n, term_sketch = self.sketch(item.document)
        cfg, keys, now = self._cfg, self._keys, time.time()
        current = int(now // self._slice)
        oldest = int((now - cfg.window_seconds) // self._slice)
        # A slice's keys outlive its last record's window by CLOCK_SKEW: a worker whose clock is
        # behind finds that record in its own window so much longer (matching keeps the window).
        expires = (current + 1) * self._slice + cfg.window_seconds + int(CLOCK_SKEW) + 1
        newest = int((now + self._ahead) // self._slice)  # where a worker whose clock is ahead writes
        ref = ref_of(item.id)
        entry = codec.encode_source(Source(item.id, item.source, item.url, item.published, item.language))
        args: list[Any] = [
            keys.neardup_records(""), keys.neardup_refs(""), keys.neardup_lsh(""), keys.neardup_story(""),
            keys.neardup_story_sources(""), ref, story_id_of(ref, current), sig, n, entry,
            item.source, str(int(now)), cfg.window_seconds, expires,
            band_hashes, cfg.jaccard_threshold, cfg.containment_threshold, cfg.min_contained_shingles,
            cfg.max_candidates, cfg.max_bucket, term_sketch, cfg.cosine_threshold,
            cfg.names_threshold, terms.MIN_SHARED_NAMES, cfg.topic_candidates, defaults.STORY_SOURCES_MAX,
            current, oldest, cfg.field_bits, cfg.records_per_field, len(topics),
            *(keys.neardup_topic(t) for t in topics), keys.across_story(""), newest,
            headline_bands(item.title),
        ]
        return [], args

    def check_and_add(self, item: Item, topics: Sequence[str] = ()) -> StoryMatch:
        """Attach the item to the story of an earlier copy in the window, or start a story.
        Checking one item id again returns the first answer (see neardup_script)."""
        return self.check_and_add_many([item], [topics])[0]

    def check_and_add_many(self, items: Sequence[Item],
                           topics: Sequence[Sequence[str]] | None = None) -> list[StoryMatch]:
        """`check_and_add` for several items in one round trip; `topics[i]` are the topics
        item i alerts on (its copies among their newest items get the rewording test).
        Each item's script is atomic and they run in order, so a copy later in the batch
        finds an earlier one."""
        per_item = topics if topics is not None else [()] * len(items)
        calls = [self._script_call(item, sorted(set(t))) for item, t in zip(items, per_item, strict=True)]

        def build(pipe: Pipeline) -> None:
            for keys, args in calls:
                evalsha(pipe, self.script, keys, args)

        try:
            replies = pipelined(self._redis, build, [self.script])
        except redis.RedisError as e:
            raise StoreError(f"near-duplicate index: {e}") from e
        return [_match(*reply) for reply in replies]

    def story(self, story_id: str) -> Story | None:
        """A story's sources (its first STORY_SOURCES_MAX), first item first; None once it
        has left the window."""
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.lrange(self._keys.neardup_story(story_id), 0, defaults.STORY_SOURCES_MAX - 1)
            pipe.scard(self._keys.neardup_story_sources(story_id))
            entries, counted = pipe.execute()
            if not entries:  # a story of one item has no list yet: its record holds its entry
                return self._single(story_id)
        except redis.RedisError as e:
            raise StoreError(f"near-duplicate index: {e}") from e
        return Story(story_id, tuple(codec.decode_source(e) for e in entries), int(counted))

    def _single(self, story_id: str) -> Story | None:
        ref, _, time_slice = story_id.partition("-")
        try:
            key, field = self._keys.neardup_records(str(int(time_slice, 16))), bytes.fromhex(ref)
        except ValueError:
            return None  # not an id this index made
        value = self._redis.hget(key, field)
        first = isinstance(value, bytes) and first_source(value, story_id, time.time(), self._cfg)
        return Story(story_id, (first,)) if first else None
