"""How a surge alert reads: its default bodies and the `surge` value templates print.

A surge's stories and sources come from feeds: each headline and source name is made
readable and safe as an alert's are (values.py), and escaped for the format when printed.
"""

from __future__ import annotations

from typing import Any

from monitor.delivery.values import headline, one_line, safe_link
from monitor.items import Alert

SURGE_BODY = {
    "text": (
        "{{ topic_title }}: {{ surge.stories }} stories from {{ surge.sources }} sources in the last "
        "{{ surge.window }}, where {{ surge.usual }} is usual (p = {{ surge.p_value }})\n"
        "Top stories:\n"
        "{% for s in surge.top %}- {{ s.title }} ({{ s.sources }})\n{% if s.url %}  {{ s.url }}\n{% endif %}"
        "{% endfor %}\nAlert id: {{ id }}"
    ),
    "markdown": (
        "**{{ topic_title }}**: {{ surge.stories }} stories from {{ surge.sources }} sources in the last "
        "{{ surge.window }}, where {{ surge.usual }} is usual (p = {{ surge.p_value }})\n\n"
        "Top stories:\n\n"
        "{% for s in surge.top %}- {{ s.title }} ({{ s.sources }}){% if s.url %} <{{ s.url }}>{% endif %}\n"
        "{% endfor %}\nAlert id: `{{ id }}`"
    ),
    "html": (
        "<p><b>{{ topic_title }}</b>: {{ surge.stories }} stories from {{ surge.sources }} sources in the "
        "last {{ surge.window }}, where {{ surge.usual }} is usual (p = {{ surge.p_value }})</p>"
        "<p>Top stories:</p><ul>{% for s in surge.top %}<li>"
        '{% if s.url %}<a href="{{ s.url }}">{{ s.title }}</a>{% else %}{{ s.title }}{% endif %}'
        " ({{ s.sources }})</li>{% endfor %}</ul><p>Alert id: <code>{{ id }}</code></p>"
    ),
}


def duration(seconds: float) -> str:
    """'2h', '90m', '1d' as settings write them."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def surge_values(alert: Alert) -> dict[str, Any]:
    """`surge` for templates: None unless the alert is a surge's."""
    f = alert.surge
    if f is None:
        return {"surge": None}
    return {"surge": {
        "stories": f.stories, "sources": f.sources, "window": duration(f.window),
        "usual": f"{f.expected:.1f}", "p_value": f"{f.p_value:.2g}",
        "top": [{"title": headline(s.title, ""), "url": safe_link(s.url),
                 "sources": ", ".join(one_line(n) for n in s.sources), "source_count": len(s.sources)}
                for s in f.top],
    }}
