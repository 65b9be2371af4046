"""One story across languages: an item whose near-duplicate check started a new story is
the same story as one another language's feed started within the last day when both give
the same figures and name at least two of the same concepts (the model's lexicon of actors
and places, which names each in every language it knows: Erdogan, Erdoğan, Эрдоган and
أردوغان are one concept).

The word-based index (index.py) compares words, and a story in Turkish and in English
shares only its names and numbers with itself. Numbers are written alike in every script
(the figures of a report: 11 killed, 33 soldiers, 600,000 refugees), and the concepts
make sure the figures are of the same kind of story. What is compared is an item's title
and first sentence, as feeds carry them.

Measured (`.ci/eval_across.py`): on FA-KES, title and first sentence, two reports dated at
most a day apart that this test takes for one story (were they in two languages) are one
event 6 times in 6 (12 in 13 before numbers in words were read and one small figure asked
four concepts; the other was two raids each killing 10, in Aleppo and a day later in an
Idlib town). A story told without figures ("Erdogan and Putin discuss Idlib") is not
linked: its alerts stay one per language. Like the index, it keeps
two reports of one event in one language apart; across languages it cannot tell a
translation from another outlet's report with the same figures, and takes both for the
story (what one alert per story across outlets and languages asks for).
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import redis

from monitor import codec, defaults, limits
from monitor.dedup.index import StoryMatch
from monitor.dedup.numwords import spelled
from monitor.dedup.script_across import ACROSS_LUA
from monitor.errors import StoreError
from monitor.items import Item, Source
from monitor.keys import Keys
from monitor.model.concepts import Lexicon, Tagger
from monitor.normalise import normalise
from monitor.store import run_each

MIN_SHARED_CONCEPTS = 2
"""Concepts both items must name: "Russia" alone is in half the topic's stories."""
ONE_SMALL_FIGURE_CONCEPTS = 4
"""Concepts both must name when the one figure they give is below 10: "three soldiers" and
"two warplanes", read from words, matched other stories' 3 and 2 (years apart) by Turkey and
Idlib alone (.ci/eval_across.py, the blind sets: 38 pairs of two stories linked at 2, 5 at 4)."""

# A figure as outlets write it in any language: 1,200 / 1.200 / 1 200 are one number
# (thousands grouped by comma, point or a space), 3.5 and 3,5 another (a decimal point or
# comma), and a word for thousands or millions multiplies it (600,000 = 600 bin = 600 тысяч
# = 600 ألف). Digits written onto a letter name a thing, not a count: the M4 highway, an F16.
# A figure is a whole number: none begins or ends inside digits and separators (a date
# 12.10.2019, the tail of M4.5), even where a shorter reading would fit.
_FIGURE = re.compile(r"(?<!\w)(?<!\d[.,])(\d+(?:[.,\u00a0\u202f ]\d{3})*)(?:[.,](\d+))?(?![.,]?\d)"
                     r"(?:[\s\u00a0]*(thousand|bin(?:e|i|in|den|de|lik)?|тыс|тысяч[аи]?|ألف|الف|آلاف|الاف|million"
                     r"|milyon(?:u|a|un|dan|da|luk)?|млн|миллион(?:а|ов)?|مليون|ملايين|billion|milyar(?:ı|a|ın|dan|da|lık)?"
                     r"|млрд|миллиард(?:а|ов)?|مليار)(?!\w))?", re.I)
# Turkish puts a case ending on the word for thousands or millions ("900 bine ulaştı", "7 milyonu
# aştı", "2,5 milyarlık anlaşma"): read as the word itself.
_TURKISH_STEMS = ("bin", "milyon", "milyar")
_TIMES = {"thousand": 10**3, "bin": 10**3, "тыс": 10**3, "тысяч": 10**3, "тысяча": 10**3, "тысячи": 10**3,
          "ألف": 10**3, "الف": 10**3, "آلاف": 10**3, "الاف": 10**3, "million": 10**6, "milyon": 10**6,
          "млн": 10**6, "миллион": 10**6, "миллиона": 10**6, "миллионов": 10**6, "مليون": 10**6,
          "ملايين": 10**6, "billion": 10**9, "milyar": 10**9, "млрд": 10**9, "миллиард": 10**9,
          "миллиарда": 10**9, "миллиардов": 10**9, "مليار": 10**9}
