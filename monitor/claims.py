"""What each scored item claims (pure): its alerts as built, with its near-duplicate story,
and its record for `recent`; process.py decides them after the near-duplicate check and
hands them to the store's claim."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from monitor import codec
from monitor.dedup.index import StoryMatch
from monitor.delivery import alerts
from monitor.items import Alert, Recent, Scored
from monitor.store import Claim


def feed_scoped(item_id: str, source: str) -> str:
    """The id an item is claimed under when its feed's own rules (`mute`, `topics`) took
    every alert away: seen for that feed only, so a copy in another feed still alerts (a
    feed muting "Idlib" polled first cancelled the alert of every other feed carrying it)."""
    return "f" + hashlib.sha1(f"{source}\n{item_id}".encode("utf-8", "surrogatepass")).hexdigest()[:len(item_id) - 1]


def decide_claims(batch: Sequence[Scored], wanted: Sequence[list[Alert]], stories: Mapping[int, StoryMatch],
                  follow_up_sources: int, now: float, full_text: Collection[str] | None = None,
                  gated: Collection[int] = ()) -> list[Claim]:
    """The claim of each scored item (pure): its alerts as built, with the story set when
    it starts one; a later copy of a story already alerted claims only a follow-up, when
    it brings the story's `follow_up_sources`-th source (0: never), else nothing. The
    outbox carries an alert's text cut to what its channel prints, unless the channel is
    in `full_text` (None: every channel); the whole alert is kept for labels. The items
    at `gated` are claimed under their feed-scoped id (feed_scoped)."""
    claims = []
    for i, scored in enumerate(batch):
        story = stories.get(i)
        found = wanted[i]
        if story is not None and story.is_new:
            found = [replace(a, story=story.story_id, sources=story.sources) for a in found]
        elif story is not None:
            follow = story.new_source and story.n_sources == follow_up_sources > 0
            found = [replace(a, kind="follow_up", story=story.story_id, sources=story.sources)
                     for a in found] if follow else []
        sent = [alerts.as_sent(a, full_text is None or a.channel in full_text) for a in found]
        payloads = tuple((a.id, codec.encode_alert(a)) for a in sent)
        kept = _kept(found, sent, payloads)
        record = _recent_record(scored, story.story_id if story else None, now)
        claim_id = feed_scoped(scored.item.id, scored.item.source) if i in gated else scored.item.id
        claims.append(Claim(claim_id, record, payloads, kept))
    return claims


def _kept(found: list[Alert], sent: list[Alert], payloads: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Each alert whole, when the outbox carries one cut (else empty: as sent). as_sent gives
    back the alert itself when it keeps its text: its payload is its whole, not encoded twice."""
    if all(s is a for s, a in zip(sent, found, strict=True)):
        return ()
    return tuple(payload if s is a else codec.encode_alert(a) for (_, payload), s, a in zip(payloads, sent, found,
                                                                                            strict=True))


def _recent_record(scored: Scored, story_id: str | None, now: float) -> dict[str, Any]:
    """What `recent` keeps of an item, as the JSON fields the claim stores."""
    item = scored.item
    return codec.recent_fields(Recent(
        id=item.id, source=item.source, title=item.title, url=item.url, published=item.published,
        story=story_id, seen_at=round(now, 3),
        scores={t: round(s.score, 4) for t, s in scored.scores.items()},
        terms={t: s.terms for t, s in scored.scores.items()}, language=item.language,
    ))
