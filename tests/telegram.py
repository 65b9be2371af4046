"""Telegram channel posts as the bridges serve them, for the tests and .ci/eval_telegram.py.

The posts (tests/data/telegram_posts.json) were written for the project in Russian,
Arabic, Turkish and English, on the Turkey–Russia–Syria topic and off it. A post is a
headline line (often after an emoji, sometimes under a line of emoji or a tag), a few
lines of story, hashtags, and a signature
that asks the reader to subscribe; some are forwarded, some carry a photo or a video,
some are a photo alone. Each is served in the shapes the bridges give it:

- RSSHub's /telegram/channel/:id (RSS 2.0): the title is the media tags as emoji ("🖼",
  "🎬", "🔁" for a forward, "↩️" a reply) and the post's first line, or the tags alone for a
  post with no text; the description is "Forwarded From <b>…</b>", the post replied to in a
  <blockquote>, the post's HTML in a <p>
  (<br> line breaks, emoji in <span class="emoji">, hashtags as links), then the media;
- rss-bridge's TelegramBridge (Atom): the title is the post's plain text cut at 100 bytes
  at a word's end with "...", or "@channel posted a photo"; the content is the message's
  own markup (emoji as <i class="emoji"><b>…</b></i>), media first;
- a bridge that puts the whole post in the title (and its view count after the text).

`story` is what a reader takes from a post: its headline and story lines, no emoji, tags
or signature.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

POSTS_FILE = Path(__file__).parent / "data" / "telegram_posts.json"
Post = dict[str, Any]
_TAG_EMOJI = {"photo": "🖼", "video": "🎬"}


def posts() -> list[Post]:
    return list(json.loads(POSTS_FILE.read_text(encoding="utf-8")))


def story(post: Post) -> str:
    """The post as a reader takes the story: its headline, then its lines."""
    return "\n".join(line for line in (post["head"], " ".join(post["body"])) if line)


def link(post: Post) -> str:
    return f"https://t.me/{post['channel']}/{post['n']}"


def _tags(post: Post) -> str:
    return " ".join(f'<a href="?q=%23{tag[1:]}">{tag}</a>' for tag in post["tags"].split())


def message_html(post: Post, emoji: str) -> str:
    """The post's text as t.me/s marks it up; `emoji` wraps an emoji (each bridge its way)."""
    head = post["head"]
    if head:
        head = f"<b>{head}</b>" if post["bold"] else head
        head = (emoji.format(post["emoji"]) + head) if post["emoji"] else head
    parts = [post["lead"], head, "<br/>".join(post["body"]), _tags(post), post["sign"]]
    return "<br/><br/>".join(part for part in parts if part)


def _media(post: Post) -> str:
    if post["media"] == "photo":
        return f'<img src="https://cdn4.telesco.pe/file/{post["n"]}.jpg" width="800" height="533">'
    if post["media"] == "video":
        return (f'<video controls preload="metadata" poster="https://cdn4.telesco.pe/file/{post["n"]}p.jpg">'
                f'<source src="https://cdn4.telesco.pe/file/{post["n"]}.mp4" type="video/mp4"></video>')
    return ""


def rsshub_item(post: Post) -> tuple[str, str]:
    """(title, description) as RSSHub's telegram/channel route writes them."""
    tags = ("🔁" if post["fwd"] else "") + ("↩️" if post["reply"] else "") + _TAG_EMOJI.get(post["media"] or "", "")
    first = post["lead"] or ((post["emoji"] if post["head"] else "") + post["head"]).strip()
    title = f"{tags} {first}".strip() if first else tags or _date(post).strftime("%a, %d %b %Y %H:%M:%S GMT")
    description = ""
    if post["fwd"]:
        description += f'<p>Forwarded From <b><a href="https://t.me/fwd_source/1">{post["fwd"]}</a></b></p>'
    if post["reply"]:
        description += (f'<div class="rsshub-quote"><blockquote><p><a href="https://t.me/{post["channel"]}/1">'
                        f'<b>{post["reply"]["author"]}</b>:</a></p><p>{post["reply"]["text"]}</p></blockquote></div>')
    text = message_html(post, '<span class="emoji">{}</span>')
    description += f"<p>{text}</p>" if text else ""
    if post["preview"]:
        p = post["preview"]
        description += (f'<blockquote><b>{p["site"]}</b><br><b><a href="https://example.org/a">{p["title"]}</a>'
                        f'</b><br><p>{p["desc"]}</p></blockquote>')
    return title, description + _media(post)


