"""Alert building: which topics over their thresholds alert which channels, and the
operator and test alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from monitor.delivery import alerts
from monitor.delivery.alerts import TopicRule
from monitor.items import Alert, Item, Scored, TopicScore

PUBLISHED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=3)))
ITEM = Item("guid-1", "feed", "https://news.example.org/1", "Talks in Idlib", "Body text.", PUBLISHED)
RULES = {
    "syria": TopicRule("Syria", 0.5, ("hook", "mail")),
    "energy": TopicRule("Energy", 0.6, ("hook",)),
    "quiet": TopicRule("Quiet", 0.1, ()),  # a topic that notifies nobody
}


def scored(item: Item = ITEM, **scores: float) -> Scored:
    return Scored(item, {t: TopicScore(t, s, (f"{t}-term",)) for t, s in scores.items()})


def test_one_alert_per_topic_over_threshold_and_channel_it_notifies() -> None:
    built = alerts.build_alerts(scored(syria=0.81234567, energy=0.59, quiet=0.9), RULES)
    assert [(a.topic, a.channel) for a in built] == [("syria", "hook"), ("syria", "mail")]
    first = built[0]
    assert first == Alert(
        id=alerts.alert_id("guid-1", "syria"), channel="hook", topic="syria", topic_title="Syria",
        score=0.8123, threshold=0.5, terms=("syria-term",), item_id="guid-1", source="feed",
        title="Talks in Idlib", url="https://news.example.org/1", published=PUBLISHED, text="Body text.",
    )
    assert first.kind == "alert" and first.story == ""
    assert built[1] == Alert(**{**_plain(first), "channel": "mail"})


def test_a_score_equal_to_the_threshold_alerts() -> None:
    assert [a.topic for a in alerts.build_alerts(scored(syria=0.5, energy=0.6), RULES)] == [
        "syria", "syria", "energy"]


def test_no_alert_below_threshold_or_for_topics_without_scores_or_rules() -> None:
    assert alerts.build_alerts(scored(syria=0.4999, energy=0.1), RULES) == []
    assert alerts.build_alerts(scored(), RULES) == []
    assert alerts.build_alerts(scored(unknown=0.99), RULES) == []
    assert alerts.build_alerts(scored(syria=0.9), {}) == []


def test_alert_id_is_short_stable_per_item_and_topic() -> None:
    assert alerts.alert_id("guid-1", "syria") == alerts.alert_id("guid-1", "syria")
    assert len(alerts.alert_id("guid-1", "syria")) == 8
    assert alerts.alert_id("guid-1", "syria") != alerts.alert_id("guid-1", "energy")
    assert alerts.alert_id("guid-1", "syria") != alerts.alert_id("guid-2", "syria")


def test_published_stays_a_datetime_and_text_is_cut() -> None:
    long = Item("guid-2", "feed", "https://x.example/2", "T", "w" * (alerts.TEXT_KEPT + 500), PUBLISHED)
    [alert] = alerts.build_alerts(scored(long, energy=0.7), RULES)
    assert alert.published is PUBLISHED  # converted to text only by the codec
    assert len(alert.text) == alerts.TEXT_KEPT


def test_health_alert() -> None:
    moment = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    alert = alerts.health_alert("ops", "Feed 'a' is failing", "HTTP 503", moment.timestamp())
    assert (alert.kind, alert.channel, alert.topic, alert.topic_title) == ("health", "ops", "health", "Monitor health")
    assert (alert.title, alert.text, alert.published) == ("Feed 'a' is failing", "HTTP 503", moment)
    assert len(alert.id) == 8 and alert.id != alerts.health_alert("ops", "x", "y").id


def test_test_alert() -> None:
    alert = alerts.test_alert("hook")
    assert (alert.kind, alert.channel, alert.id, alert.terms) == ("test", "hook", "test0000", ("test",))
    assert abs(alert.published - datetime.now(tz=UTC)) < timedelta(minutes=1)


def _plain(alert: Alert) -> dict[str, object]:
    return {name: getattr(alert, name) for name in Alert.__dataclass_fields__}
