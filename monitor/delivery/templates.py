"""How an alert or a digest reads: Jinja2 templates, sandboxed, with feed text escaped.

Feed text is hostile input. Every value a template prints passes through an escaper for
the channel's format, so a headline cannot inject markup, links or mass mentions:
- text:     mentions (@channel, @everyone, @here, <!channel>) are defused;
- markdown: the same, and Markdown's special characters are backslash-escaped;
- html:     the same, and the template is autoescaped.
Templates run in Jinja's sandbox: a user's template cannot reach Python internals. They
are compiled when a channel's `Templates` is built (when wiring builds the channel configs)
in one sandboxed environment per format, and every send reuses them.
The title is escaped for the channel's format as the body is: apprise blends it into the
body of services without a title field (converting it from that format). Every printed
value loses control, C1 and bidirectional-override characters; links are printed only for
http and https; the sandbox (sandbox.py) bounds what a template can build, and a render
stops at RENDER_MAX_CHARS or after RENDER_SECONDS.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from types import FrameType
from typing import Any

from jinja2 import Template, TemplateError
from markupsafe import Markup

from monitor.delivery.policy import group_digest
from monitor.delivery.sandbox import BoundedSandbox
from monitor.delivery.surge_body import SURGE_BODY, surge_values
from monitor.delivery.values import Link, alert_values, source_values, story_sources, strip_controls
from monitor.items import Alert, Digest
from monitor.limits import RENDER_MAX_CHARS

FORMATS = ("text", "markdown", "html")
ZERO_WIDTH = "\u200b"
MENTION_RE = re.compile(r"([@＠])(?=(channel|everyone|here|all|room)\b)", re.I)
SLACK_SPECIAL_RE = re.compile(r"<(?=[!@#])")
MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")
RENDER_SECONDS = 2.0  # a render stops here: loops that print nothing are not cut by the output cap

DEFAULT_TITLE = "{{ prefix }}[{{ topic_title }}] {{ title }}"
DEFAULT_BODY = {
    "text": (
        "{{ title }}\n"
        "Source: {{ source }} | Language: {{ language }} | Published: {{ published }}\n"
        "Topic: {{ topic_title }} | Score: {{ score }} (threshold {{ threshold }}, on the {{ judged_on }} text)\n"
        "Why: {{ terms }}\n"
        "{% if url %}{{ url }}\n{% endif %}"
        "{% if lead %}\n{{ lead }}\n\n{% endif %}"
        "{% if kind == 'follow_up' %}Sources ({{ source_count }}):\n{% for s in sources %}- {{ s.name }} "
        "({{ s.language }}) {{ s.time }}{% if s.link %} {{ s.link }}{% endif %}\n{% endfor %}\n{% endif %}"
        "Alert id: {{ id }}"
    ),
    "markdown": (
        "**{{ title }}**\n\n"
        "{{ source }} · {{ language }} · {{ published }}\n\n"
        "*{{ topic_title }}*: score {{ score }} (threshold {{ threshold }}, on the {{ judged_on }} text)\n\n"
        "Why: {{ terms }}\n\n"
        "{% if url %}<{{ url }}>\n\n{% endif %}"
        "{% if lead %}{{ lead }}\n\n{% endif %}"
        "{% if kind == 'follow_up' %}Sources ({{ source_count }}):\n\n{% for s in sources %}- {{ s.name }} "
        "({{ s.language }}) {{ s.time }}{% if s.link %} <{{ s.link }}>{% endif %}\n{% endfor %}\n{% endif %}"
        "Alert id: `{{ id }}`"
    ),
    "html": (
        '<p dir="auto"><b>{{ title }}</b></p>'
        "<p>{{ source }} · {{ language }} · {{ published }}</p>"
        "<p><i>{{ topic_title }}</i>: score {{ score }} (threshold {{ threshold }}, on the {{ judged_on }} text)</p>"
        "<p>Why: {{ terms }}</p>"
        '{% if url %}<p><a href="{{ url }}">{{ url }}</a></p>{% endif %}'
        '{% if lead %}<p dir="auto">{{ lead }}</p>{% endif %}'
        "{% if kind == 'follow_up' %}<p>Sources ({{ source_count }}):</p><ul>{% for s in sources %}<li dir=\"auto\">"
        '{% if s.link %}<a href="{{ s.link }}">{{ s.name }}</a>{% else %}{{ s.name }}{% endif %} '
        "({{ s.language }}) {{ s.time }}</li>{% endfor %}</ul>{% endif %}"
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
        "{% if g.count > 1 %}, {{ g.count }} alerts{% endif %}; {{ g.source_count }} source"
        "{{ 's' if g.source_count != 1 else '' }})\n{% if g.url %}  {{ g.url }}\n{% endif %}"
        "{% if g.source_count > 1 %}{% for s in g.sources %}  - {{ s.name }} {{ s.time }}"
        "{% if s.link %} {{ s.link }}{% endif %}\n{% endfor %}{% endif %}"
        "{% endfor %}\n{% endfor %}"
    ),
    "markdown": (
        "{% for topic in topics %}**{{ topic.title }}** ({{ topic.count }})\n\n"
        "{% for g in topic.groups %}- {{ g.score }} {{ g.title }} ({{ g.source }}"
        "{% if g.count > 1 %}, {{ g.count }} alerts{% endif %}; {{ g.source_count }} source"
        "{{ 's' if g.source_count != 1 else '' }}){% if g.url %} <{{ g.url }}>{% endif %}\n"
        "{% if g.source_count > 1 %}{% for s in g.sources %}  - {{ s.name }} {{ s.time }}"
        "{% if s.link %} <{{ s.link }}>{% endif %}\n{% endfor %}{% endif %}"
        "{% endfor %}\n{% endfor %}"
    ),
    "html": (
        "{% for topic in topics %}<h3>{{ topic.title }} ({{ topic.count }})</h3><ul>"
        '{% for g in topic.groups %}<li dir="auto">{{ g.score }} '
        '{% if g.url %}<a href="{{ g.url }}">{{ g.title }}</a>{% else %}{{ g.title }}{% endif %} ({{ g.source }}'
        "{% if g.count > 1 %}, {{ g.count }} alerts{% endif %}; {{ g.source_count }} source"
        "{{ 's' if g.source_count != 1 else '' }})"
        '{% if g.source_count > 1 %}<ul>{% for s in g.sources %}<li dir="auto">'
        '{% if s.link %}<a href="{{ s.link }}">{{ s.name }}</a>{% else %}{{ s.name }}{% endif %} '
        "{{ s.time }}</li>{% endfor %}</ul>{% endif %}</li>{% endfor %}</ul>{% endfor %}"
    ),
}


def defuse(text: str) -> str:
    """Plain text that cannot mention everyone or open Slack's <!…> syntax."""
    text = strip_controls(text)
    return SLACK_SPECIAL_RE.sub("<" + ZERO_WIDTH, MENTION_RE.sub(r"\1" + ZERO_WIDTH, text))


