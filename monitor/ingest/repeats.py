"""What an item keeps of its description (the parse stage's feed_text): not the feed's
boilerplate (trailers.py), nor a repeat of the item's title, whole or before its first
sentence; and the headline a bridge cut or ran on in the title, taken from the text.

Pure functions, no I/O.
"""

from __future__ import annotations

import re

from monitor.defaults import TITLE_CHARS
from monitor.ingest import bylines, datelines, trailers
from monitor.normalise import WORD, words

# Words a description may add to the title it repeats and still say nothing more (Google
# News's "<title> <source>", a site's name): at most this many, and a third of the title's.
REPEAT_EXTRA_WORDS = 3
# A title this long, at the start of the description, is the headline again, not its first words
REPEAT_MIN_WORDS = 4
_QUOTES = " \"'«»“”‘’„-–—|"


# A first line shorter than this is a label ("Срочно", "#Сирия"), no headline to title an item with
HEADLINE_MIN_WORDS = 3
LABEL_WORDS = 2  # a line of so many words at most over a headline is its label ("BREAKING NEWS")
LABEL_CHARS = 30
LABEL_LINES = 2  # label lines looked past at most
_CUT = ("...", "…")  # how a title cut short ends
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MARKS_BEFORE = re.compile(r"\A(?:\s*(?:[#@]\w+|[^\w\s]+))+\s*")  # emoji, tags and marks before a title's words
_MARKS_ONLY = re.compile(r"(?:\s*+(?:[#@]\w++|[^\w\s]++))*+\s*+")  # a title or line with no words but tags
_TAGS_AFTER = re.compile(r"(?:\s+[#@]\w+)+\s*(?:\.\.\.|…)?\s*\Z")  # a post's hashtags after its line, joined


def feed_text(title: str, text: str) -> str:
    """What an item keeps of its description: `titled`'s text."""
    return titled(title, text)[1]


def titled(title: str, text: str) -> tuple[str, str]:
    """An item's title and what it keeps of its description (its paragraphs as lines): not
    the links to other stories between them, the boilerplate at its end ("Read more", Yoast's
    footer, a Telegram post's hashtags and signature: trailers.py) or a photo's credit, a
    forward's header, a writer's byline or an agency's dateline at its start, nor a repeat
    of the title (a headline said twice reads surer than once: beyond_title); the title the
    text's first line where it was that line cut short or run on (headline_of). One line:
    the paragraphs joined."""
    text = trailers.drop_trailers(trailers.drop_related_lines(text))
    text = datelines.drop_dateline(bylines.drop_writer(trailers.drop_credit_before(trailers.drop_forwarded(text))))
    text = unquoted(title, text)
    title, text = headline_of(title, text)
    return title, beyond_title(title, text.replace("\n", " "))  # its lines are one-spaced already


QUOTED_LINES = 8  # lines of a post replied to looked past at most
_LINKED = re.compile(r"https?://(?:t|telegram)\.me/\S+\s*\Z")  # rss-bridge ends the quote with its link


def unquoted(title: str, text: str) -> str:
    """The text from its line that starts with the title's words, where the lines before it
    quote another post: a Telegram post's bridge puts the post it replies to before it
    (RSSHub: "<its channel>:" and its text; rss-bridge: its channel, its text and its t.me
    link), whose words were judged as this post's, with this post's headline after them."""
    first, _, rest = text.partition("\n")
    if not rest or len(first) > 60 or not (first.endswith(":") or "t.me/" in text or "telegram.me/" in text):
        return text  # most texts, before words() (~10 µs a line in other scripts than Latin)
    said = words(_MARKS_BEFORE.sub("", title, count=1))[:6]
    if len(said) < HEADLINE_MIN_WORDS:
        return text
    lines = rest.split("\n", QUOTED_LINES)
    for n, line in enumerate(lines[:QUOTED_LINES]):
        if _starts(words(line), said):
            quote = first.endswith(":") or (n > 0 and _LINKED.search(lines[n - 1]) is not None)
            return "\n".join(lines[n:]) if quote else text
    return text


def headline_of(title: str, text: str) -> tuple[str, str]:
    """(title, text) with the text's first line as the title, and the text without it,
    where the title is that line cut short ("...", "…") or run on into the next: Telegram
    bridges title a post with its first 100 bytes (rss-bridge: "Глава МИД Турции прибыл в
    Москву Министр проведёт...", an alert's title and a headline judged in two halves) or
    with all of it (a 200-character title), or with its line and hashtags; or where the title
    is the label over the line, or has no words (RSSHub's title is a post's first line:
    "⚡️СРОЧНО", "❗️❗️❗️", "#SonDakika" above its headline), "" when the text has no headline
    either. A first line longer than an alert's title gives its first sentence. Else (title,
    text) as they are."""
    wordless = _MARKS_ONLY.fullmatch(title) is not None
    line_end = text.find("\n")
    if not (wordless or title.rstrip().endswith(_CUT) or _is_label(title)  # most items: a title
            or len(title) > min(len(text) if line_end < 0 else line_end, TITLE_CHARS)):  # shorter than the line
        return title, text
    label, head, rest = _first_line(text)
    if len(head) > TITLE_CHARS or head == title:
        return ("" if wordless else title), text
    line = words(head)
    if len(line) < HEADLINE_MIN_WORDS:
        return ("" if wordless else title), text
    bare = _MARKS_BEFORE.sub("", title, count=1)  # without the emoji and tags the text's line lost
    unlabelled = title[len(label):] if label and title.startswith(label) else ""
    if (title and wordless) or (label and words(title) == words(label)) \
            or any(_is_headline(t, line, rest) for t in (title, bare, unlabelled) if t):
        return head, rest
    return title, text


