"""The surge test, its settings, its alert's codec and templates: pure, no Redis."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import settings as settings_h
from hypothesis import strategies as st
from scipy.special import pdtrc

from monitor import codec, settings
from monitor.delivery.policy import ChannelPolicy, decide, parse_quiet_hours
from monitor.delivery.templates import Templates
from monitor.errors import SettingsError
from monitor.items import Alert, SurgeFacts, SurgeStory
from monitor.surge.model import SurgeConfig, Verdict, assess, sparkline, sums, tail

CFG = SurgeConfig("trs", "TRS", 0.6, ("desk",))
NOW = 1_780_000_000.0 + 3 * 86400
B = CFG.bucket_of(NOW)


def judge(counts: dict[int, int], since: float, now: float, sources: int) -> Verdict:
    return assess(CFG, *sums(CFG, counts, since, now), since, now, sources)


def test_tail_is_the_poisson_upper_tail() -> None:
    assert tail(0, 2.0) == 1.0
    assert tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert tail(3, 0.25) == pytest.approx(1 - math.exp(-0.25) * (1 + 0.25 + 0.25 ** 2 / 2))
    assert tail(5, 0.0) == 0.0


@settings_h(max_examples=2000, deadline=None)
@given(st.integers(0, 3000), st.floats(1e-6, 3000, allow_nan=False))
def test_tail_agrees_with_scipy_everywhere(k: int, expected: float) -> None:
    """scipy's Poisson tail is the reference (the service's own tail spares its process
    scipy): the same to 1e-9 relative, or both below 1e-300."""
    want = 1.0 if k <= 0 else float(pdtrc(k - 1, expected))
    got = tail(k, expected)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-300)


def test_a_window_is_tested_against_the_history_before_it() -> None:
    quiet = {B - 8 - 12 * i: 1 for i in range(24)}  # 24 stories in the 3 days before the window
    burst = {B - i: 2 for i in range(3)}  # 6 in the window
    v = judge({**quiet, **burst}, NOW - 3 * 86400, NOW, sources=4)
    assert v.stories == 6 and v.expected == pytest.approx(25 / (3 * 86400 - 7200) * 7200, rel=0.02)
    assert v.positive and v.elevated
    assert not judge({**quiet, **burst}, NOW - 3 * 86400, NOW, sources=2).positive  # too few sources
    assert not judge(quiet, NOW - 3 * 86400, NOW, sources=9).positive


def test_too_little_history_does_not_fire_and_silence_is_no_zero_rate() -> None:
    v = judge({B: 9}, NOW - 86400, NOW, sources=9)
    assert v.learning and not v.positive and v.history < CFG.min_history
    silent = judge({B: 2}, NOW - 10 * 86400, NOW, sources=9)  # two stories after ten silent days
    assert not silent.positive and silent.expected == pytest.approx(7200 / (10 * 86400 - 7200), rel=0.01)
    three = judge({B: 3}, NOW - 10 * 86400, NOW, sources=3)  # three, from three outlets: news
    assert three.positive and three.p_value < 1e-6


def test_sparkline_shows_the_last_days_oldest_first() -> None:
    line = sparkline({B: 4, B - 4 * 24 * 6: 2}, CFG, NOW, days=7, per_day=4)
    assert len(line) == 28 and line[-1] == "█" and line[3] != "▁" and set(line[:3]) == {"▁"}


@pytest.mark.parametrize("key,value,message", [
    ("surge_baseline", '"1d"\nsurge_window = "12h"', "surge_baseline: must be at least four times surge_window"),
    ("surge_window", '"5m"', "surge_window: Input should be greater than or equal to 900"),
    ("surge_sensitivity", "0.0", "surge_sensitivity: Input should be greater than 0"),
    ("surge_min_sources", "0", "surge_min_sources: Input should be greater than or equal to 1"),
])
def test_surge_settings_are_validated(key: str, value: str, message: str) -> None:
    import tomllib
    raw = tomllib.loads(f'[topics.trs]\ntitle = "T"\nthreshold = 0.5\n{key} = {value}\n')
    with pytest.raises(SettingsError) as err:
        settings.validate(raw, "settings.toml")
    assert str(err.value).startswith(f"settings.toml: topics.trs.{message}")


def surge_alert(title: str = "Strike <b>@channel</b> [x](javascript:y)") -> Alert:
    facts = SurgeFacts(7200.0, 9, 5, 0.8, 1.2e-7, (SurgeStory(title, "https://n.example/1", ("bbc", "tass")),))
    return Alert(id="abcd1234", channel="desk", topic="trs", topic_title="TRS", score=1.0, threshold=0.0,
                 terms=(), item_id="", source="bbc", title="9 stories from 5 sources in 2h (usually 0.8)",
                 url="https://n.example/1", published=datetime(2026, 3, 1, tzinfo=UTC), kind="surge",
                 story="surge:abcd1234", surge=facts)


def test_a_surge_alert_crosses_redis_whole() -> None:
    alert = surge_alert()
    assert codec.decode_alert(codec.encode_alert(alert)) == alert
    plain = Alert(**{**{f: getattr(alert, f) for f in alert.__slots__}, "surge": None, "kind": "alert"})
    assert '"surge":' not in codec.encode_alert(plain)  # other alerts are stored as before


@pytest.mark.parametrize("fmt,escaped", [("text", "Strike <b>@\u200bchannel</b>"),
                                          ("markdown", "Strike \\<b\\>@\u200bchannel\\</b\\>"),
                                          ("html", "Strike &lt;b&gt;@\u200bchannel&lt;/b&gt;")])
def test_the_surge_body_says_what_changed_with_feed_text_escaped(fmt: str, escaped: str) -> None:
    title, body = Templates(fmt).render_alert(surge_alert())
    assert title.startswith("Surge: ") and "9 stories from 5 sources in the last 2h" in body
    assert "usual" in body and "(bbc, tass)" in body and "https://n.example/1" in body
    assert escaped in body and "@channel" not in body


def test_a_custom_body_template_reads_the_surge() -> None:
    t = Templates("text", body="{{ kind }} {{ surge.stories if surge else '-' }} {{ surge.top[0].sources }}")
    assert t.render_alert(surge_alert())[1] == "surge 9 bbc, tass"


def test_a_surge_breaks_through_quiet_hours_but_not_a_digest_channel() -> None:
    quiet = ChannelPolicy(quiet=parse_quiet_hours("00:00-23:59"))
    at = datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp()
    assert decide(quiet, 1.0, at, 0) == ("fold", "quiet hours")
    assert decide(quiet, 1.0, at, 0, urgent=True) == ("send", "immediate")
    assert decide(ChannelPolicy(mode="digest", digest_every=3600), 1.0, at, 0, urgent=True)[0] == "fold"
