"""How an alert or a digest reads: Jinja2 templates, sandboxed, with feed text escaped.

Feed text is hostile input. Every value a template prints passes through an escaper for
the channel's format, so a headline cannot inject markup, links or mass mentions:
- text:     mentions (@channel, @everyone, @here, <!channel>) are defused;
- markdown: the same, and Markdown's special characters are backslash-escaped;
- html:     the same, and the template is autoescaped.
Templates run in Jinja's sandbox: a user's template cannot reach Python internals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from monitor.delivery.policy import group_digest

FORMATS = ("text", "markdown", "html")
LEAD_CHARS = 300  # characters of the article shown under an alert
ZERO_WIDTH = "\u200b"
MENTION_RE = re.compile(r"([@＠])(?=(channel|everyone|here|all|room)\b)", re.I)
SLACK_SPECIAL_RE = re.compile(r"<(?=[!@#])")
MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

DEFAULT_TITLE = "{{ prefix }}[{{ topic_title }}] {{ title }}"
DEFAULT_BODY = {
    "text": (
        "{{ title }}\n"
        "Source: {{ source }} | Published: {{ published }}\n"
        "Topic: {{ topic_title }} | Score: {{ score }} (threshold {{ threshold }})\n"
        "Why: {{ terms }}\n"
        "{{ url }}\n"
        "{% if lead %}\n{{ lead }}\n\n{% endif %}"
        "Alert id: {{ id }}"
    ),
    "markdown": (
        "**{{ title }}**\n\n"
        "{{ source }} · {{ published }}\n\n"
        "*{{ topic_title }}*: score {{ score }} (threshold {{ threshold }})\n\n"
        "Why: {{ terms }}\n\n"
        "<{{ url }}>\n\n"
        "{% if lead %}{{ lead }}\n\n{% endif %}"
        "Alert id: `{{ id }}`"
    ),
    "html": (
        "<p><b>{{ title }}</b></p>"
        "<p>{{ source }} · {{ published }}</p>"
        "<p><i>{{ topic_title }}</i>: score {{ score }} (threshold {{ threshold }})</p>"
        "<p>Why: {{ terms }}</p>"
        '<p><a href="{{ url }}">{{ url }}</a></p>'
        "{% if lead %}<p>{{ lead }}</p>{% endif %}"
        "<p>Alert id: <code>{{ id }}</code></p>"
    ),
}
HEALTH_BODY = {
    "text": "{{ title }}\n{{ text }}\nAt: {{ published }}",
    "markdown": "**{{ title }}**\n\n{{ text }}\n\nAt: {{ published }}",
    "html": "<p><b>{{ title }}</b></p><p>{{ text }}</p><p>At: {{ published }}</p>",
}
DIGEST_TITLE = "Digest: {{ count }} alert{{ 's' if count != 1 else '' }}"
DIGEST_BODY = {
    "text": (
        "{% for topic in topics %}{{ topic.title }} ({{ topic.count }})\n"
        "{% for g in topic.groups %}- {{ g.score }} {{ g.title }} ({{ g.source }}"
        "{% if g.count > 1 %}, {{ g.count }} alerts{% endif %})\n  {{ g.url }}\n{% endfor %}\n{% endfor %}"
    ),
    "markdown": (
        "{% for topic in topics %}**{{ topic.title }}** ({{ topic.count }})\n\n"
        "{% for g in topic.groups %}- {{ g.score }} {{ g.title }} ({{ g.source }}"
        "{% if g.count > 1 %}, {{ g.count }} alerts{% endif %}) <{{ g.url }}>\n{% endfor %}\n{% endfor %}"
    ),
    "html": (
        "{% for topic in topics %}<h3>{{ topic.title }} ({{ topic.count }})</h3><ul>"
        '{% for g in topic.groups %}<li>{{ g.score }} <a href="{{ g.url }}">{{ g.title }}</a> ({{ g.source }}'
        "{% if g.count > 1 %}, {{ g.count }} alerts{% endif %})</li>{% endfor %}</ul>{% endfor %}"
    ),
}


def defuse(text: str) -> str:
    """Plain text that cannot mention everyone or open Slack's <!…> syntax."""
    text = CONTROL_RE.sub("", text)
    return SLACK_SPECIAL_RE.sub("<" + ZERO_WIDTH, MENTION_RE.sub(r"\1" + ZERO_WIDTH, text))


def escape_markdown(text: str) -> str:
    return MARKDOWN_SPECIAL_RE.sub(r"\\\1", defuse(text))


def _finalizer(fmt: str) -> Any:
    def finalize(value: Any) -> Any:
        if isinstance(value, Markup) or not isinstance(value, str):
            return value
        return escape_markdown(value) if fmt == "markdown" else defuse(value)

    return finalize


def environment(fmt: str) -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=fmt == "html", finalize=_finalizer(fmt), trim_blocks=False)


@dataclass(frozen=True)
class Templates:
    """Compiled title and body templates for one channel."""

    fmt: str = "text"
    title: str = ""
    body: str = ""

    def __post_init__(self) -> None:
        compile_templates(self.fmt, self.title, self.body)  # fail at load, not at send

    def render_alert(self, alert: Mapping[str, Any]) -> tuple[str, str]:
        values = alert_values(alert)
        default = HEALTH_BODY if alert.get("kind") == "health" else DEFAULT_BODY
        title = environment("text").from_string(self.title or DEFAULT_TITLE).render(values)
        body = environment(self.fmt).from_string(self.body or default[self.fmt]).render(values)
        return title, body

    def render_digest(self, alerts: list[Mapping[str, Any]]) -> tuple[str, str]:
        topics = [
            {"title": title, "count": count, "groups": [
                {**alert_values(g.best), "count": len(g.alerts)} for g in groups]}
            for title, count, groups in group_digest([dict(a) for a in alerts])
        ]
        title = environment("text").from_string(DIGEST_TITLE).render(count=len(alerts))
        body = environment(self.fmt).from_string(DIGEST_BODY[self.fmt]).render(topics=topics)
        return title, body


def compile_templates(fmt: str, title: str, body: str) -> None:
    """Raise ValueError with a one-line reason when a template does not compile."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    for name, source in (("title_template", title), ("body_template", body)):
        try:
            environment(fmt).parse(source)
        except TemplateError as exc:
            raise ValueError(f"{name}: {exc.message}") from None


def alert_values(alert: Mapping[str, Any]) -> dict[str, Any]:
    """What a template can print: the alert's fields, made readable."""
    published = alert.get("published")
    when = datetime.fromisoformat(published).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if published else ""
    kind = alert.get("kind", "alert")
    return {
        **{k: v for k, v in alert.items() if isinstance(v, str | int | float)},
        "published": when,
        "score": f"{float(alert.get('score', 0)):.2f}",
        "threshold": f"{float(alert.get('threshold', 0)):.2f}",
        "terms": ", ".join(alert.get("terms") or ()) or "(no terms)",
        "lead": _lead(str(alert.get("text") or "")),
        "prefix": {"follow_up": "Follow-up: ", "test": "Test: ", "health": "Monitor: "}.get(kind, ""),
    }


def _lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The first sentences of the text, cut at a word boundary."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"
