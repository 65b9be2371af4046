"""The boilerplate feeds append to an item's text, dropped before it is scored or compared.

Outlets' feeds end a description with a link to the page ("Read more", "Devamı için
tıklayın", "Читать далее", "اقرأ المزيد", "[…]"), a photo's credit ("Photo: AFP",
"(Reuters)"), the story's source or byline ("Kaynak: AA", "Reporting by …": bylines.py) or,
on WordPress sites with the Yoast plugin (Enab Baladi and many Turkish and Syrian outlets),
with "The post <title> appeared first on <site>." in the site's language. Such a trailer is
a sentence of its own, so it makes a passage of its own with the item's last sentence, and
that weak passage is averaged into the score (model/features.py, combine): a trailing "Read
more" took up to 0.18 off headline-and-lead items written for the project (two of 56 English
on-topic ones fell under the threshold), its Turkish and Russian forms 0.23, another story's
headline after "Read also:" 0.48; "Photo: AFP" after FA-KES's title and first sentence took
their recall at 0.60 from 0.797 to 0.730, "(Reuters)" to 0.757. For the near-duplicate check
it is the outlet's signature, not the story.

A photo's credit before the text ("Photo: AFP.", "Фото: Сергей Бобылев/ТАСС.") is dropped
too (drop_credit_before): a short one that ends its sentence or line, or one that names an
agency, which is where a credit the HTML joined to the story ends.

Only a trailer at the very end is dropped, and a single word only where a sentence ended
before it, so a sentence that merely ends in "подробнее" keeps its words. Each kind is looked
for only in as much of the end as it can take, and only when a word of it is there: the
search costs ~1 µs an item that has none.
"""

from __future__ import annotations

import re

from monitor import urls
from monitor.ingest import bylines, datelines
from monitor.normalise import normalise

# Link texts of several words: a trailer wherever the text ends with one.
_LINKS = (r"read\ more|read\ (?:the\ )?(?:full\ )?(?:story|article)|continue\ reading|full\ story"
          r"|lire\ (?:l['’]article(?:\ complet)?|la\ suite)"
          r"|(?:haberin\ )?(?:devamı|devamını\ okumak|detaylar)\ için\ tıklayın(?:ız)?|devamını\ oku|haberin\ devamı"
          r"|читать\ (?:далее|дальше|полностью)|подробнее\ на\ сайте"
          r"|[اإ]قر[أا]\ (?:المزيد|التفاصيل|الخبر\ كامل(?:اً|ًا|ا|ة))|للمزيد\ اضغط\ هنا|تابع\ القراءة")
# Words that prose also ends with ("рассказали подробнее"): only as a sentence of their own.
_WORDS = r"devamı|tümünü\ oku|haberin\ tamamı|подробнее|подробности|далее|полный\ текст|المزيد|التفاصيل(?:\ كاملة)?"
_ARROW = r"(?:\s*(?:»|›|→|\.\.\.|…|>>))?"
_AFTER_SENTENCE = r"(?:\A|(?<=[.!?…»\"')\]\n]))\s*"
_END = r"\s*[.!]?\s*\Z"
_TITLE = r"[^\n]{1,500}?"  # a post's title, after a prefix that says where it starts
_FIRST = r"(?:(?![.!?]\s)[^\n]){1,500}?"  # ...or, with none, from the last sentence's end
_SITE = r"[^\n]{1,200}?"


def _words(most: int) -> str:
    """Up to `most` words, no sentence's end among them: a credit's shape."""
    return rf"(?:[^\s.!?]+[ \t]+){{0,{most - 1}}}[^\s.!?]+"


_PHOTO = r"(?:photo|photograph|image|picture|fotoğraf|foto|фото|الصورة|صورة)(?:\s+credits?)?"
_PHOTO_WORDS = ("photo", "image", "picture", "foto", "фото", "صورة")  # in lower case, within _PHOTO
# "Read also", in the four languages: a link to another story
_ALSO = r"read\ also|also\ read|ilgili\ haber|читайте\ также|[اإأ]قر[أا]\ [أا]يض(?:اً|ًا|ا)"