def rssbridge_item(post: Post) -> tuple[str, str]:
    """(title, content) as rss-bridge's TelegramBridge writes them."""
    text = message_html(post, '<i class="emoji" style="background-image:url(\'//telegram.org/img/emoji/40/x.png\')">'
                              "<b>{}</b></i>")
    plain = "\r\n".join(part for part in (post["lead"], post["emoji"] + post["head"] if post["head"] else "",
                                          "\r\n".join(post["body"]), post["tags"]) if part)
    sign = post["sign"].split(">", 1)[-1].split("<", 1)[0] if "<a" in post["sign"] else post["sign"]
    plain = "\r\n\r\n".join(part for part in (plain, sign) if part)
    title = _ellipsis(plain) if plain else f"@{post['channel']} posted a {post['media'] or 'photo'}"
    forwarded = ""
    if post["fwd"]:
        forwarded = (f'<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from '
                     f'<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/fwd_source/1">'
                     f'<span dir="auto">{post["fwd"]}</span></a></div><br><br>')
    if post["reply"]:
        forwarded += (f'<blockquote>{post["reply"]["author"]}<br>\n{post["reply"]["text"]}\n'
                      f'<a href="https://t.me/{post["channel"]}/1">https://t.me/{post["channel"]}/1</a></blockquote><hr>')
    content = forwarded + _media(post) + (f'<div class="tgme_widget_message_text js-message_text" dir="auto">'
                                          f"{text}</div>" if text else "")
    return title, content


def _ellipsis(text: str, length: int = 100) -> str:
    """PHP's wordwrap at `length` bytes, the first line kept, "..." after it."""
    if len(text.encode()) <= length:
        return text
    out = ""
    for word in text.split(" "):
        if out and len((out + " " + word).encode()) > length:
            break
        out = f"{out} {word}" if out else word
    return out + "..."


def whole_item(post: Post) -> tuple[str, str]:
    """(title, description) of a bridge that titles an item with its whole post."""
    title = " ".join(part for part in (post["lead"], post["emoji"] + post["head"], *post["body"], post["tags"])
                     if part)
    text = message_html(post, "{}") + (f"<br/><br/>👁 {post['views']}" if post["views"] else "")
    return title or "[Photo]", text


def _date(post: Post) -> datetime:
    return datetime.fromisoformat(post["date"])


def rss(items: list[Post], shape: str = "rsshub") -> bytes:
    """An RSS 2.0 channel of the posts, RSSHub's shape (or "whole": a whole-post title)."""
    render = rsshub_item if shape == "rsshub" else whole_item
    out = []
    for post in items:
        title, description = render(post)
        guid = link(post) + ("?single" if post["media"] == "photo" and shape == "whole" else "")
        out.append(f"<item><title><![CDATA[{title}]]></title><description><![CDATA[{description}]]></description>"
                   f"<pubDate>{format_datetime(_date(post), usegmt=True)}</pubDate>"
                   f'<guid isPermaLink="false">{guid}</guid><link>{link(post)}</link></item>')
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Channel - Telegram Channel'
            f'</title><link>https://t.me/s/channel</link><description>posts</description>{"".join(out)}'
            "</channel></rss>").encode()


def atom(items: list[Post]) -> bytes:
    """An Atom feed of the posts as rss-bridge serves TelegramBridge's."""
    out = []
    for post in items:
        title, content = rssbridge_item(post)
        out.append(f'<entry><title type="html">{escape(title)}</title><published>{post["date"]}</published>'
                   f'<updated>{post["date"]}</updated><id>{link(post)}</id>'
                   f'<link rel="alternate" type="text/html" href="{link(post)}"/>'
                   f'<content type="html">{escape(content)}</content></entry>')
    return ('<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            '<title type="text">Channel (@channel) - Telegram</title><id>https://t.me/s/channel</id>'
            f'<updated>2026-11-30T10:00:00+00:00</updated>{"".join(out)}</feed>').encode()
