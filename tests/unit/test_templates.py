"""Escaping of hostile feed text, rendering of alert, health and digest bodies from typed
values, templates compiled once per channel, and how a digest groups its alerts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from jinja2.environment import Environment
from markupsafe import escape

from monitor.delivery import templates, values
from monitor.delivery.policy import group_digest
from monitor.delivery.templates import Templates, defuse, escape_markdown
from monitor.items import Alert, Digest

HOSTILE = "<script>alert(1)</script> @channel **bold** [click](http://evil.example) <!everyone> @here"
ZW = "\u200b"
ALERT = Alert(
    id="a0000001", channel="hook", topic="t1", topic_title="T1", score=0.8123, threshold=0.5,
    terms=("erdogan", "idlib"), item_id="item1", source="feed", title="Story 1", url="https://news.example.org/1",
    published=datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=3))), text="Body text.", story="s1",
)


def alert(n: int, score: float, topic_title: str = "T1", story: str = "", title: str = "") -> Alert:
    return replace(ALERT, id=f"a{n:07d}", item_id=f"item{n}", title=title or f"Story {n}", score=score,
                   topic_title=topic_title, story=story, url=f"https://news.example.org/{n}")


# -- escaping ------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "safe"), [
    ("@channel and @here", f"@{ZW}channel and @{ZW}here"),
    ("＠everyone", f"＠{ZW}everyone"),  # the full-width at sign too
    ("@ROOM @all", f"@{ZW}ROOM @{ZW}all"),
    ("<!everyone> <@U123> <#C1>", f"<{ZW}!everyone> <{ZW}@U123> <{ZW}#C1>"),
    ("bell\x07 and nul\x00 gone\x7f", "bell and nul gone"),
    ("@bob and @channels stay; tabs\tand\nnewlines stay", "@bob and @channels stay; tabs\tand\nnewlines stay"),
])
def test_defuse(raw: str, safe: str) -> None:
    assert defuse(raw) == safe


def test_escape_markdown_escapes_every_special_character_and_defuses() -> None:
    assert escape_markdown("**bold** [x](y) `c` #h _i_ a\\b") == (
        "\\*\\*bold\\*\\* \\[x\\]\\(y\\) \\`c\\` \\#h \\_i\\_ a\\\\b")
    assert escape_markdown("@here") == f"@{ZW}here"
    assert escape_markdown("plain words") == "plain words"


@pytest.mark.parametrize("fmt", templates.FORMATS)
def test_hostile_headline_is_escaped_in_every_format(fmt: str) -> None:
    title, body = Templates(fmt).render_alert(replace(ALERT, title=HOSTILE, text=HOSTILE))
    for text in (title, body):
        assert "@channel" not in text and "@here" not in text and "<!everyone>" not in text
    # the title is escaped for the format, as the body is (apprise may blend it into the body)
    assert title == {"text": f"[T1] {defuse(HOSTILE)}", "markdown": f"[T1] {escape_markdown(HOSTILE)}",
                     "html": f"[T1] {escape(defuse(HOSTILE))}"}[fmt]
    if fmt == "html":
        assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert body.startswith('<p dir="auto"><b>')  # the template's own markup is kept
    if fmt == "markdown":
        assert "\\*\\*bold\\*\\*" in body and "[click](http" not in body and body.startswith("**")


# -- rendering typed alerts ------------------------------------------------------------------


def test_text_alert_body() -> None:
    assert Templates("text").render_alert(ALERT) == ("[T1] Story 1", (
        "Story 1\n"
        "Source: feed | Language: und | Published: 2026-03-01 06:30 UTC\n"  # 09:30 at +03:00, shown in UTC
        "Topic: T1 | Score: 0.81 (threshold 0.50, on the feed text)\n"
        "Why: erdogan, idlib\n"
        "https://news.example.org/1\n"
        "\nBody text.\n\n"
        "Alert id: a0000001"))


def test_html_and_markdown_alert_bodies() -> None:
    _, html = Templates("html").render_alert(ALERT)
    assert '<p><a href="https://news.example.org/1">https://news.example.org/1</a></p>' in html
    assert "<p><i>T1</i>: score 0.81 (threshold 0.50, on the feed text)</p>" in html
    _, markdown = Templates("markdown").render_alert(ALERT)
    assert "*T1*: score 0\\.81 (threshold 0\\.50, on the feed text)" in markdown and "Alert id: `a0000001`" in markdown


def test_html_headline_and_lead_take_their_own_direction() -> None:
    """An Arabic headline in a <p> of the page's left-to-right flow was laid out from the
    left: its closing punctuation and figures at the wrong end. dir="auto" gives the title,
    the lead, a digest's lines and a story's sources the direction of their first letter."""
    arabic = replace(ALERT, title="مقتل جنديين تركيين في إدلب", text="قالت وزارة الدفاع التركية إن جنديين قتلا.")
    _, html = Templates("html").render_alert(arabic)
    assert f'<p dir="auto"><b>{arabic.title}</b></p>' in html and f'<p dir="auto">{arabic.text}</p>' in html
    _, digest = Templates("html").render_digest(Digest("d1", "hook", (arabic,)))
    assert f'<li dir="auto">0.81 <a href="https://news.example.org/1">{arabic.title}</a>' in digest


def test_kind_prefixes_no_terms_and_no_lead() -> None:
    text = Templates("text")
    assert text.render_alert(replace(ALERT, kind="follow_up"))[0] == "Follow-up: [T1] Story 1"
    title, body = text.render_alert(replace(ALERT, kind="test", terms=(), text=""))
    assert title == "Test: [T1] Story 1"
    assert "Why: (no terms)\n" in body and body.endswith("https://news.example.org/1\nAlert id: a0000001")


def test_health_body() -> None:
    health = replace(ALERT, kind="health", topic_title="Monitor health", title="Channel 'hook' is failing",
                     text="5 sends in a row failed.", published=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert Templates("text").render_alert(health) == (
        "Monitor: [Monitor health] Channel 'hook' is failing",
        "Channel 'hook' is failing\n5 sends in a row failed.\nAt: 2026-03-02 12:00 UTC")
    assert Templates("html").render_alert(health)[1] == (
        "<p><b>Channel &#39;hook&#39; is failing</b></p><p>5 sends in a row failed.</p><p>At: 2026-03-02 12:00 UTC</p>")


def test_lead_is_cut_at_a_word_boundary() -> None:
    words = "word " * 100
    _, body = Templates("text").render_alert(replace(ALERT, text=words))
    lead = body.split("\n\n")[1]
    assert lead.endswith("word …") and len(lead) <= values.LEAD_CHARS + 2
    assert values.alert_values(replace(ALERT, text="short"))["lead"] == "short"


def test_custom_templates_see_the_alert_fields() -> None:
    custom = Templates("text", title="{{ prefix }}{{ topic }}/{{ kind }}",
                       body="{{ score }} {{ threshold }} {{ terms }} {{ story }} {{ item_id }} {{ published }}")
    assert custom.render_alert(replace(ALERT, kind="follow_up")) == (
        "Follow-up: t1/follow_up", "0.81 0.50 erdogan, idlib s1 item1 2026-03-01 06:30 UTC")
    # a custom body serves health alerts too
    assert custom.render_alert(replace(ALERT, kind="health"))[1].startswith("0.81 0.50")


def test_digest_title_and_body() -> None:
    digest = Digest("d1", "hook", (alert(1, 0.7, story="s1"), alert(2, 0.95, "T2", "s2"),
                                   alert(3, 0.9, story="s3"), alert(4, 0.6, story="s3")))
    title, body = Templates("text").render_digest(digest)
    assert title == "Digest: 4 alerts"
    assert body == (
        "T2 (1)\n- 0.95 Story 2 (feed; 1 source)\n  https://news.example.org/2\n\n"
        "T1 (3)\n- 0.90 Story 3 (feed, 2 alerts; 1 source)\n  https://news.example.org/3\n"
        "- 0.70 Story 1 (feed; 1 source)\n  https://news.example.org/1\n\n")
    assert Templates("text").render_digest(Digest("d2", "hook", (ALERT,)))[0] == "Digest: 1 alert"
    _, html = Templates("html").render_digest(replace(digest, alerts=(alert(5, 0.8, title=HOSTILE),)))
    assert html.startswith('<h3>T1 (1)</h3><ul><li dir="auto">0.80 <a href=') and "<script>" not in html


# -- compiled once -----------------------------------------------------------------------------


def test_templates_compile_when_built_and_never_when_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    built = [Templates(fmt, title="{{ title }}!", body="{{ url }}") for fmt in templates.FORMATS]
    built += [Templates(fmt) for fmt in templates.FORMATS]
    digest = Digest("d", "hook", (ALERT,))

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("a template was compiled while sending")

    monkeypatch.setattr(Environment, "from_string", no_compiling)
    monkeypatch.setattr(Environment, "__init__", no_compiling)
    for channel in built:
        assert channel.render_alert(ALERT)[0] and channel.render_digest(digest)[0]
        assert channel.render_alert(replace(ALERT, kind="health"))[1]


def test_one_sandbox_per_format() -> None:
    assert templates.environment("html") is templates.environment("html")
    assert templates.environment("html") is not templates.environment("text")
    assert templates.environment("html").autoescape and not templates.environment("markdown").autoescape
    assert Templates("text", "{{ title }}") == Templates("text", "{{ title }}")


@pytest.mark.parametrize(("args", "message"), [
    (("text", "{{ title", ""), "title_template: unexpected end of template"),
    (("html", "", "{% if %}"), "body_template: "),
    (("rtf", "", ""), "format must be one of text, markdown, html"),
])
def test_a_template_that_does_not_compile_fails_when_built(args: tuple[str, str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Templates(*args)
    with pytest.raises(ValueError, match=message):
        templates.compile_templates(*args)


def test_templates_run_sandboxed() -> None:
    evil = Templates("text", body="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(templates.TemplateFailed, match="^body_template: access to attribute '__class__'"):
        evil.render_alert(ALERT)


# -- digest grouping ---------------------------------------------------------------------------


def test_group_digest_by_topic_then_story_best_first() -> None:
    a1, a2, a3, a4 = alert(1, 0.7, story="s1"), alert(2, 0.95, "T2", "s2"), alert(3, 0.9, story="s3"), alert(
        4, 0.6, story="s3")
    topics = group_digest([a1, a2, a3, a4])
    assert [(title, count) for title, count, _ in topics] == [("T2", 1), ("T1", 3)]
    t1_groups = topics[1][2]
    assert [(g.story, g.alerts) for g in t1_groups] == [("s3", (a3, a4)), ("s1", (a1,))]
    assert t1_groups[0].best is a3 and t1_groups[0].topic_title == "T1"


def test_group_digest_alert_without_story_is_its_own_group() -> None:
    lone, other = alert(1, 0.5), alert(2, 0.6)
    [(_, count, groups)] = group_digest([lone, other])
    assert count == 2 and [g.story for g in groups] == ["item2", "item1"]


def test_group_digest_lower_copy_first_still_sorts_best_first() -> None:
    low, high = alert(1, 0.55, story="s"), alert(2, 0.85, story="s")
    [(_, _, [group])] = group_digest([low, high])
    assert group.alerts == (high, low) and group_digest([]) == []