# Telegram channels, read through a bridge (RSSHub, rss-bridge), end a post with its hashtags,
# the channel's "@name", a line asking the reader to subscribe ("РИА Новости. Подписаться",
# "👉 Подписывайтесь на @tass_agency", "Сирийские заметки — забирай в свой Telegram",
# "تابعونا على تلغرام", "Bizi Telegram'dan takip edin") and its views ("👁 15.2K"), each
# a line of its own. The tags are the editor's, not the story's: "#Турция #Россия #Сирия" under
# a post on tourists to Antalya took it from 0.030 to 0.838, a false alert; a signature took
# a short item from 0.534 to 0.278 (.ci/eval_telegram.py).
_SUBSCRIBE = (r"(?:подписаться|подписывайтесь|подписывайся|подпишись|подпишитесь|(?:забирай|добавляй)\ в\ свой"
              r"|читайте\ нас\ (?:в|на)\ [^\s.!?]+"
              r"|تابعونا|للاشتراك|(?:اشترك(?:وا)?\ في|انضم(?:وا)?\ (?:إلى|ل))\ ?(?:قناتنا|القناة)|انضموا"
              r"|bizi\ telegram[^\n]{0,20}takip\ edin|kanal(?:ımız)?a\ (?:abone|katıl)|abone\ olun|abone\ ol"
              r"|subscribe|follow\ us|join\ (?:us|our))(?!\w)")
# The call, alone or naming the channel or Telegram ("на @tass_agency"): "Подписаться под
# заявлением отказались" is a story's sentence.
_CALL = (rf"(?:{_SUBSCRIBE})(?:[^\n]{{0,60}}(?:@\w|telegram|телеграм|канал|kanal|channel|قنات|تلغرام|تيليجرام)"
         rf"[^\n]{{0,40}})?")
# A post's views ("👁 15.2K"), each part bounded: `\S*`, `[\d.,]+` and `\w*` all read digits,
# so "👁" and 198 of them was tried n^3 ways (0.6 s an item, 600 s a feed of 1,000)
_VIEWS = r"👁\S{0,16}\s*[\d.,]{1,16}\s*[KkMmКкМм]?\w{0,16}"
_NAMED = rf"{_words(3)}[ \t]*[.:—–|-][ \t]*"  # the channel's name before it ("РИА Новости. ")
_TAGS = r"(?:(?:#[^\W\d]\w*|@\w{3,})[ \t,;]*)+"  # hashtags and @names, nothing else
_SUBSCRIBE_WORDS = ("подпис", "подпиш", "в свой", "читайте нас", "تابعونا", "للاشتراك", "اشترك", "انضم",
                    "telegram", "abone", "subscribe", "follow us", "join")
