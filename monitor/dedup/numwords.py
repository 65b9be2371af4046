"""Numbers written as words in English, Turkish, Russian and Arabic, read as the figures
they name (across.py compares an item's figures with another language's).

One outlet writes "five soldiers", its Russian service "пятеро военных", its Turkish one
"5 asker": read alike, the three are one story. Read in the item's own language only (the
Turkish for ten, "on", is an English preposition), as whole words with the endings a number
takes there: Russian cases (пяти, двумя, двухсот), its collective двое/трое/пятеро, Turkish
case and possessive endings in vowel harmony (beşi, ikisinin, dördüne; not the locative,
"dörtte bir" is a fraction), Arabic's one-letter words written onto a number (وخمسة,
بثلاثة) and its masculine and feminine forms; the Arabic dual of a noun news counts by
(جنديين "two soldiers", قتيلين "two dead") is a 2, for a list of nouns whose plural is not
written like their dual (مدنيين, civilians, is a plural: not listed).

Left out: one (an article or pronoun as often as a count: a, bir, один, واحد; it counts only
in a larger number, "one hundred", "bir milyon"), ordinals ("second", "ikinci", "второй"),
vague plurals ("dozens", "onlarca", "десятки", "عشرات", "тысячи" alone; "a dozen": 12,
"about ten" or "dozens"): no translation gives them one figure; one that counts time ("after
six hours of talks"), refers back ("the two leaders", الجنود الخمسة; الاثنين is also Monday)
or makes an English adjective ("a three-way meeting"): on the blind sets, each linked stories
years apart or parted one story's languages where one translation left it out. No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from monitor.normalise import normalise

UNIT, TEEN, TEN, HUNDRED, TIMES100, SCALE, WHOLE = range(7)  # a word's place in a number


@dataclass(frozen=True, slots=True)
class Word:
    """A number word: its value, its place, and whether it names a figure alone
    ("thousand" needs "a" or "two" before it; "тысяча" alone is 1000)."""

    value: int
    place: int
    alone: bool = True


def _table(entries: dict[str, tuple[int, int]], not_alone: str = "") -> dict[str, Word]:
    weak = set(not_alone.split())
    return {form: Word(v, p, form not in weak) for form, (v, p) in entries.items()}


def _place(value: int) -> int:
    return UNIT if value < 10 else TEEN if value < 20 else TEN if value < 100 else HUNDRED


_EN_UNITS = "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
            "seventeen eighteen nineteen".split()
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
ENGLISH = _table({**{w: (n, _place(n)) for n, w in enumerate(_EN_UNITS, start=2)},
                  **{w: (n, TEN) for n, w in zip(range(20, 100, 10), _EN_TENS, strict=True)},
                  "a": (1, UNIT), "one": (1, UNIT), "hundred": (100, TIMES100), "thousand": (1000, SCALE),
                  "million": (10**6, SCALE), "billion": (10**9, SCALE)},
                 "a one hundred thousand million billion")


def _harmony(stem: str) -> tuple[str, str]:
    """The four-way and two-way vowels a Turkish suffix takes after `stem`."""
    last = next(c for c in reversed(stem) if c in "aıoueiöü")
    return {"a": "ı", "ı": "ı", "o": "u", "u": "u", "e": "i", "i": "i", "ö": "ü", "ü": "ü"}[last], \
        "a" if last in "aıou" else "e"


def _turkish_forms(stem: str) -> set[str]:
    """A Turkish number with the endings it takes in news: possessive ("beşi", five of them)
    and its cases, dative, ablative, accusative, instrumental."""
    i, a = _harmony(stem)
    vowel = stem[-1] in "aıoueiöü"
    soft = stem[:-1] + "d" if stem == "dört" else stem  # dört, dördü
    d = "t" if stem[-1] in "çfhkpsşt" else "d"
    own = stem + "s" + i if vowel else soft + i
    return {stem, own, own + "n" + i, own + "n" + i + "n", own + "n" + a, own + "nd" + a + "n",
            stem + "y" + a if vowel else soft + a, stem + d + a + "n",
            stem + "y" + i if vowel else own, stem + ("y" if vowel else "") + "l" + a}


_TR_NUMBERS = dict(zip("iki üç dört beş altı yedi sekiz dokuz".split(), range(2, 10), strict=True)) | dict(
    zip("yirmi otuz kırk elli altmış yetmiş seksen doksan".split(), range(20, 100, 10), strict=True))
TURKISH = _table({form: (n, _place(n)) for stem, n in _TR_NUMBERS.items() for form in _turkish_forms(stem)}
                 | {form: (n, SCALE) for stem, n in (("bin", 1000), ("milyon", 10**6), ("milyar", 10**9))
                    for form in _turkish_forms(stem)}
                 # ten takes no ending: onu, ona, onda are "him", "to him", "in him"; a hundred
                 # only in a number ("yüz" alone is a face)
                 | {"on": (10, TEN), "bir": (1, UNIT), "yüz": (100, TIMES100)}, "bir yüz")

# Russian: each number's case forms (ё written е)
_RU_FORMS = {2: "два две двух двум двумя двое двоих двоим двоими", 3: "три трех трем тремя трое троих троим троими",
             4: "четыре четырех четырем четырьмя четверо четверых четверым", 40: "сорок сорока",
             90: "девяносто девяноста", 100: "сто ста", 200: "двести двухсот двумстам двумястами двухстах",
             300: "триста трехсот трехстам тремястами трехстах",
             400: "четыреста четырехсот четырехстам четырьмястами четырехстах"}
# -ь numbers: nominative, oblique in -и, instrumental in -ью (семью is also "family": left out)
_RU_SOFT = {5: "пять пяти пятью пятеро пятерых", 6: "шесть шести шестью шестеро шестерых",
            7: "семь семи семеро семерых", 8: "восемь восьми восемью восьмью", 9: "девять девяти девятью",
            10: "десять десяти десятью"}
_RU_TEENS = "один две три четыр пят шест сем восем девят".split()
_RU_SCALES = {1000: "тысяча тысячу тысячи тысяч тысячей тысячам тысячами тысячах",
              10**6: "миллион миллиона миллионов миллиону миллионом миллионам миллионами миллионах",
              10**9: "миллиард миллиарда миллиардов миллиарду миллиардом миллиардам миллиардами миллиардах"}


def _russian() -> dict[str, Word]:
    forms = {**_RU_FORMS, **_RU_SOFT}
    for n, stem in enumerate(_RU_TEENS, start=11):
        forms[n] = " ".join(stem + "надцат" + e for e in ("ь", "и", "ью"))
    for n, stem in ((20, "два"), (30, "три")):
        forms[n] = " ".join(stem + "дцат" + e for e in ("ь", "и", "ью"))
    for n, (nom, obl, ins) in enumerate((("пять", "пяти", "пятью"), ("шесть", "шести", "шестью"),
                                         ("семь", "семи", "семью"), ("восемь", "восьми", "восемью")), start=5):
        forms[n * 10] = f"{nom}десят {obl}десяти {ins}десятью"
        forms[n * 100] = f"{nom}сот {obl}сот {obl}стам {ins}стами {obl}стах"
    forms[900] = "девятьсот девятисот девятистам девятьюстами девятистах"
    entries = {w: (n, _place(n)) for n, ws in forms.items() for w in ws.split()}
    entries |= {w: (n, SCALE) for n, ws in _RU_SCALES.items() for w in ws.split()}
    alone = {"тысяча", "тысячу", "миллион", "миллиард"}  # тысячи alone is "thousands"
    weak = " ".join(w for ws in _RU_SCALES.values() for w in ws.split() if w not in alone)
    return _table(entries | {w: (1, UNIT) for w in "один одна одно одного одной одному одним одном".split()},
                  weak + " один одна одно одного одной одному одним одном")


RUSSIAN = _russian()


_AR_UNITS = {3: "ثلاثة ثلاث", 4: "أربعة أربع", 5: "خمسة خمس", 6: "ستة ست", 7: "سبعة سبع",
             8: "ثمانية ثماني ثمان", 9: "تسعة تسع", 10: "عشرة عشر"}
_AR_TENS = "عشر ثلاث أربع خمس ست سبع ثمان تسع".split()
_AR_HUNDREDS = "ثلاث أربع خمس ست سبع ثمان تسع".split()
# Keys and tokens are folded by normalise() (no short vowels or tatweel, the hamza's seats as
# their letters, ى as ي, ة as ه), as every other step of dedup folds Arabic
_AR = ({w: (n, _place(n)) for n, ws in _AR_UNITS.items() for w in ws.split()}
       | {t + e: (n, TEN) for n, t in zip(range(20, 100, 10), _AR_TENS, strict=True) for e in ("ون", "ين")}
       | {w: (2, UNIT) for w in "اثنان اثنين اثنتان اثنتين اثنا اثني اثنتا اثنتي".split()}
       | {w: (1, UNIT) for w in "أحد إحدى واحد واحدة".split()}
       | {h + m: (n, HUNDRED) for n, h in zip(range(300, 1000, 100), _AR_HUNDREDS, strict=True)
          for m in ("مئة", "مائة")}
       | {w: (200, HUNDRED) for w in "مئتان مئتين مائتان مائتين مئتا مئتي مائتا مائتي".split()}
       | {w: (100, TIMES100) for w in ("مئة", "مائة")}
       | {w: (1000, SCALE) for w in ("ألف", "آلاف")} | {w: (2000, WHOLE) for w in ("ألفان", "ألفين")}
       | {w: (10**6, SCALE) for w in ("مليون", "ملايين")} | {w: (2 * 10**6, WHOLE) for w in ("مليونان", "مليونين")}
       | {w: (10**9, SCALE) for w in ("مليار", "مليارات")})
ARABIC = {normalise(k): v for k, v in _table(
    _AR, "اثنا اثني اثنتا اثنتي أحد إحدى واحد واحدة آلاف ملايين مليارات").items()}
# Nouns news counts by whose dual ("two soldiers") is written unlike their plural
_AR_DUAL_NOUNS = ("جندي قتيل جريح شخص طفل رجل امرأة شهيد ضابط عنصر جثة ضحية صاروخ قذيفة طائرة مقاتلة "
                  "مسيرة مروحية دبابة سفينة غارة هجوم انفجار سيارة مفخخة").split()
ARABIC_DUALS = {normalise(n.removesuffix("ة") + ("ت" if n.endswith("ة") else "") + e)
                for n in _AR_DUAL_NOUNS for e in ("ين", "ان")}
# عشر after an ordinal is an ordinal's ("الحادي عشر", the eleventh)
_AR_ORDINALS = {normalise(w) for w in "حادي حادية ثاني ثانية ثالث ثالثة رابع رابعة خامس خامسة سادس سادسة "
                "سابع سابعة ثامن ثامنة تاسع تاسعة".split()}
# "and", "so", "with", "for", "as" written onto a word, shortest first. Not the article: "the
# two" refers back ("the two leaders"; الاثنين is Monday, المئة in "في المئة" per cent)
_AR_PREFIXES = sorted({c + p for c in ("", "و", "ف") for p in ("", "ب", "ل", "ك")}, key=len)


def _arabic(token: str, before: str) -> Word | None:
    """An Arabic token's number word, less the one-letter words and article written onto it."""
    token = normalise(token)
    for prefix in _AR_PREFIXES:
        core = token[len(prefix):]
        if not token.startswith(prefix) or (len(core) < 3 and prefix[-1:] in ("ب", "ل", "ك")):
            continue  # لست is "I am not", not "for six"
        if core in ARABIC_DUALS:
            return Word(2, WHOLE)
        word = ARABIC.get(core)
        if word is not None:
            ordinal = normalise(before).removeprefix("ال") in _AR_ORDINALS
            return None if word.value == 10 and ordinal else word
    return None


