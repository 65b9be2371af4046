"""The boilerplate feeds append to an item's text, dropped before it is scored or compared.

Outlets' feeds end a description with a link to the page ("Read more", "Devamı için
tıklayın", "Читать далее", "اقرأ المزيد", "[…]") or, on WordPress sites with the Yoast
plugin (Enab Baladi and many Turkish and Syrian outlets), with "The post <title> appeared
first on <site>." in the site's language. Such a trailer is a sentence of its own, so it
makes a passage of its own with the item's last sentence, and that weak passage is averaged
into the score (model/features.py, combine): a trailing "Read more" took up to 0.18 off
headline-and-lead items written for the project (two of 56 English on-topic ones fell under
the threshold), its Turkish and Russian forms 0.23, another story's headline after "Read
also:" 0.48. For the near-duplicate check it is the outlet's signature, not the story.

Only a trailer at the very end is dropped, and only where a sentence ended before it, so a
sentence that merely ends in "подробнее" keeps its words.
"""

from __future__ import annotations

import re

# The trailers are short; the search starts this far from the end, so a 20,000-character
# text costs no more than a headline.
TAIL_CHARS = 800
# Link texts of several words: a trailer wherever the text ends with one.
_LINKS = (r"read\ more|read\ the\ (?:full\ )?(?:story|article)|continue\ reading|full\ story"
          r"|devamı\ için\ tıklayın|devamını\ oku|haberin\ devamı"
          r"|читать\ далее|читать\ полностью"
          r"|اقرأ\ المزيد|إقرأ\ المزيد|اقرا\ المزيد")
# One word that prose also ends with ("рассказали подробнее"): a trailer only as a sentence
# of its own.
_WORDS = r"devamı|подробнее|далее|المزيد|التفاصيل"
_RELATED = r"read\ also|also\ read|ilgili\ haber|читайте\ также|اقرأ\ أيضا|اقرأ\ أيضاً"
_ARROW = r"(?:\s*(?:»|›|→|\.\.\.|…|>>))?"
_TITLE = r"[^\n]{1,500}?"  # a post's title, after a prefix that says where it starts
_FIRST = r"(?:(?![.!?]\s)[^\n]){1,500}?"  # ...or, with none, from the last sentence's end
_SITE = r"[^\n]{1,200}?"
_TRAILER = re.compile(
    r"\s*+(?:"
    r"\[(?:…|\.\.\.)\]"  # WordPress's excerpt ellipsis
    rf"|(?:{_LINKS}){_ARROW}"
    rf"|(?:{_RELATED})\s*:[^\n]{{0,300}}?"  # a link to another story: its headline is not this item's
    r"|continue\ reading\ [^\n]{1,300}?\s*(?:»|›|→)"  # WordPress's "Continue reading <title> →"
    # Yoast's RSS footer in English, Russian and Arabic ("The post <title> appeared first on <site>.")
    rf"|the\ post\ {_TITLE}\ appeared\ first\ on\ {_SITE}"
    rf"|(?:сообщение|запись)\ {_TITLE}\ появил(?:ась|ись|ось)\ сначала\ на\ {_SITE}"
    rf"|(?:ظهرت\ المقالة|ظهر\ المقال)\ {_TITLE}\ (?:أولاً|أولا|اولا)\ على\ {_SITE}"
    r")\s*[.!]?\s*\Z"
    # ...and after a sentence's end: one word, and Yoast's Turkish footer, which starts
    # with the title ("<title> yazısı ilk önce <site> üzerinde ortaya çıktı.")
    r"|(?:\A|(?<=[.!?…»\"')\]\n]))\s*+(?:"
    rf"(?:{_WORDS}){_ARROW}"
    r"|related\s*:[^\n]{0,300}?"
    rf"|{_FIRST}\ yazısı\ ilk\ (?:önce|olarak)\ {_SITE}\ üzerinde\ (?:ortaya\ çıktı|yayınlandı)"
    r")\s*[.!]?\s*\Z",
    re.IGNORECASE | re.VERBOSE)


# Words of every trailer: a text whose end holds none is left at once (the regular
# expression tries each branch at each of the tail's positions: ~100 µs an item, ~1 µs so).
# A link's words end the text; another story's headline, or Yoast's, may follow the rest.
_END_CHARS = 40
_ENDS = ("read", "continue", "story", "[…]", "[...]", "→", "»", "›", ">>", "devam", "tıklayın",
         "чита", "подробнее", "далее", "المزيد", "التفاصيل", "اقرأ", "إقرأ", "اقرا")
_TAILS = ("read also", "also read", "related", "lgili haber", "yazısı ilk", "читайте также",
          "appeared first", "сначала на", "أيضا", "أيضاً", "أولاً على", "أولا على", "اولا على")


def drop_trailers(text: str) -> str:
    """The text without the feed boilerplate at its end (a trailer after a trailer too)."""
    end = text[-_END_CHARS:].lower()
    if not any(key in end for key in _ENDS) and not any(key in text[-TAIL_CHARS:].lower() for key in _TAILS):
        return text
    for _ in range(3):
        found = _TRAILER.search(text, max(0, len(text) - TAIL_CHARS))
        if found is None:
            break
        text = text[:found.start()].rstrip()
    return text