# (regular expression, characters of the end it can take, words one of which it needs there,
# in lower case)
_KINDS = (
    # a link to the page
    (re.compile(rf"\[(?:…|\.\.\.)\]{_END}|(?:{_LINKS}){_ARROW}{_END}"
                rf"|{_AFTER_SENTENCE}(?:{_WORDS}){_ARROW}{_END}", re.IGNORECASE), 60,
     ("[", "read", "story", "continue", "lire", "devam", "tıklayın", "tümünü", "tamam", "чита", "подробн",
      "далее", "полный", "المزيد", "للمزيد", "التفاصيل", "القراءة", "كامل")),
    # a photo's credit, or the story's source or byline (a name or two, an agency: six words
    # at most, so that a caption or a story that starts "Photo:" is not taken for one), the
    # agency's in brackets or its name alone, as a sentence of its own (bylines.py)
    (re.compile(rf"{_AFTER_SENTENCE}(?:{_PHOTO}|{bylines.LABELS})\s*:\s*(?=[^\n]{{1,80}}{_END}){_words(6)}{_END}"
                rf"|{_AFTER_SENTENCE}(?:\([^()\n]{{1,30}}\)|{bylines.NAMES}){_END}",
                re.IGNORECASE), 120, (*_PHOTO_WORDS, *bylines.WORDS, ")")),
    # a link to another story: its headline is not this item's; Reuters' "Reporting by …"
    (re.compile(rf"(?:{_ALSO})\s*:[^\n]{{0,300}}{_END}|{_AFTER_SENTENCE}related\s*:[^\n]{{0,300}}{_END}"
                rf"|{_AFTER_SENTENCE}{bylines.CREDITED}{_END}",
                re.IGNORECASE), 340, ("also", "lgili haber", "также", "يض", "related", *bylines.CREDITED_WORDS)),
    # WordPress's "Continue reading <title> →", and the Yoast plugin's footer in English,
    # Russian, Arabic and Turkish (which starts with the title)
    (re.compile(rf"continue\ reading\ [^\n]{{1,300}}?\s*(?:»|›|→){_END}"
                rf"|the\ post\ {_TITLE}\ appeared\ first\ on\ {_SITE}{_END}"
                rf"|(?:сообщение|запись)\ {_TITLE}\ появил(?:ась|ись|ось)\ сначала\ на\ {_SITE}{_END}"
                rf"|(?:ظهرت\ المقالة|ظهر\ المقال)\ {_TITLE}\ (?:أولاً|أولا|اولا)\ على\ {_SITE}{_END}"
                rf"|{_AFTER_SENTENCE}{_FIRST}\ yazısı\ ilk\ (?:önce|olarak)\ {_SITE}\ üzerinde"
                rf"\ (?:ortaya\ çıktı|yayınlandı){_END}", re.IGNORECASE), 800,
     ("continue reading", "appeared first", "сначала на", "أولاً على", "أولا على", "اولا على",
      "yazısı ilk")),
    # a Telegram channel's call to subscribe, after its name and a dash, a colon or a full
    # stop; its hashtags and @name; its views
    (re.compile(rf"(?:{_AFTER_SENTENCE}|(?<=\n)[ \t]*{_NAMED})[^\w\n]{{0,4}}{_CALL}{_END}", re.IGNORECASE), 180,
     _SUBSCRIBE_WORDS),
    (re.compile(rf"{_AFTER_SENTENCE}{_TAGS}{_END}"), 300, ("#", "@")),
    (re.compile(rf"{_AFTER_SENTENCE}{_VIEWS}{_END}"), 40, ("👁",)),
    # an agency's dateline: the city in capitals after a dash, the agency's name (datelines.py)
    (re.compile(rf"{_AFTER_SENTENCE}{datelines.DATELINE_AFTER}{_END}"), 40, datelines.DATELINE_WORDS),
)

_REACH = max(reach for _, reach, _ in _KINDS) + 8

# Agencies a photo is credited to, so that a credit the HTML joined to the story ("Photo: AFP
# Turkish troops ...") ends where the agency's name does.
_AGENCY = (r"afp|reuters|ap|aa|epa|dpa|getty\ images|anadolu(?:\ agency)?|xinhua|sputnik|tass|dha|iha|i̇ha"
           r"|shutterstock|ria\ novosti|ria|sana|тасс|риа\ новости|риа|epa-efe|ар|رويترز|الأناضول|سانا"
           r"|أ\ ف\ ب|فرانس\ برس")
# A credit before the text: a short one that ends its sentence or line, or one that names an
# agency, with a photographer before it ("Omar Haj Kadour / AFP") and agencies after it.
_BEFORE = re.compile(rf"\A\s*\(?{_PHOTO}\s*:\s*(?:{_words(4)}\s*\)?\s*(?:[.!][ \t]+|\n\s*)"
                     rf"|(?:[^\n/:.]{{1,40}}/\s*)?(?:{_AGENCY})(?:\s*/\s*(?:{_AGENCY}))*(?!\w)\s*\)?"
                     rf"\s*[.,;:|–—-]?\s+)", re.IGNORECASE)


