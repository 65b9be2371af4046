"""An agency's dateline around a short item's text: the city and the agency, not the story's.

Turkish agencies end an item with its city after a dash ("... açıklama yaptı. - AYDIN"),
and agencies start one with it ("ANKARA (AA) -", "МОСКВА, 12 марта. /ТАСС/.", "ANKARA, 12
Mart (Reuters) -"). In Latin and Cyrillic script the city is in capitals as written (Turkish
ones too), so that a story's "Ankara" or "NATO" is no dateline; one at the end only after a
sentence's end, one at the start only with its agency.

Arabic has no capitals, and Russian and Turkish sites write the city as a word too
("Москва. 12 марта. ИНТЕРФАКС -", "Viyana (AA) -"): there the agency is the anchor, one of
AGENCIES, in brackets, after a slash or a dash, or after a date and a mark, following a city
of three words at most and a date ("أنقرة (الأناضول) -", "دمشق-سانا", "إسطنبول/ الأناضول",
"بيروت، 12 آذار (رويترز) -", "عواصم (وكالات)", "АНКАРА, 3 фев — РИА Новости."), or alone in
brackets ("(د ب أ) -"). A story's own "أنقرة" stays: no agency follows it. Each took a
mid-range item (0.36-0.85 for turkey_russia_syria, headlines and leads written for the
project: tests/data/dateline_items.json) 0.14 away from its score on average, up to 0.54.

Then the forms without a bracket (session 42): AP's "DAMASCUS, Syria — " and "ISTANBUL — ", an
agency's name alone ("AP - ", "AA - ", "Sputnik — "), a Turkish agency's reporter ("Alper
KORKMAZ / İstanbul DHA-"), and Arabic outlets that sign as agencies do ("إدلب - عنب بلدي",
"(الوطن) -"): 0.20 on average on those items, up to 0.64. Of 13,536 published texts (FA-KES,
AG News, SemEval-2022) 1,161 starts changed, all AG News datelines ("AP - ", "NAJAF, Iraq - ").
"""

from __future__ import annotations

import re

# Agencies that name themselves before or after an item (any case): at the start in brackets
# each, and those of NAMED also after a dash, a slash or a date ("دمشق-سانا", "12 марта.
# ИНТЕРФАКС -"), where a Latin code is no agency's ("POL-AA:" is a German police office's,
# "Christian Mang / Reuters" a photo's)
NAMED = (r"الأناضول|سانا|رويترز|فرانس\ برس|[أا]\ ?ف\ ?ب|[أا]\.ف\.ب|د\ ?ب\ ?[أا]|د\.ب\.[أا]|[أا]\ ش\ [أا]|سبوتنيك"
         r"|(?:ريا\ )?نوفوستي|تاس|شينخوا|قنا|واس|وام|كونا|بترا|واج|وكالات|[أا]\ ب|أسوشيتد\ برس|إرنا"
         r"|ТАСС|РИА\ Новости|Интерфакс|INTERFAX(?:\.RU)?|(?:ИА\ )?(?:Регнум|REGNUM)|ПРАЙМ|БелТА|Синьхуа|Sputnik"
         # Arabic outlets that sign their copy as an agency does ("إدلب - عنب بلدي", "حلب – «الشرق الأوسط»:")
         r"|عنب\ بلدي|الجزيرة\ نت|العربية\ نت|الشرق\ الأوسط|العربي\ الجديد|القدس\ العربي|تلفزيون\ سوريا"
         r"|روسيا\ اليوم|سكاي\ نيوز\ عربية|بلدي\ نيوز|الخليج\ أونلاين")
# and names that sign copy only in brackets, being words too ("(الوطن)": the homeland; "الجزيرة": the island)
AGENCIES = rf"{NAMED}|AA|İHA|IHA|DHA|ANKA|Anadolu\ Ajansı|Reuters|AFP|AP|Xinhua|dpa|EFE|ANSA|الوطن|الجزيرة"
# At the end, after a sentence's end (trailers._KINDS): the city in capitals after a dash, one
# word or two ("- AYDIN"); an agency after a dash or a bar, between slashes, or on a line of its
# own (any of AGENCIES: "— ТАСС", "| Интерфакс", "- سانا", "/الأناضول/", "\nAA"); a Gulf agency's end of
# wire copy ("//انتهى//", "(النهاية) ع ر ب")
_CAPS = "A-ZÇĞİÖŞÜÂÎÛ"
DATELINE_AFTER = (rf"(?:[-–—][ \t]*[{_CAPS}]{{2,}}(?:[ \t][{_CAPS}]{{2,}})?"
                  rf"|(?i:[-–—|][ \t]*(?:{AGENCIES})|/[ \t]*(?:{AGENCIES})[ \t]*/|(?<=\n)[ \t]*(?:{AGENCIES}))(?!\w)"
                  r"|/{0,2}[ \t]*انتهى[ \t]*/{0,2}|\(النهاية\)[^\n()]{0,24})")
DATELINE_WORDS = ("-", "–", "—", "|", "/", "\n", "انتهى", "النهاية")  # what trailers looks for before searching
# The city in capitals (up to three words), a date or a country after a comma, the agency in
# brackets or between slashes, and the mark that ends it: a dateline at the start
_UPPER = f"{_CAPS}А-ЯЁ"
_CITY = rf"[{_UPPER}][{_UPPER}'’.-]+"
_DATELINE_BEFORE = re.compile(rf"\A\s*{_CITY}(?:[ \t]+{_CITY}){{0,2}}(?:,[ \t]*[^\n()/]{{1,30}}?)?[ \t]*"
                              rf"(?:\([{_UPPER}][^()\n]{{0,24}}\)|/[{_UPPER}][^/\n]{{0,24}}/)[ \t]*[.–—-]{{1,2}}\s*")

