"""Near-duplicate similarity as pure functions: shingles, exact and estimated measures, the
verdict. No Redis. The texts were written for these tests (plain ASCII, no apostrophes or
digits, so that they shingle the same under any of the normaliser's folds)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.dedup import shingles
from monitor.dedup.index import NearDupConfig, similarity, verdict

CFG = NearDupConfig()

REPORT = (
    "The river burst its banks early on Sunday and flooded the ground floor of the town library, "
    "where volunteers had spent the night carrying rare maps and parish records up the stairs. "
    "Firefighters pumped water out of the reading room until the afternoon, and the head librarian "
    "said that most of the local history collection had been saved, although several hundred "
    "picture books and the public computers were lost. The building will stay closed for at least "
    "three months while the walls dry out and the wiring is replaced. A temporary lending desk will "
    "open in the school hall next week, and the council has asked residents to return borrowed books "
    "there rather than to the flooded building."
)
HEADLINE = "Flood closes town library for three months"
EXTRA = (
    "Elsewhere in the valley, farmers counted the cost of a second wet summer. Hay that should have "
    "been cut in June still stands in waterlogged fields, and several dairy herds have been moved to "
    "higher pastures owned by neighbours. The regional farming union wants the government to open an "
    "emergency fund before the autumn, when many smaller farms will have to buy feed at prices that "
    "have almost doubled since the spring. Agricultural economists warn that some families may sell "
    "their land, and that the villages which depend on them could lose their shops and bus services "
    "within a few years if nothing is done. At a meeting in the village church on Thursday evening, "
    "a young cheesemaker described how she had driven her milk to a buyer across the border every "
    "morning since the bridge on the main road was closed, and how the fuel alone now costs her more "
    "than she earns in a week. Her neighbours nodded, and one of them stood up to say that nobody in "
    "the capital seemed to be listening."
)
UNRELATED = (
    "A chess club founded by two retired teachers celebrated its tenth anniversary with a tournament "
    "in the old market hall. More than sixty players took part, the youngest of them eight years old, "
    "and the final between a student and a bus driver lasted almost four hours before ending in a draw."
)
# The report on a page that runs two more stories after it: Jaccard about 0.34.
APPENDED = f"{REPORT}\n\n{EXTRA}\n\n{UNRELATED}"


def words(text: str) -> list[str]:
    return text.split()


# -- the four cases the index must tell apart ---------------------------------------------


def test_identical_texts() -> None:
    s = similarity(REPORT, REPORT)
    assert (s.jaccard, s.containment) == (1.0, 1.0)
    assert s.shared == s.shingles_a == s.shingles_b > CFG.min_contained_shingles
    assert s.duplicate and s.reason == "jaccard"


def test_a_copy_with_a_new_headline_is_a_duplicate_by_jaccard() -> None:
    s = similarity(REPORT, f"{HEADLINE}\n{REPORT}")
    assert s.jaccard >= CFG.jaccard_threshold and s.containment == 1.0
    assert s.shingles_b == s.shingles_a + len(words(HEADLINE))  # one new shingle per headline word
    assert s.duplicate and s.reason == "jaccard"


def test_a_copy_with_text_appended_is_a_duplicate_by_containment() -> None:
    s = similarity(REPORT, APPENDED)
    assert s.jaccard < CFG.jaccard_threshold  # Jaccard alone would miss it
    assert s.containment == 1.0 and s.shared == s.shingles_a
    assert s.duplicate and s.reason == "containment"


def test_unrelated_texts_are_not_duplicates() -> None:
    for a, b in ((REPORT, UNRELATED), (REPORT, EXTRA), (EXTRA, UNRELATED)):
        s = similarity(a, b)
        assert s.jaccard < 0.05 and s.containment < 0.05, (s, a[:20], b[:20])
        assert not s.duplicate and s.reason == ""


def test_a_short_text_inside_an_article_does_not_count_as_contained() -> None:
    """A headline or one sentence is contained in every article that repeats it."""
    sentence = "the head librarian said that most of the local history collection had been saved"
    s = similarity(sentence, REPORT)
    assert s.containment == 1.0 and s.shingles_a < CFG.min_contained_shingles
    assert not s.duplicate and s.reason == ""


@pytest.mark.parametrize(("extra_words", "duplicate"), [(-1, False), (0, True)])
def test_containment_counts_from_min_contained_shingles(extra_words: int, duplicate: bool) -> None:
    """The first n words of the report have n - 2 word 3-shingles: 15 is enough, 14 is not."""
    n = CFG.min_contained_shingles + CFG.shingle_size - 1 + extra_words
    opening = " ".join(words(REPORT)[:n])
    s = similarity(opening, APPENDED)
    assert s.shingles_a == CFG.min_contained_shingles + extra_words
    assert s.containment == 1.0 and s.jaccard < CFG.jaccard_threshold
    assert s.duplicate is duplicate and s.reason == ("containment" if duplicate else "")


def test_similarity_is_symmetric_in_its_measures() -> None:
    ab, ba = similarity(REPORT, APPENDED), similarity(APPENDED, REPORT)
    assert (ab.jaccard, ab.containment, ab.shared, ab.reason) == (ba.jaccard, ba.containment, ba.shared, ba.reason)
    assert (ab.shingles_a, ab.shingles_b) == (ba.shingles_b, ba.shingles_a)


def test_thresholds_come_from_the_config() -> None:
    strict = NearDupConfig(containment_threshold=1.0, min_contained_shingles=500)
    assert not similarity(REPORT, APPENDED, strict).duplicate
    loose = NearDupConfig(jaccard_threshold=0.01)
    assert similarity(REPORT, APPENDED, loose).reason == "jaccard"


# -- verdict -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("jaccard", "containment", "smaller", "reason"), [
    (1.0, 1.0, 100, "jaccard"),
    (CFG.jaccard_threshold, 0.0, 0, "jaccard"),  # Jaccard needs no minimum size
    (0.39, CFG.containment_threshold, CFG.min_contained_shingles, "containment"),
    (0.39, CFG.containment_threshold, CFG.min_contained_shingles - 1, ""),
    (0.39, 0.79, 1000, ""),
    (0.0, 0.0, 0, ""),
])
def test_verdict(jaccard: float, containment: float, smaller: int, reason: str) -> None:
    assert verdict(jaccard, containment, smaller, CFG) == reason


# -- shingles: exact measures and the MinHash estimate ------------------------------------------


def hashes(*values: int) -> shingles.Hashes:
    return np.array(sorted(set(values)), dtype=np.uint64)


def test_exact_counts_shared_shingles() -> None:
    assert shingles.exact(hashes(1, 2, 3, 4), hashes(3, 4, 5)) == (2 / 5, 2 / 3, 2)
    assert shingles.exact(hashes(1, 2), hashes(1, 2)) == (1.0, 1.0, 2)
    assert shingles.exact(hashes(1, 2), hashes(3)) == (0.0, 0.0, 0)
    assert shingles.exact(hashes(), hashes(1)) == (0.0, 0.0, 0)
    assert shingles.exact(hashes(), hashes()) == (0.0, 0.0, 0)


def test_shingle_hashes() -> None:
    assert shingles.shingle_hashes("", 3).size == 0
    assert shingles.shingle_hashes("two words", 3).size == 1  # shorter than k: one shingle
    assert shingles.shingle_hashes("one two three four", 3).size == 2
    assert shingles.shingle_hashes("a b a b a b", 3).size == 2  # distinct shingles only
    folded = shingles.shingle_hashes("Library, FLOODED!", 3)
    assert np.array_equal(folded, shingles.shingle_hashes("library flooded", 3))


def test_estimate_from_packed_signatures() -> None:
    same = bytes([0x21, 0x43])  # the values 1, 2, 3, 4, two to a byte (low nibble first)
    half = bytes([0x21, 0x87])  # 1, 2, 7, 8: half of them equal
    other = bytes(b ^ 0x11 for b in same)  # every value differs
    assert shingles.packed_estimate(same, same, 100, 100) == (1.0, 1.0)
    assert shingles.packed_estimate(same, other, 100, 100) == (0.0, 0.0)
    assert shingles.packed_estimate(same, same, 0, 100) == (0.0, 0.0)
    j, c = shingles.packed_estimate(same, half, 100, 100)  # (0.5 - 1/16) / (15/16) = 7/15
    assert j == pytest.approx(7 / 15) and c == pytest.approx(2 * j / (1 + j))  # |A and B| = J (|A| + |B|) / (1 + J)
    assert shingles.packed_estimate(same, same, 10, 1000) == (1.0, 1.0)  # containment is capped at 1


@pytest.mark.parametrize("other", [REPORT, f"{HEADLINE}\n{REPORT}", APPENDED, UNRELATED])
def test_minhash_estimate_is_close_to_the_exact_measures(other: str) -> None:
    hasher = shingles.MinHasher(CFG.num_perm)
    a, b = shingles.shingle_hashes(REPORT, CFG.shingle_size), shingles.shingle_hashes(other, CFG.shingle_size)
    jaccard, containment, _ = shingles.exact(a, b)
    sig_a, sig_b = shingles.packed(hasher.minima(a)), shingles.packed(hasher.minima(b))
    est_j, est_c = shingles.packed_estimate(sig_a, sig_b, a.size, b.size)
    # 128 values of 4 bits: the Jaccard estimate's standard error is at most 0.05; containment
    # is derived from it and the set sizes, which widens the error when the sizes differ.
    assert est_j == pytest.approx(jaccard, abs=0.15) and est_c == pytest.approx(containment, abs=0.2)


def test_minima_are_stable_and_the_empty_text_has_all_ones() -> None:
    a, b = shingles.MinHasher(CFG.num_perm), shingles.MinHasher(CFG.num_perm)
    h = shingles.shingle_hashes(REPORT, CFG.shingle_size)
    assert np.array_equal(a.minima(h), b.minima(h)) and shingles.packed(a.minima(h)) == shingles.packed(b.minima(h))
    empty = a.minima(shingles.shingle_hashes("", 3))
    assert (empty == 2**64 - 1).all() and shingles.packed(empty) == b"\xff" * (CFG.num_perm // 2)


# -- properties ----------------------------------------------------------------------------------

VOCAB = words(REPORT)[:40] + words(UNRELATED)[:20]
texts = st.lists(st.sampled_from(VOCAB), max_size=60).map(" ".join)
hash_sets = st.sets(st.integers(0, 2**64 - 1), max_size=40).map(lambda s: hashes(*s))


@given(a=hash_sets, b=hash_sets)
def test_exact_matches_set_arithmetic(a: shingles.Hashes, b: shingles.Hashes) -> None:
    jaccard, containment, shared = shingles.exact(a, b)
    sa, sb = set(a.tolist()), set(b.tolist())
    assert shared == len(sa & sb)
    assert jaccard == (len(sa & sb) / len(sa | sb) if sa | sb else 0.0)
    assert containment == (len(sa & sb) / min(len(sa), len(sb)) if sa and sb else 0.0)
    assert shingles.exact(b, a) == (jaccard, containment, shared)


@given(a=texts, b=texts)
def test_similarity_properties(a: str, b: str) -> None:
    ab, ba = similarity(a, b), similarity(b, a)
    assert (ab.jaccard, ab.containment, ab.duplicate) == (ba.jaccard, ba.containment, ba.duplicate)
    assert 0.0 <= ab.jaccard <= ab.containment <= 1.0
    assert ab.duplicate == bool(ab.reason)
    assert ab.shared <= min(ab.shingles_a, ab.shingles_b)


@given(text=st.text(max_size=200))
def test_any_text_is_its_own_duplicate_once_it_has_a_word(text: str) -> None:
    s = similarity(text, text)
    if s.shingles_a:
        assert s.jaccard == 1.0 and s.reason == "jaccard"
    else:
        assert (s.jaccard, s.containment, s.duplicate) == (0.0, 0.0, False)
