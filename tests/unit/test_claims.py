"""The claim decision (pipeline.decide_claims), pure: what each scored item claims, with
its payloads read back through the codec."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from monitor import codec
from monitor.claims import decide_claims
from monitor.dedup.index import StoryMatch
from monitor.delivery.alerts import TopicRule, build_alerts
from monitor.items import Alert, Item, Recent, Scored, Source, TopicScore
from monitor.store import Claim

NOW = 1772366400.123456
PUBLISHED = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
RULES = {"syria": TopicRule("Syria", 0.5, ("hook", "mail"))}
FOLLOW_UP_AT = 3


def scored(n: int, score: float, source: str = "") -> Scored:
    item = Item(f"guid-{n}", source or f"outlet{n}", f"https://news.example.org/{n}", f"Story {n}", "Body.", PUBLISHED)
    return Scored(item, {"syria": TopicScore("syria", score, ("idlib",)), "energy": TopicScore("energy", 0.05)})


def match(story: str, is_new: bool, n_sources: int, new_source: bool = True) -> StoryMatch:
    sources = tuple(Source(f"guid-{i}", f"outlet{i}", f"https://news.example.org/{i}", PUBLISHED)
                    for i in range(n_sources))
    return StoryMatch(story, "guid-0", sources, is_new, n_sources, new_source)


def decide(batch: list[Scored], stories: dict[int, StoryMatch], follow_up_at: int = FOLLOW_UP_AT) -> list[Claim]:
    wanted = [build_alerts(s, RULES) for s in batch]
    return decide_claims(batch, wanted, stories, follow_up_at, NOW)


def sent(claim: Claim) -> list[Alert]:
    """The claim's alerts, decoded; each payload is keyed by its alert's short id."""
    decoded = [codec.decode_alert(payload) for _, payload in claim.alerts]
    assert [short_id for short_id, _ in claim.alerts] == [a.id for a in decoded]
    return decoded


def recent(claim: Claim) -> Recent:
    return codec.recent_from_fields(claim.recent)


def test_a_new_story_alerts_every_channel_with_the_story_set() -> None:
    item = scored(1, 0.8)
    story = match("story-a", True, 1)
    [claim] = decide([item], {0: story})
    built = build_alerts(item, RULES)
    assert claim.item_id == "guid-1"
    assert sent(claim) == [replace(a, story="story-a", sources=story.sources) for a in built]
    assert [(a.channel, a.kind) for a in sent(claim)] == [("hook", "alert"), ("mail", "alert")]
    assert recent(claim).story == "story-a"


def test_a_later_copy_without_follow_up_claims_no_alert() -> None:
    [claim] = decide([scored(2, 0.9)], {0: match("story-a", False, 2)})
    assert claim.alerts == () and claim.item_id == "guid-2"
    assert recent(claim).story == "story-a"  # still recorded, as part of the story


def test_the_n_th_source_brings_a_follow_up() -> None:
    item = scored(3, 0.7)
    story = match("story-a", False, FOLLOW_UP_AT)
    [claim] = decide([item], {0: story})
    assert sent(claim) == [replace(a, kind="follow_up", story="story-a", sources=story.sources)
                           for a in build_alerts(item, RULES)]
    # the story's sources, through the codec
    assert [s.item_id for s in sent(claim)[0].sources] == ["guid-0", "guid-1", "guid-2"]


def test_no_follow_up_before_or_after_the_n_th_source_or_from_a_known_source() -> None:
    for n_sources, new_source in ((FOLLOW_UP_AT - 1, True), (FOLLOW_UP_AT + 1, True), (FOLLOW_UP_AT, False)):
        [claim] = decide([scored(4, 0.7)], {0: match("story-a", False, n_sources, new_source)})
        assert claim.alerts == (), (n_sources, new_source)


def test_follow_up_sources_zero_never_follows_up() -> None:
    for n_sources in (0, 1, 2, 3):
        [claim] = decide([scored(5, 0.7)], {0: match("story-a", False, n_sources)}, follow_up_at=0)
        assert claim.alerts == ()


def test_without_near_dup_the_alerts_go_as_built() -> None:
    item = scored(6, 0.6)
    [claim] = decide([item], {})
    assert sent(claim) == build_alerts(item, RULES)
    assert all(a.story == "" and a.kind == "alert" for a in sent(claim))
    assert recent(claim).story is None


def test_an_item_under_every_threshold_claims_only_its_recent_record() -> None:
    [claim] = decide([scored(7, 0.2)], {})
    assert claim.alerts == ()
    assert recent(claim) == Recent(
        id="guid-7", source="outlet7", title="Story 7", url="https://news.example.org/7", published=PUBLISHED,
        story=None, seen_at=round(NOW, 3), scores={"syria": 0.2, "energy": 0.05},
        terms={"syria": ("idlib",), "energy": ()})


def test_a_batch_decides_each_item_by_its_own_match() -> None:
    batch = [scored(1, 0.8), scored(2, 0.8), scored(3, 0.1), scored(4, 0.8)]
    stories = {0: match("story-a", True, 1), 1: match("story-a", False, 2), 3: match("story-b", False, 3)}
    claims = decide(batch, stories)
    assert [c.item_id for c in claims] == ["guid-1", "guid-2", "guid-3", "guid-4"]
    assert [[a.kind for a in sent(c)] for c in claims] == [["alert", "alert"], [], [], ["follow_up", "follow_up"]]
    assert [recent(c).story for c in claims] == ["story-a", "story-a", None, "story-b"]
    assert recent(claims[0]).scores == {"syria": 0.8, "energy": 0.05}


def test_the_outbox_carries_the_text_a_channel_prints_and_labels_keep_it_whole() -> None:
    from monitor.defaults import TEXT_KEPT
    from monitor.delivery.alerts import SENT_TEXT_CHARS, prints_text
    from monitor.delivery.values import alert_values

    long = " ".join(f"Sentence {n} about talks in Idlib between Ankara and Moscow." for n in range(80))
    item = replace(scored(1, 0.9).item, text=long, title="")
    batch = [Scored(item, scored(1, 0.9).scores)]
    wanted = [build_alerts(s, RULES) for s in batch]
    [claim] = decide_claims(batch, wanted, {}, FOLLOW_UP_AT, NOW, full_text={"mail"})
    on = {a.channel: a for a in sent(claim)}
    whole = {a.channel: a for a in (codec.decode_alert(k) for k in claim.kept)}
    kept = long[:TEXT_KEPT]
    assert len(on["hook"].text) == SENT_TEXT_CHARS and on["mail"].text == kept  # mail's templates print text
    assert whole["hook"].text == kept and whole["mail"].text == kept
    for field in ("lead", "title"):  # what the default templates print reads the same
        assert alert_values(on["hook"])[field] == alert_values(whole["hook"])[field]
    assert prints_text("", "{{ title }}: {{ text }}") and not prints_text("", "{{ lead }} {{ title }}")