_AGENCY = rf"(?:{AGENCIES})(?!\w)"
_NAME = rf"«?(?:{NAMED})»?(?!\w)"
_WORD = r"[^\W\d_]++(?:['’][^\W\d_]++)?+"  # a city's word, in any script and case
# After the city: a date or a country after a comma ("، 12 آذار", ", 3 фев", ", Syria"), or a
# date after a space or a full stop ("في 12 مارس", ". 12 марта"), in up to three parts
# ("Aug 25, 2004", "12 марта 2024, 10:15"); each part taken whole, so that a text that is
# no dateline is given up at once (a part tried a character at a time cost ~25 us a text)
_PART = r"[^\n()/\-–—.,،]{1,30}+"
_DATE = rf"(?:[ \t]*[,،][ \t]*{_PART}|(?:[ \t]*\.)?[ \t]+(?:في[ \t]+)?\d(?:{_PART})?)(?:[,.][ \t]*{_PART}){{0,2}}"
_MARK = r"[ \t]*(?:[-–—:.|]{1,2}|(?=\n))"  # what ends a dateline: a dash, a colon, a full stop, a bar, the line
_AGENCY_DATELINE = re.compile(
    rf"\A\s*(?:{_WORD}(?:[ \t]+{_WORD}){{0,2}}+(?:{_DATE})?"
    rf"(?:[ \t]*\({_AGENCY}\){_MARK}"  # in brackets: a mark after it ("Viyana (AA) -"), not "Fidan (AA) muhabirine"
    rf"|[ \t]*[-–—]{{1,2}}[ \t]*(?:\({_AGENCY}\)|{_NAME})(?:{_MARK})?"  # after a dash
    rf"|[ \t]*/[ \t]*{_NAME}(?:[ \t]*/)?(?:{_MARK})?"  # after a slash
    rf"|[ \t]*[.,،][ \t]*{_NAME}{_MARK})"  # after a date's full stop or comma
    rf"|\({_AGENCY}\)(?:{_MARK})?|/{_NAME}/(?:{_MARK})?)\s*", re.IGNORECASE)
DATELINE_REACH = 80  # characters of the start that hold a dateline's bracket, slash or dash
AGENCY_FIRST_REACH = 16  # ...and the dash after an agency named first ("Reuters - ", "Sputnik — ")
# Without an agency, as AP and American papers write it: the city in capitals and a dash,
# with a state or country after a comma ("DAMASCUS, Syria — ", "KYIV, Ukraine - "), else a
# city of five letters or more, or of two or three words ("ISTANBUL — ", "SAN FRANCISCO - "),
# so that "UN - ", "NATO — " or "PKK - " stays; a hyphen only between spaces ("NATO-led"). A
# label in capitals ("BREAKING — ") goes too.
_DASH = r"(?:[ \t]*[—–][ \t]*|[ \t]+-[ \t]+)"
_REGION = rf"[{_UPPER}][^\W\d_]+(?:[ \t]+[{_UPPER}][^\W\d_]+)?"
_CITY_DASH = re.compile(rf"\A\s*(?:{_CITY}(?:[ \t]+{_CITY}){{0,2}},[ \t]*{_REGION}"
                        rf"|[{_UPPER}]{{5,}}|{_CITY}(?:[ \t]+{_CITY}){{1,2}}){_DASH}")
# An agency's name alone before a dash ("AP - ", "AA - ", "Sputnik — "), case as written
_AGENCY_FIRST = re.compile(rf"\A\s*(?:{AGENCIES})[ \t]*[-–—]{{1,2}}[ \t]+")
# A Turkish agency's reporter, a slash, the city and the agency ("Alper KORKMAZ / İstanbul DHA-")
_REPORTER = re.compile(rf"\A\s*{_WORD}(?:[ \t]+{_WORD}){{1,2}}[ \t]*/[ \t]*{_WORD}[ \t]+(?:İHA|IHA|DHA|AA|ANKA)"
                       rf"[ \t]*[-–—]{{1,2}}\s*")


def drop_dateline(text: str) -> str:
    """The text without an agency's dateline at its start ("ANKARA (AA) - ", "دمشق-سانا")."""
    found = (_DATELINE_BEFORE.match(text) or _CITY_DASH.match(text)) if text[:2].isupper() else None
    if found is None and _may_name_agency(text[:DATELINE_REACH]):
        found = _AGENCY_DATELINE.match(text) or _AGENCY_FIRST.match(text) or _REPORTER.match(text)
    return text[found.end():] if found is not None and found.end() < len(text) else text


def _may_name_agency(start: str) -> bool:
    """Whether the start may hold an agency's dateline: a bracket or a slash (_AGENCY_DATELINE,
    _REPORTER); a dash in a script not Latin alone (a name of NAMED after the city); or a
    capital first and a dash soon after (an agency alone, _AGENCY_FIRST: "AP - ", "Sputnik —
    "; an en dash is not ASCII, so the dash before covers it). Most texts have none, and are
    not searched (~2 us a text that is; this test costs ~0.1 us)."""
    head = start[:AGENCY_FIRST_REACH]
    return ("(" in start or "/" in start or (not start.isascii() and ("-" in start or "–" in start or "—" in start))
            or start[:12].lstrip()[:1].isupper() and ("-" in head or "—" in head))