def escape_markdown(text: str) -> str:
    return MARKDOWN_SPECIAL_RE.sub(r"\\\1", defuse(text))


def _finalizer(fmt: str) -> Any:
    def finalize(value: Any) -> Any:
        if isinstance(value, Markup | Link) or not isinstance(value, str):
            return value  # our own markup, or a link made safe for every format (values.py)
        return escape_markdown(value) if fmt == "markdown" else defuse(value)

    return finalize


@cache
def environment(fmt: str) -> BoundedSandbox:
    """The one sandbox of a format (rendering in it is thread-safe: sends run in threads)."""
    return BoundedSandbox(autoescape=fmt == "html", finalize=_finalizer(fmt), trim_blocks=False)


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


class TemplateFailed(ValueError):
    """A template raised while rendering (the sandbox refused something, or an error in
    it); the message is `<title_template|body_template>: <reason>`."""


def render(template: Template, name: str, values: dict[str, Any], limit: int = RENDER_MAX_CHARS) -> str:
    """Render, reading the output only up to `limit` characters (a runaway loop stops
    there, cut with an ellipsis), without control characters a value may have brought."""
    chunks, size = [], 0
    try:
        with _time_limit(RENDER_SECONDS):
            for chunk in template.generate(values):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    break
    except Exception as exc:  # noqa: BLE001 - whatever a template raises is its failure
        reason = exc.message if isinstance(exc, TemplateError) and exc.message else f"{type(exc).__name__}: {exc}"
        raise TemplateFailed(f"{name}: {reason}") from None
    text = "".join(chunks)
    return strip_controls(text if size <= limit else text[: limit - 1] + "…")