TRAILERS_MOST = 4  # trailers dropped one after another: a post's tags, @name, signature and views


def drop_trailers(text: str) -> str:
    """The text without the feed boilerplate at its end (a trailer after a trailer too)."""
    for _ in range(TRAILERS_MOST):
        cut = len(text)
        low = text[-_REACH:].lower()  # "İ" lowers to two characters: a few more are looked at
        for pattern, reach, words in _KINDS:
            if any(map(low[-reach - 8:].__contains__, words)):  # no generator: ~1 µs less an item
                found = pattern.search(text, max(0, len(text) - reach))
                if found is not None:
                    cut = min(cut, found.start())
        if cut == len(text):
            return text
        text = text[:cut].rstrip()
    return text


def drop_credit_before(text: str) -> str:
    """The text without a photo's credit at its start. As a sentence of its own it makes a
    passage of its own, as a trailer does ("Photo: AFP." before FA-KES's first sentence took
    recall at 0.60 from 59 to 48 of 74); joined to the first sentence, 56."""
    head = text[:20].lower()  # once, not once a word
    if not any(map(head.__contains__, _PHOTO_WORDS)):
        return text
    found = _BEFORE.match(text)
    return text[found.end():] if found is not None and found.end() < len(text) else text


# A line that links to another story: "Read also: <its headline>", in the four languages.
_RELATED = re.compile(rf"\s*(?:{_ALSO}|ilgili\ haberler|see\ also|related|смотрите\ также)\s*:", re.IGNORECASE)
# A Telegram post's line of hashtags, views or call to subscribe: a short line (a paragraph is none)
_POST_LINE = re.compile(rf"\s*(?:{_TAGS}|{_VIEWS}|[^\w\n]{{0,4}}(?:{_NAMED})?{_CALL})\s*\Z", re.IGNORECASE)
_POST_LINE_CHARS = 200
POST_LINES = 8  # last lines looked at: the post's end, then RSSHub's link preview (an article's paragraphs are not)