_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|[\u064b-\u065f\u0670])*")  # letters, and a vocalised Arabic word's marks
_JOIN = re.compile(r"[\s\u00a0]*(?:[-\u2010\u2011][\s\u00a0]*)?(?:and[\s\u00a0]+)?")  # twenty-five, a hundred and five
_DIGIT_BEFORE = re.compile(r"\d[\s\u00a0]*$")


def _lower(token: str, language: str) -> str:
    if language == "tr":  # dotted and dotless i: İKİ, DÖRT, ALTI
        token = token.replace("I", "ı").replace("\u0130", "i")
    return token.lower().replace("ё", "е")


def _word(text: str, m: re.Match[str], before: str, language: str, in_number: bool) -> Word | None:
    """The number word a token is in `language`, or None (`in_number`: it would go on one)."""
    token = _lower(m.group(), language)
    if language == "ar":
        word = _arabic(m.group(), before)
    else:
        word = {"en": ENGLISH, "tr": TURKISH, "ru": RUSSIAN}.get(language, {}).get(token)
    if word is None:
        return None
    if word.place == SCALE and _DIGIT_BEFORE.search(text[max(0, m.start() - 8):m.start()]):
        return None  # "600 bin", "5 тысяч": the digits' word of thousands (across._FIGURE)
    if language == "tr" and token.startswith("bin") and not in_number and before[:1].isupper():
        return None  # "Muhammed bin Selman"
    return word