class RenderTooSlow(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"template ran past {seconds:.0f} s")


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise RenderTooSlow in the template's own code once `seconds` have passed: nested
    `{% for %}` loops that print nothing ran for minutes in a send thread (the sandbox counts
    what a template builds, not its steps). Only frames of compiled templates are traced
    line by line, so the rest of a render runs at full speed."""
    deadline = time.monotonic() + seconds

    def lines(frame: FrameType, event: str, arg: object) -> Any:
        if time.monotonic() > deadline:
            raise RenderTooSlow(seconds)
        return lines

    def calls(frame: FrameType, event: str, arg: object) -> Any:
        return lines if frame.f_code.co_filename == "<template>" else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        yield
    finally:
        sys.settrace(previous)


@dataclass(frozen=True)
class Templates:
    """Compiled title and body templates for one channel (compiled as it is built)."""

    fmt: str = "text"
    title: str = ""
    body: str = ""
    _title: Template = field(init=False, repr=False, compare=False)
    _title_text: Template = field(init=False, repr=False, compare=False)
    _body: Template = field(init=False, repr=False, compare=False)
    _health: Template = field(init=False, repr=False, compare=False)
    _surge: Template = field(init=False, repr=False, compare=False)
    _digest_title: Template = field(init=False, repr=False, compare=False)
    _digest_body: Template = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")
        # The title in the channel's format too: apprise hands it to services that blend
        # it into the body as text of that format. And as text, for an email's subject
        # (transport.notify): "&amp;" or "\(" there is what the reader sees.
        fmt = self.fmt
        title = _compile(fmt, "title_template", self.title) if self.title else _builtin(fmt, DEFAULT_TITLE)
        object.__setattr__(self, "_title_text", _compile("text", "title_template", self.title) if self.title
                           else _builtin("text", DEFAULT_TITLE))
        body = _compile(fmt, "body_template", self.body) if self.body else None
        object.__setattr__(self, "_title", title)  # frozen: set once, here
        object.__setattr__(self, "_body", body or _builtin(fmt, DEFAULT_BODY[fmt]))
        object.__setattr__(self, "_health", body or _builtin(fmt, HEALTH_BODY[fmt]))
        object.__setattr__(self, "_surge", body or _builtin(fmt, SURGE_BODY[fmt]))
        object.__setattr__(self, "_digest_title", _builtin(fmt, DIGEST_TITLE))
        object.__setattr__(self, "_digest_body", _builtin(fmt, DIGEST_BODY[fmt]))

    def render_alert(self, alert: Alert, title_apart: bool = False) -> tuple[str, str]:
        """(title, body), the title as text with `title_apart` (an email's subject); raises
        TemplateFailed naming the template that failed."""
        values = {**alert_values(alert), **surge_values(alert)}
        body = {"health": self._health, "surge": self._surge}.get(alert.kind, self._body)
        title = self._title_text if title_apart else self._title
        return render(title, "title_template", values), render(body, "body_template", values)

    def render_digest(self, digest: Digest) -> tuple[str, str]:
        topics = [
            {"title": title, "count": count, "groups": [
                {**alert_values(g.best), "count": len(g.alerts), **_group_sources(g.alerts)} for g in groups]}
            for title, count, groups in group_digest(digest.alerts)
        ]
        return (render(self._digest_title, "digest title", {"count": len(digest.alerts)}),
                render(self._digest_body, "digest body", {"topics": topics}))


def _group_sources(alerts: tuple[Alert, ...]) -> dict[str, Any]:
    """A digest group's sources: every source its alerts carry, once each, in time order."""
    found = {s.item_id: s for a in alerts for s in story_sources(a)}
    ordered = sorted(found.values(), key=lambda s: s.published)
    return {"sources": [source_values(s) for s in ordered], "source_count": len({s.source for s in ordered})}


def compile_templates(fmt: str, title: str, body: str) -> None:
    """Raise ValueError with a one-line reason when a template does not compile."""
    Templates(fmt, title, body)
