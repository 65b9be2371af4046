"""An agency's dateline around a short item's text: the city and the agency, not the story's.

Turkish agencies end an item with its city after a dash ("... açıklama yaptı. - AYDIN"),
and agencies start one with it ("ANKARA (AA) -", "МОСКВА, 12 марта. /ТАСС/.", "ANKARA, 12
Mart (Reuters) -"). In Latin and Cyrillic script the city is in capitals as written (Turkish
ones too), so that a story's "Ankara" or "NATO" is no dateline; one at the end only after a
sentence's end, one at the start only with its agency.
"""

from __future__ import annotations

import re

# The city in capitals after a dash, one word or two: a dateline at the end (trailers._KINDS)
_CAPS = "A-ZÇĞİÖŞÜÂÎÛ"
DATELINE_AFTER = rf"[-–—][ \t]*[{_CAPS}]{{2,}}(?:[ \t][{_CAPS}]{{2,}})?"
DATELINE_WORDS = ("-", "–", "—")  # what trailers looks for before searching
# The city in capitals (up to three words), a date or a country after a comma, the agency in
# brackets or between slashes, and the mark that ends it: a dateline at the start
_UPPER = f"{_CAPS}А-ЯЁ"
_CITY = rf"[{_UPPER}][{_UPPER}'’.-]+"
_DATELINE_BEFORE = re.compile(rf"\A\s*{_CITY}(?:[ \t]+{_CITY}){{0,2}}(?:,[ \t]*[^\n()/]{{1,30}}?)?[ \t]*"
                              rf"(?:\([{_UPPER}][^()\n]{{0,24}}\)|/[{_UPPER}][^/\n]{{0,24}}/)[ \t]*[.–—-]{{1,2}}\s*")


def drop_dateline(text: str) -> str:
    """The text without an agency's dateline at its start ("ANKARA (AA) - ")."""
    if not text[:2].isupper():  # most texts: no search
        return text
    found = _DATELINE_BEFORE.match(text)
    return text[found.end():] if found is not None and found.end() < len(text) else text