# A span of time counted in words is the story's background ("after six hours of talks",
# "за два дня", "üç haftadır", "ten months after"), not its figure: stories of years apart were
# linked by it. Digits before a time are read as before (a 48-hour truce is the story's own).
_TIME = {"en": re.compile(r"[\s\u00a0-]*(?:hour|day|week|month|year|decade|minute)s?\b", re.I),
         "tr": re.compile(r"[\s\u00a0]*(?:saat|gün|hafta|yıl|sene|dakika|ay(?:d[aı]r?|lık|ı|da)?\b)", re.I),
         "ru": re.compile(r"[\s\u00a0]*(?:час|дн|день|сут|недел|месяц|год|лет\b|минут)", re.I),
         "ar": re.compile(r"[\s\u00a0]*[وفبل]?(?:ساع|يوم|أيام|ايام|أسبوع|اسبوع|أسابيع|اسابيع|شهر|أشهر|اشهر|عام|أعوام"
                          r"|اعوام|سنة|سنه|سنوات|سنين|دقيق|دقائق)")}
# English writes an adjective with a number word ("a three-way meeting", "a two-day visit"): no count
_ADJECTIVE = re.compile(r"[-\u2010\u2011][^\W\d_]")


def spelled(text: str, language: str) -> list[tuple[int, int]]:
    """Each number written in words in `text` (in `language`: en, tr, ru or ar; any other
    reads none), as its value and the offset where it ends. Values of 1 are left out, and
    numbers that count time, refer back ("the two leaders") or make an English adjective."""
    if language not in ("en", "tr", "ru", "ar"):
        return []
    out = []
    for run, before in _runs(text, language):
        value, end = _value([w for w, _ in run]), run[-1][1]
        if (value is None or value < 2 or _TIME[language].match(text, end) or before.lower() == "the"
                or (language == "en" and _ADJECTIVE.match(text, end))):
            continue
        out.append((value, end))
    return out


