"""How an alert or a digest reads: Jinja2 templates, sandboxed, with feed text escaped.

Feed text is hostile input. Every value a template prints passes through an escaper for
the channel's format, so a headline cannot inject markup, links or mass mentions:
- text:     mentions (@channel, @everyone, @here, <!channel>) are defused;
- markdown: the same, and Markdown's special characters are backslash-escaped;
- html:     the same, and the template is autoescaped.
Templates run in Jinja's sandbox: a user's template cannot reach Python internals. They
are compiled when a channel's `Templates` is built (when wiring builds the channel configs)
in one sandboxed environment per format, and every send reuses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import UTC
from functools import cache
from typing import Any

from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from monitor.defaults import LEAD_CHARS
from monitor.delivery.policy import group_digest
from monitor.items import Alert, Digest

FORMATS = ("text", "markdown", "html")
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


@cache
def environment(fmt: str) -> SandboxedEnvironment:
    """The one sandbox of a format (rendering in it is thread-safe: sends run in threads)."""
    return SandboxedEnvironment(autoescape=fmt == "html", finalize=_finalizer(fmt), trim_blocks=False)


@cache
def _builtin(fmt: str, source: str) -> Template:
    """A default template, compiled once per process and format."""
    return environment(fmt).from_string(source)


def _compile(fmt: str, name: str, source: str) -> Template:
    """Raise ValueError with a one-line reason when a template does not compile."""
    try:
        return environment(fmt).from_string(source)
    except TemplateError as exc:
        raise ValueError(f"{name}: {exc.message}") from None


@dataclass(frozen=True)
class Templates:
    """Compiled title and body templates for one channel (compiled as it is built)."""

    fmt: str = "text"
    title: str = ""
    body: str = ""
    _title: Template = field(init=False, repr=False, compare=False)
    _body: Template = field(init=False, repr=False, compare=False)
    _health: Template = field(init=False, repr=False, compare=False)
    _digest_title: Template = field(init=False, repr=False, compare=False)
    _digest_body: Template = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")
        title = _compile("text", "title_template", self.title) if self.title else _builtin("text", DEFAULT_TITLE)
        body = _compile(self.fmt, "body_template", self.body) if self.body else None
        object.__setattr__(self, "_title", title)  # frozen: set once, here
        object.__setattr__(self, "_body", body or _builtin(self.fmt, DEFAULT_BODY[self.fmt]))
        object.__setattr__(self, "_health", body or _builtin(self.fmt, HEALTH_BODY[self.fmt]))
        object.__setattr__(self, "_digest_title", _builtin("text", DIGEST_TITLE))
        object.__setattr__(self, "_digest_body", _builtin(self.fmt, DIGEST_BODY[self.fmt]))

    def render_alert(self, alert: Alert) -> tuple[str, str]:
        values = alert_values(alert)
        body = self._health if alert.kind == "health" else self._body
        return self._title.render(values), body.render(values)

    def render_digest(self, digest: Digest) -> tuple[str, str]:
        topics = [
            {"title": title, "count": count, "groups": [
                {**alert_values(g.best), "count": len(g.alerts)} for g in groups]}
            for title, count, groups in group_digest(digest.alerts)
        ]
        return self._digest_title.render(count=len(digest.alerts)), self._digest_body.render(topics=topics)


def compile_templates(fmt: str, title: str, body: str) -> None:
    """Raise ValueError with a one-line reason when a template does not compile."""
    Templates(fmt, title, body)


PREFIXES = {"follow_up": "Follow-up: ", "test": "Test: ", "health": "Monitor: "}


def alert_values(alert: Alert) -> dict[str, Any]:
    """What a template can print: the alert's fields, made readable."""
    plain = {f.name: getattr(alert, f.name) for f in fields(alert)}
    return {
        **{k: v for k, v in plain.items() if isinstance(v, str | int | float)},
        "published": alert.published.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "score": f"{alert.score:.2f}",
        "threshold": f"{alert.threshold:.2f}",
        "terms": ", ".join(alert.terms) or "(no terms)",
        "lead": _lead(alert.text),
        "prefix": PREFIXES.get(alert.kind, ""),
    }


def _lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The first sentences of the text, cut at a word boundary."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"
