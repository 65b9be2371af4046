"""The recent alerts as a feed any reader can follow: `/alerts.atom` (Atom, written with
feedgen) and `/alerts.json` (JSON Feed 1.1), served beside /healthz and /metrics when
`[monitor] http` is set; `?topic=NAME` keeps one topic.

Feed text is shown as alerts show it (delivery/values.py): without bidirectional overrides
and isolates, which a hostile feed's headline carries through ingestion (U+202E makes
"gpj.exe" read "exe.jpg" in a reader), nor other controls.

Read-only: the recent items (the `recent` stream) name the alerts they started, whose
records are kept under their short id for `[dedup] seen_ttl` (keys.alert); a story's
sources come from the near-duplicate index. Nothing is written for the feed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from monitor import defaults
from monitor.delivery.alerts import alert_id
from monitor.delivery.values import headline, one_line, safe_link, shown_terms, strip_controls
from monitor.items import Alert, Source
from monitor.store import Store, redis_errors

if TYPE_CHECKING:
    from monitor.runtime import Runtime

TITLE = "monitor alerts"
FEED_ID = "urn:monitor:alerts"  # not the URL asked for: its Host is the client's to say
READ_CHUNK = 250  # recent records whose alerts one MGET reads


@dataclass(frozen=True)
class FeedAlert:
    alert: Alert
    sources: tuple[Source, ...]  # the story's outlets, first first (empty: no story)


def recent_alerts(store: Store, topics: Iterable[str], limit: int = defaults.ALERT_FEED_ITEMS,
                  topic: str | None = None, stories: Any = None) -> list[FeedAlert]:
    """The newest `limit` alerts of the recent items (of `topic` alone, if given), newest first."""
    from monitor import codec

    wanted = [t for t in topics if topic is None or t == topic]
    out: list[FeedAlert] = []
    records = store.recent(defaults.RECENT_MAX)
    # The alerts of READ_CHUNK records a round trip: one MGET a record made a request for a
    # quiet topic 5,000 round trips, on the Redis threads that polls and sends share.
    for start in range(0, len(records) if wanted else 0, READ_CHUNK):
        ids = [alert_id(r.id, t) for r in records[start:start + READ_CHUNK] for t in wanted]
        with redis_errors("reading alerts"):
            raws = cast(list[bytes | None], store.redis.mget([store.keys.alert(i) for i in ids]))
        for raw in raws:
            if raw is not None:
                alert = codec.decode_alert(raw)
                story = stories.story(alert.story) if stories is not None and alert.story else None
                out.append(FeedAlert(alert, story.sources if story is not None else ()))
        if len(out) >= limit:
            break
    return out[:limit]


def _shown(a: FeedAlert) -> FeedAlert:
    """The alert and its sources with the text a reader sees cleaned (the module says how)."""
    alert = a.alert
    return FeedAlert(replace(alert, title=headline(alert.title, alert.text), source=one_line(alert.source),
                             topic_title=one_line(alert.topic_title), text=strip_controls(alert.text)),
                     tuple(replace(s, source=one_line(s.source)) for s in a.sources))


def _summary(a: FeedAlert) -> str:
    alert = a.alert
    terms = ", ".join(shown_terms(alert.terms, f"{alert.title}\n{alert.text}"))  # as the text writes them
    lines = [f"{alert.topic_title}: score {alert.score:.2f} (threshold {alert.threshold:.2f})",
             f"Terms: {terms}", f"Source: {alert.source}"]
    if len(a.sources) > 1:
        lines.append("Also from: " + ", ".join(f"{s.source} {_web(s.url) or ''}".rstrip() for s in a.sources[1:]))
    if alert.text:
        lines += ["", alert.text]
    return "\n".join(lines)


def atom(alerts: Sequence[FeedAlert], self_url: str, now: datetime | None = None, topic: str | None = None) -> bytes:
    """An Atom document of the alerts (feedgen escapes every value)."""
    from feedgen.feed import FeedGenerator

    gen = FeedGenerator()
    gen.id(f"{FEED_ID}:{topic}" if topic else FEED_ID)
    gen.title(TITLE)
    gen.link(href=self_url, rel="self")
    gen.updated(alerts[0].alert.published if alerts else now or datetime.now(tz=UTC))
    for a in map(_shown, reversed(alerts)):  # feedgen prepends: add oldest first, the newest ends on top
        alert, entry = a.alert, gen.add_entry()
        entry.id(f"urn:monitor:alert:{alert.id}")
        entry.title(f"[{alert.topic_title}] {alert.title}")
        entry.published(alert.published)
        entry.updated(alert.published)
        entry.author(name=alert.source)
        entry.category(term=alert.topic, label=alert.topic_title)
        if link := _web(alert.url):
            entry.link(href=link)
            entry.summary(_summary(a))
        else:  # Atom wants a link or a content: one alert without a link made every request a 500
            entry.content(_summary(a), type="text")
    return cast(bytes, gen.atom_str(pretty=True))


def json_feed(alerts: Sequence[FeedAlert], self_url: str) -> str:
    """A JSON Feed 1.1 document; the monitor's own fields are in `_monitor` (its extension)."""
    items = [{
        "id": a.alert.id, "url": _web(a.alert.url), "title": f"[{a.alert.topic_title}] {a.alert.title}",
        "content_text": _summary(a), "date_published": a.alert.published.isoformat(),
        "authors": [{"name": a.alert.source}], "tags": [a.alert.topic], "language": a.alert.language,
        "_monitor": _extension(a),
    } for a in map(_shown, alerts)]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": TITLE, "feed_url": self_url,
                       "items": [{k: v for k, v in item.items() if v is not None} for item in items]},
                      indent=2, ensure_ascii=False)