# Arabic's own: its comma (as Arabic news group thousands: 630،000), thousands separator
# and decimal point (١٬٢٠٠ is 1,200 and ٣٫٥ is 3.5)
_ARABIC_SEPARATORS = {"\u060c": ",", "\u066c": ",", "\u066b": "."}
# Arabic writes "and", "so", "in", "for", "as" (و ف ب ل ك) as one letter onto the next word,
# a number too (و5 أسابيع, بـ3 محافظات): that number is a figure, set apart before reading.
_PROCLITIC = re.compile(r"(?<!\w)(?:[وف][بلك]?|[بلك])\u0640?(?=\d)")
_DIGITS_MOST = 24  # a figure longer than any count is compared as written
# A year is the story's background, not its figures ("the Sochi memorandum of 2019"): four
# digits as written, so 2,000, 1.950 and 2 bin stay counts.
_YEAR = re.compile(r"(?:19|20)\d\d")
_FIRST_SENTENCE = re.compile(r"(?<=[.!?\u061f])\s+|\n+")  # the model's sentence ends, and Arabic's ؟
# A day or two or three counted in hours is the span a report covers ("in the past 24 hours",
# "son 24 saatte", "за последние 24 часа", "خلال 24 ساعة"), not one of its story's figures:
# a truce report and a strike report of one day shared only that "24" and were taken for one
# story. An adjective ("a 48-hour truce", "48 saatlik", "48-часовое") names the story's own.
# (A day beside its month's name stays a figure: left out, "23 октября" and "March 15" no longer
# parted translations, but FA-KES reports a day apart that their dates had told apart were
# linked, 10 killed by Islamic State and 10 by barrel bombs.)
_SPAN_HOURS = {"24", "48", "72"}
_HOURS_NOUN = re.compile(r"[\s\u00a0]*(?:hours?|saat(?!lik)\w*|час(?:а|ов)?|ساعة|ساعات)(?!\w)", re.I)


@dataclass(frozen=True, slots=True)
class Signature:
    """What of an item's title and first sentence is alike in every language."""

    figures: tuple[str, ...]  # its numbers, digits of any script as ASCII, years left out
    concepts: tuple[str, ...]  # the lexicon's concepts it names, sorted


def figures(text: str, language: str = "") -> tuple[str, ...]:
    """The numbers a text gives, sorted, once each: Arabic-Indic digits read as ASCII, and
    numbers written as words in `language` (en, tr, ru, ar: numwords.py) as their digits."""
    # decimal digits only: a superscript or a circled number is a mark, not part of a count
    ascii_digits = "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii()
                           else _ARABIC_SEPARATORS.get(c, c) for c in text)
    ascii_digits = _PROCLITIC.sub(lambda m: m.group() + " ", ascii_digits)
    found = {_value(whole, part, times) for whole, part, times, end in _matches(ascii_digits)
             if (part or times or not _YEAR.fullmatch(whole))  # a year as written: 2,000 and 2 bin are counts
             and not (whole in _SPAN_HOURS and not part and not times and _HOURS_NOUN.match(ascii_digits, end))}
    found.update(str(value) for value, end in spelled(text, language)  # "twenty-four hours" a span too
                 if not (str(value) in _SPAN_HOURS and _HOURS_NOUN.match(text, end)))
    return tuple(sorted(found))


def _matches(text: str) -> list[tuple[str, str, str, int]]:
    """Each figure's whole part, decimal part, word of thousands or millions, and its end."""
    return [(m.group(1), m.group(2) or "", m.group(3) or "", m.end()) for m in _FIGURE.finditer(text)]