def _is_headline(title: str, line: list[str], rest: str) -> bool:
    """Whether the title is the line cut short, run on, or with its hashtags after it."""
    said = words(title)
    if title.rstrip().endswith(_CUT) and len(said) >= HEADLINE_MIN_WORDS and _starts(line, said):
        return True
    if _TAGS_AFTER.search(title) is not None and words(_TAGS_AFTER.sub("", title)) == line:
        return True
    return _runs_on(said, line, rest)


def _is_label(line: str) -> bool:
    """A line of emoji and tags, or of a word or two ("⚡️СРОЧНО", "🔴 عاجل", "BREAKING NEWS")."""
    return len(line) <= LABEL_CHARS and len(line.split(maxsplit=LABEL_WORDS)) <= LABEL_WORDS \
        or _MARKS_ONLY.fullmatch(line) is not None


def _first_line(text: str) -> tuple[str, str, str]:
    """(label, line, rest): the text's first line with words, after a label or two over it
    (joined as a title joins them), or the first sentence of a line longer than an alert's
    title; and the rest of the text."""
    head, _, rest = text.partition("\n")
    label: list[str] = []
    while rest and len(label) < LABEL_LINES and _is_label(head):
        label.append(head)
        head, _, rest = rest.partition("\n")
    if len(head) > TITLE_CHARS and len(parts := _SENTENCE_END.split(head, maxsplit=1)) == 2:
        head, rest = parts[0], "\n".join(part for part in (parts[1], rest) if part)
    return " ".join(label), head, rest


def _starts(line: list[str], said: list[str]) -> bool:
    """Whether `said` starts `line`, its last word perhaps cut short."""
    n = len(said)
    return 0 < n <= len(line) and line[:n - 1] == said[:n - 1] and line[n - 1].startswith(said[-1])


def _runs_on(said: list[str], line: list[str], rest: str) -> bool:
    """Whether the title is the line and the next words of the text (the last perhaps cut)."""
    if len(said) <= len(line) or said[:len(line)] != line:
        return False
    more = said[len(line):len(line) + 2]
    return _starts(words(rest[:200]), more)


def _opening(text: str) -> str:
    return text.lstrip(_QUOTES)[:2].lower()


def beyond_title(title: str, text: str) -> str:
    """The text without what only repeats the title: all of it when it says nothing more
    (give or take a source's name), or the title at its start ("<b>Title</b>. Lead…"), the
    title's label ("VIDEO: ") or outlet (" - Daily Post") not in it (`_core`).
    Scored as "title\ntitle", a headline is read as a longer text with the same evidence
    and the length-aware calibration grows sure of it: FA-KES titles so doubled had 15 false
    alerts at 0.60 where the titles alone had 4; with the title again before the first
    sentence, recall fell from 59 to 54 of 74."""
    rest = _beyond(title, text)
    return _beyond(core, text) if rest == text and (core := _core(title)) != title else rest


# "VIDEO: ", "СРОЧНО | ", "[VİDEO] " before a headline; " - Outlet", " | Outlet" after it
_LABEL = re.compile(r"^\W*(?:[^\W\d][^:|\[\]()]*?\s*[:|]|[\[(][^\[\]()]*[\])])\s+")
_OUTLET = re.compile(r"\s+[-–—|]\s+[^-–—|:]+$")
_MARKED = re.compile(r"[:|\[(]|\s[-–—]\s")  # what _LABEL or _OUTLET needs to match


def _core(title: str) -> str:
    """The title without a label before it and an outlet's name after it, each of
    REPEAT_EXTRA_WORDS words at most."""
    if _MARKED.search(title) is None:  # neither can match: most titles, at a third of the cost
        return title
    for part in (_LABEL, _OUTLET):
        found = part.search(title)
        left = title if found is None else title[:found.start()] + title[found.end():]
        if found is not None and len(words(found[0])) <= REPEAT_EXTRA_WORDS and words(left):
            title = left
    return title


def _beyond(title: str, text: str) -> str:
    if _opening(title) != _opening(text):  # most texts: words() is ~10 µs on other scripts
        return text
    said = words(title)
    if not said:
        return text
    head = words(text[:len(title) + 80])
    short, long_ = sorted((said, head), key=len)
    if len(text) <= len(title) + 80 and long_[:len(short)] == short \
            and len(long_) - len(short) <= min(REPEAT_EXTRA_WORDS, len(short) // 3):
        return ""  # the title again ("Idlib" and "Idlib burns" differ: a third of a word is none)
    if len(said) >= REPEAT_MIN_WORDS and head[:len(said)] == said:
        for match in WORD.finditer(text, 0, len(title) + 80):  # where the repeated title ends
            if words(text[:match.end()]) == said:
                return text[match.end():].lstrip(" .:;,-–—|")
    return text