def drop_related_lines(text: str) -> str:
    """The text without its lines that link to another story, wherever they stand: WordPress
    sites put "Read also: …" between an article's paragraphs, and feeds that carry the
    article (content:encoded) carry them too; nor a Telegram post's lines of hashtags or its
    call to subscribe among its last POST_LINES, which RSSHub follows with the preview of a
    link. On one line only the end can be told (drop_trailers): what follows a link there may
    be the story's next paragraph."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    if ":" in text:  # and in the line: _RELATED ends with one
        lines = [line for line in lines if ":" not in line or _RELATED.match(line) is None]
    last = len(lines) - POST_LINES
    return "\n".join(line for n, line in enumerate(lines)
                     if n < last or len(line) > _POST_LINE_CHARS or _POST_LINE.match(line) is None)


def drop_outlet(title: str, outlet: str | None) -> str:
    """A headline without the outlet's name its feed appended (" - " and the name of the
    item's RSS <source>): Google News writes "<headline> - <outlet>" for every story it
    lists, and the name's words are no story's ("Лавров проведёт переговоры с турецким
    коллегой в Анкаре - РИА Новости" scored 0.660, the headline 0.769)."""
    outlet = " ".join((outlet or "").split())
    if not outlet or not title.endswith(outlet):
        return title
    found = _OUTLET_DASH.search(title, 0, len(title) - len(outlet))
    return title[:found.start()] if found is not None and found.start() > 0 else title


_OUTLET_DASH = re.compile(r" [-–—|] ?\Z")  # before the outlet's name


def outlet_of_link(title: str, link: str) -> str | None:
    """The name after a headline's last " - " or " | " (four words at most) when the item's
    link is on that name's site: its words run together ("Daily Sabah", dailysabah.com), or
    its first (three letters or more, not an article: "Reuters", "BBC News", "Sputnik
    Türkiye") begin a label of the link's host, folded as normalise() folds. A feed gives no
    <source> for it (Google Alerts, Bing, an outlet's own feed): " - Reuters" cost mid-range
    English items up to 0.10 and " - Hürriyet" Turkish ones ~0.05; a story's last words
    ("... - Syria") name no host of the item's link, and stay."""
    if not any(mark in title for mark in _TAIL_MARKS):  # most titles: no search
        return None
    found = _TAIL.search(title)
    if found is None or found.start() == 0 or " " not in title[:found.start()].strip():
        return None
    labels = _host_labels(link)
    words = [w for w in (_ASCII_WORD.sub("", normalise(w)) for w in found[1].split()) if w]
    if not labels or not words:
        return None
    joined, first = "".join(words), words[0]
    named = any(label.startswith(joined) for label in labels) or (
        len(first) >= 3 and first not in _ARTICLES and any(label.startswith(first) for label in labels))
    return found[1] if named else None


_TAIL_MARKS = (" - ", " | ", " – ", " — ")
_TAIL = re.compile(r" [-–—|] ((?:\S+ ){0,3}\S+)\Z")
_ASCII_WORD = re.compile(r"[^0-9a-z]")
_ARTICLES = frozenset({"the", "les", "los", "las", "der", "die", "das"})  # words as folded: letters, digits


def _host_labels(link: str) -> list[str]:
    """The labels of the link's host, less "www" and the like ("tr.sputniknews.com":
    tr, sputniknews, com); none for a link with no host."""
    return [label.replace("-", "") for label in urls.host(link).split(".") if label not in ("www", "m", "amp", "")]


# What a Telegram bridge writes before a post it forwards (RSSHub's "Forwarded From <b>…</b>",
# rss-bridge's "Forwarded from …") or one a bot sent ("via @bot"), a line of its own: not the
# story's words, and it hid the headline the text repeats (repeats.beyond_title looks at the start).
_FORWARDED = re.compile(r"\A\s*(?:forwarded\ from\ [^\n]{1,80}|via\ @\w+)[ \t]*\n", re.IGNORECASE)


def drop_forwarded(text: str) -> str:
    """The text without a Telegram bridge's line saying whose post it forwards."""
    if text[:20].lstrip()[:3].lower() not in ("for", "via"):
        return text
    found = _FORWARDED.match(text)
    return text[found.end():] if found is not None else text


# RSSHub's tags for a Telegram post's media before its first line in the title ("🖼", "🎬",
# "🔁" a forward, "↩️" a reply, or "[Photo]" in words), and rss-bridge's title for a post with
# no text ("@channel posted a photo"): no headline's words. A photo alone was an item titled
# "🖼" scored 0.060, "@syria_now posted a video" 0.159 (its channel's name), above article_bar:
# its page was read.
_TAG_EMOJI = "🖼🎬🔁↩🔧🤖📊🎙🎵📄📍📱🚫"
_MEDIA_TAGS = re.compile(rf"\A(?:\s*(?:[{_TAG_EMOJI}]\ufe0f?|\[(?:photo|video|gif|poll|voice|music|document"
                         r"|location|contact|(?:animated\ |video\ )?sticker|forwarded|reply|via\ bot|service"
                         r"|unsupported)\]))+\s*", re.IGNORECASE)
_POSTED = re.compile(r"\A@\w+\ posted\ an?\ (?:photo|video|sticker|attachment|location)\Z")


def drop_media_tags(title: str) -> str:
    """A title without a Telegram bridge's media tags before it; "" for one that is no more."""
    if title[:1] == "@":
        return "" if _POSTED.match(title) else title
    if title[:1] not in _TAG_EMOJI and title[:1] != "[":
        return title
    found = _MEDIA_TAGS.match(title)
    return title[found.end():] if found is not None else title