def _value(whole: str, part: str, times: str) -> str:
    """A figure's value written one way: 1200, 3.5, 600000."""
    digits = re.sub(r"\D", "", whole)
    if len(digits) + len(part) > _DIGITS_MOST:  # no count: as written (int() refuses 4,300 digits)
        return f"{digits}.{part}" if part else digits
    number = Fraction(int(digits))
    if part:
        number += Fraction(int(part), 10 ** len(part))
    # Turkish capitals dot their i ("2 MİLYAR"), and str.lower() writes İ as i with a combining dot
    word = times.replace("\u0130", "i").lower()
    number *= _TIMES.get(next((stem for stem in _TURKISH_STEMS if word.startswith(stem)), word), 1)
    return str(number.numerator) if number.denominator == 1 else f"{float(number):g}"


def _head(title: str, text: str) -> str:
    """What is compared of an item: its title and first sentence."""
    return f"{title}\n{_FIRST_SENTENCE.split(text.strip(), maxsplit=1)[0]}" if text.strip() else title


def signature(title: str, text: str, tagger: Tagger, language: str = "") -> Signature | None:
    """The signature of an item's title and first sentence (in `language`, whose numbers
    written as words are read); None when it gives no figure or names fewer concepts than
    it must share (min_shared: nothing it could be linked by)."""
    head = _head(title, text)
    nums = figures(head, language)
    if not nums:
        return None
    concepts = tuple(tagger.concepts(normalise(head)))
    sig = Signature(nums, concepts)
    return sig if len(concepts) >= min_shared(sig) else None


def min_shared(sig: Signature) -> int:
    """Concepts an item must share with another of the same figures to be its story."""
    one_small = len(sig.figures) == 1 and len(sig.figures[0]) == 1  # 2 to 9 (0 and 1 too)
    return ONE_SMALL_FIGURE_CONCEPTS if one_small else MIN_SHARED_CONCEPTS


def same_story(a: Signature, b: Signature) -> bool:
    """The test the script makes (for the evaluation)."""
    return a.figures == b.figures and len(set(a.concepts) & set(b.concepts)) >= min_shared(a)


def explain(text_a: str, text_b: str, lexicon: Lexicon) -> dict[str, Any]:
    """The test on two texts, each a title line then its text (`monitor similar`), each in
    the language detected on it, as the pipeline detects an item's."""
    from monitor.language import detect  # loads its model: only for this command

    tagger = tagger_of(lexicon)
    heads = [_head(*(t.strip().split("\n", 1) + [""])[:2]) for t in (text_a, text_b)]
    sigs = [Signature(figures(h, detect(t)), tuple(tagger.concepts(normalise(h))))
            for h, t in zip(heads, (text_a, text_b), strict=True)]
    shared = sorted(set(sigs[0].concepts) & set(sigs[1].concepts))
    return {"figures_a": list(sigs[0].figures), "figures_b": list(sigs[1].figures), "shared_concepts": shared,
            "min_shared_concepts": min_shared(sigs[0]),
            "linked": bool(sigs[0].figures) and same_story(*sigs)}

@lru_cache(maxsize=2)  # the model in force, and the one a reload brings
def tagger_of(lexicon: Lexicon) -> Tagger:
    return Tagger(lexicon)


def lexicon_of(metadata: dict[str, object]) -> Lexicon:
    """The concept lexicon a model's metadata holds (empty for a model without one)."""
    spec = metadata.get("spec")
    table = spec.get("concepts", {}) if isinstance(spec, dict) else {}
    return tuple((str(k), tuple(map(str, v))) for k, v in sorted(table.items()))


