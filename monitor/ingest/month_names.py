"""Dates as Turkish, Russian and Arabic outlets write them, in the forms dates.py reads.

RSS asks for RFC 822's English names, but outlets of the languages this monitor is for
write their own: "Ср, 12 мар 2025 14:30 МСК", "12 Nisan 2025 Cumartesi 14:30",
"الأربعاء، ١٢ مارس ٢٠٢٥". Neither Python's parsers nor feedparser's read them, so such an
item counted as published when fetched: a feed just added alerted its whole archive, past
`backlog`, and its items were never revised (pipeline.py). `english` gives each month its
RFC 822 name, drops weekdays, turns Arabic-Indic digits and the Arabic comma into ASCII,
names the zones of Moscow, Turkey and Syria by their offset, and writes a dotted day-first
date ("12.03.2025", how all three languages write a date in figures) with its month's name;
dates.py then reads the result as it reads any date, with the same checks. (dateparser,
which trafilatura's htmldate installs, reads these too, but took 1-15 ms a date, 280 ms
for its first, where a feed may list a thousand items.)
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable

from monitor.normalise import normalise

# Each month's names and abbreviations: Turkish, Russian (nominative and genitive), Arabic
# (the Egyptian and Gulf names, then the Levantine ones Syrian outlets use).
_MONTHS: dict[str, tuple[str, ...]] = {
    "Jan": ("ocak", "oca", "январь", "января", "янв", "يناير", "كانون الثاني"),
    "Feb": ("şubat", "şub", "февраль", "февраля", "фев", "فبراير", "شباط"),
    "Mar": ("mart", "март", "марта", "мар", "مارس", "آذار", "اذار"),
    "Apr": ("nisan", "nis", "апрель", "апреля", "апр", "أبريل", "ابريل", "إبريل", "نيسان"),
    "May": ("mayıs", "май", "мая", "مايو", "أيار", "ايار"),
    "Jun": ("haziran", "haz", "июнь", "июня", "июн", "يونيو", "يونيه", "حزيران"),
    "Jul": ("temmuz", "tem", "июль", "июля", "июл", "يوليو", "يوليه", "تموز"),
    "Aug": ("ağustos", "ağu", "август", "августа", "авг", "أغسطس", "اغسطس", "آب", "اب"),
    "Sep": ("eylül", "eyl", "сентябрь", "сентября", "сент", "сен", "سبتمبر", "أيلول", "ايلول"),
    "Oct": ("ekim", "eki", "октябрь", "октября", "окт", "أكتوبر", "اكتوبر", "تشرين الأول", "تشرين الاول"),
    "Nov": ("kasım", "kas", "ноябрь", "ноября", "нояб", "ноя", "نوفمبر", "تشرين الثاني"),
    "Dec": ("aralık", "ara", "декабрь", "декабря", "дек", "ديسمبر", "كانون الأول", "كانون الاول"),
}
_WEEKDAYS = ("pazartesi", "pzt", "salı", "sal", "çarşamba", "çar", "çrş", "perşembe", "per", "prş",
             "cumartesi", "cmt", "cuma", "cum", "pazar", "paz",
             "понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье",
             "пн", "вт", "ср", "чт", "пт", "сб", "вс",
             "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الاربعاء", "الخميس", "الجمعة", "السبت",
             "الأحد", "الاحد")
# Zones by name: Moscow's and Turkey's time (+03:00 since 2011 and 2016), and Eastern
# European time, Syria's and Turkey's before. Python's parser read each as UTC.
_ZONES = {"msk": "+0300", "мск": "+0300", "trt": "+0300", "eest": "+0300", "eet": "+0200"}


def _alternatives(names: Iterable[str]) -> str:
    ordered = sorted(names, key=len, reverse=True)  # "ноября" before "ноя"
    return "|".join(re.escape(name) for name in ordered)


# Looked up as the project folds words (normalise.py): "KASIM", "Kasım", "kasım", the
# long s and the Kelvin sign re.IGNORECASE matches, Arabic's alef forms, are one key each.
_NAME_OF = {normalise(name): english for english, names in _MONTHS.items() for name in names}
# A whole word (and an abbreviation's dot): "Mart" is a month, "Martı" is not.
_WORD = r"(?<!\w)({})\.?(?!\w)"
_MONTH = re.compile(_WORD.format(_alternatives(n for names in _MONTHS.values() for n in names)), re.I)
_WEEKDAY = re.compile(_WORD.format(_alternatives(_WEEKDAYS)) + r"\s*[,،]?\s*", re.I)
_ZONE = re.compile(_WORD.format(_alternatives(_ZONES)), re.I)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹،", "01234567890123456789,")
# "12.03.2025", "12.03.2025 14:30", "12.03.2025, 14:30:05": day first, as dotted dates are.
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+(\d{1,2}:\d\d(?::\d\d)?))?")


def english(value: str) -> str:
    """`value` with its names and figures as dates.py reads them (unchanged when it has none)."""
    value = value.translate(_DIGITS)
    value = _WEEKDAY.sub("", value)
    value = _MONTH.sub(lambda m: _NAME_OF.get(normalise(m[1]), m[0]), value)
    value = _ZONE.sub(lambda m: _ZONES.get(normalise(m[1]), m[0]), value)
    return _DOTTED.sub(_rfc822_order, value.strip(" ,"))


def named_zone(value: str) -> bool:
    """Whether `value` ends with a zone `english` names by its offset ("14:30 MSK": a date
    Python's parser reads, as UTC)."""
    return normalise(value.rsplit(None, 1)[-1]) in _ZONES


def _rfc822_order(m: re.Match[str]) -> str:
    month = int(m[2])
    if not 1 <= month <= 12:
        return m[0]  # no date: dates.py drops it as it is
    date = f"{int(m[1])} {calendar.month_abbr[month]} {m[3]}"
    return f"{date} {m[4]}" if m[4] else date