def _runs(text: str, language: str) -> Iterator[tuple[list[tuple[Word, int]], str]]:
    """Runs of number words written one after another (space, hyphen, "and" between),
    each word with its end offset, and the word just before the run (or ""); a run breaks
    where a word cannot go on the number."""
    run: list[tuple[Word, int]] = []
    before, end, opener = "", 0, ""
    for m in _TOKEN.finditer(text):
        if run and language == "en" and m.group().lower() == "and":
            continue  # a hundred and five
        joined = _JOIN.fullmatch(text, end, m.start()) is not None
        word = _word(text, m, before if joined else "", language, bool(run) and joined)
        if run and (word is None or not joined or not _fits([w for w, _ in run], word)):
            yield run, opener
            run = []
        if word is not None:
            opener = opener if run else (before if joined else "")
            run.append((word, m.end()))
        before, end = m.group(), m.end()
    if run:
        yield run, opener


# The places before a word that end a number: "five six", "twenty thirty", "five двести"
_TAKEN_BY = {UNIT: {UNIT, TEEN}, TEEN: {UNIT, TEEN, TEN}, TEN: {TEN, TEEN}, HUNDRED: {HUNDRED, UNIT, TEEN, TEN}}


def _fits(run: list[Word], word: Word) -> bool:
    """Whether `word` goes on the number `run` began (five hundred, خمسة وعشرون, двадцать пять)."""
    places = _places(run)
    scales = [w.value for w in run if w.place == SCALE]
    if word.place == WHOLE or WHOLE in places:
        return False
    if word.place == SCALE:
        return bool(places) and (not scales or word.value < scales[-1])
    if word.place == TIMES100:
        return places <= {UNIT}
    if word.place == TEEN and word.value == 10:  # Arabic: ثلاثة عشر, 13
        return places <= {UNIT, HUNDRED, TIMES100} and UNIT in places
    return not places & _TAKEN_BY[word.place]


def _places(run: list[Word]) -> set[int]:
    """The places taken in the run's last group (after its last word of thousands or
    millions): a hundred's units are the hundred's ("five hundred" takes units no more)."""
    places: set[int] = set()
    for w in run:
        places = set() if w.place == SCALE else {HUNDRED} if w.place == TIMES100 else places | {w.place}
    return places


def _value(run: list[Word]) -> int | None:
    """A run's number; None when it is one word that names no figure alone ("a", "thousand")."""
    if len(run) == 1 and not run[0].alone:
        return None
    total = group = 0
    for w in run:
        if w.place == SCALE:
            total += (group or 1) * w.value
            group = 0
        elif w.place == TIMES100:
            group = (group or 1) * 100
        else:
            group += w.value
    return total + group