class AcrossLanguages:
    """Links new stories to the one another language's item started (Redis, shared by
    every worker: each item's script is atomic)."""

    def __init__(self, redis_client: redis.Redis, keys: Keys, story_ttl: int = int(defaults.DEDUP_WINDOW),
                 window: float = limits.ACROSS_WINDOW) -> None:
        self._redis = redis_client
        self._keys = keys
        self._story_ttl = int(story_ttl)  # the index's window: its stories get copies that long
        self._window = int(window)
        self.script = redis_client.register_script(ACROSS_LUA)

    def link_many(self, items: Sequence[Item], stories: Sequence[StoryMatch], topics: Sequence[Sequence[str]],
                  lexicon: Lexicon) -> list[StoryMatch]:
        """Each new story of a known language that another language's item started is that
        story (not new: it sends no alert of its own, and is recorded as one of its sources,
        as the index records each copy of it on that story); every other match as it was."""
        now, tagger = str(int(time.time())), tagger_of(lexicon)
        out = list(stories)
        calls: list[tuple[list[Any], list[Any]]] = []
        at = []
        for i, (item, story) in enumerate(zip(items, stories, strict=True)):
            if story.across is not None:  # answered: a copy of a story checked here, or a repeat check
                # (the index's script answers them in the story they are sources of, but for an
                # answer kept before links recorded sources)
                out[i] = _joined(story, *story.across) if story.across[0] != story.story_id else story
                continue
            call = self._call(item, story, topics[i], tagger, now) if story.is_new else None
            if call is not None:
                calls.append(call)
                at.append(i)
        if not calls:
            return out
        try:
            replies = run_each(self._redis, self.script, calls)
        except redis.RedisError as e:
            raise StoreError(f"stories across languages: {e}") from e
        for i, reply in zip(at, replies, strict=True):
            if reply and reply[0].decode() != out[i].story_id:  # not its own
                out[i] = _linked(out[i], reply)
        return out

    def _call(self, item: Item, story: StoryMatch, topics: Sequence[str], tagger: Tagger,
              now: str) -> tuple[list[Any], list[Any]] | None:
        """The script's keys and arguments for a new story; None: nothing to link it by."""
        sig = signature(item.title, item.text, tagger, item.language) if item.language != "und" else None
        if sig is None or not topics:
            return None
        source = codec.encode_source(Source(item.id, item.source, item.url, item.published, item.language))
        keys = [self._keys.across_story(story.story_id),
                *(self._keys.across(t, figures_key(sig.figures)) for t in sorted(set(topics)))]
        return keys, [self._story_ttl, item.language, ",".join(sig.concepts), story.story_id, now, self._window,
                      limits.ACROSS_ENTRIES, min_shared(sig), source, self._keys.neardup_story(""),
                      self._keys.neardup_story_sources(""), defaults.STORY_SOURCES_MAX, item.source]


def _linked(match: StoryMatch, reply: list[Any]) -> StoryMatch:
    """An item's match as the story another language's item started, which the script
    recorded it on: not new, a source of that story (its follow-up counts it)."""
    story_id, first = reply[0].decode(), codec.decode_source(reply[1])
    if len(reply) < 5:  # an answer kept before links recorded sources
        return _joined(match, story_id, first)
    sources = tuple(codec.decode_source(e) for e in reply[4])
    return StoryMatch(story_id, first.item_id, sources, is_new=False, n_sources=int(reply[3]),
                      new_source=bool(reply[2]), across=(story_id, first))


def _joined(match: StoryMatch, story_id: str, first: Source) -> StoryMatch:
    """An item's match as the story another language's item started, by an answer kept
    before links recorded their item as a source (or whose story's list has gone): not
    new, and bringing that story no source (not counted there: no follow-up)."""
    sources = (first, *match.sources)[:defaults.STORY_SOURCES_MAX]
    return StoryMatch(story_id, first.item_id, sources, is_new=False, n_sources=len({s.source for s in sources}),
                      new_source=False)


def figures_key(figs: Sequence[str]) -> str:
    """16 hex digits naming a set of figures in a key (a text may give many)."""
    return hashlib.sha1(",".join(figs).encode()).hexdigest()[:16]