def _extension(a: FeedAlert) -> Mapping[str, Any]:
    alert = a.alert
    return {"topic": alert.topic, "topic_title": alert.topic_title, "score": alert.score,
            "threshold": alert.threshold, "terms": list(alert.terms), "kind": alert.kind,
            "judged_on": alert.judged_on, "story": alert.story or None,
            "sources": [{"source": s.source, "url": _web(s.url), "published": s.published.isoformat()}
                        for s in a.sources]}


def _web(url: str) -> str | None:
    """The link as alerts print it (values.safe_link: http(s) with a host, no userinfo), else
    None: a feed's `javascript:` or `data:` link is not passed on."""
    return str(safe_link(url)) or None


def _self_url(request: Any) -> str:
    """The URL the client asked for; its path alone when its Host makes no URL (a port
    of 99999 raised out of the view: a 500 and a traceback each request)."""
    try:
        return str(request.url)
    except ValueError:
        return str(request.rel_url)


def routes(rt: Runtime, topics: Callable[[], Sequence[str]]) -> list[tuple[str, Any]]:
    """The two feed views for metrics.start_http; `topics` gives the topics configured now
    (a reload may change them). Redis is read in the runtime's threads, off the loop."""
    from aiohttp import web

    async def read(request: web.Request) -> list[FeedAlert] | web.Response:
        topic = request.query.get("topic")
        if topic is not None and topic not in topics():
            return web.Response(status=404, text=f"no topic {topic!r}; topics: {', '.join(topics())}\n")
        return await rt.io(recent_alerts, rt.store, topics(), defaults.ALERT_FEED_ITEMS, topic, rt.neardup)

    async def atom_view(request: web.Request) -> web.Response:
        found = await read(request)
        if isinstance(found, web.Response):
            return found
        body = atom(found, _self_url(request), topic=request.query.get("topic"))
        return web.Response(body=body, content_type="application/atom+xml", charset="utf-8")

    async def json_view(request: web.Request) -> web.Response:
        found = await read(request)
        if isinstance(found, web.Response):
            return found
        return web.Response(text=json_feed(found, _self_url(request)), content_type="application/feed+json")

    return [("/alerts.atom", atom_view), ("/alerts.json", json_view)]
