"""The source and byline lines outlets end a description with, for trailers.py to drop.

Turkish sites end an item with "Kaynak: AA", "Haber: <reporter>", "Editör: …", a desk's
"Haber Merkezi" or an agency's bare "İHA"; Arabic ones with "المصدر: الجزيرة + وكالات",
"تحرير: …"; Russian ones with "Источник: ТАСС", "Автор: …", "Читайте нас в Дзен" (a call to
subscribe: trailers._SUBSCRIBE); Reuters with "(Reporting by …; Editing by …)". None is the
story's: as the last sentence or line of headlines and leads written for the project
(0.38-0.83 for turkey_russia_syria) each took 0.10-0.35 off the score on average; Reuters'
own, naming Ankara and Moscow, added 0.10.

As a photo's credit is, a label's is a sentence or line of its own, with a colon and six
words at most; a bare name is the agency's or the desk's alone; Reuters' names are
capitalised words with "and", "in", "by" between them, so that "Reporting by the BBC
found ..." stays. trailers.py looks for them only where a word of WORDS is near the end.

An agency's dateline is no more the story's: Turkish agencies end an item with its city
after a dash ("... açıklama yaptı. - AYDIN"), and agencies start one with it ("ANKARA (AA)
-", "МОСКВА, 12 марта. /ТАСС/.", "ANKARA, 12 Mart (Reuters) -"). Both are the city in
capitals as written (Turkish ones too), so that a story's "Ankara" or "NATO" is no dateline;
one at the end only after a sentence's end, one at the start only with its agency.
"""

from __future__ import annotations

import re

# Labels of a source or a byline, before a colon (a photo's are trailers._PHOTO)
LABELS = r"kaynak|haber|editör|muhabir|sources?|источник|автор|текст|المصدر|تحرير|[إا]عداد"
# A desk or an agency named alone: Turkish sites' "Haber Merkezi", "İHA", "DHA"
NAMES = r"haber\ merkezi|i̇ha|iha|dha"
# In lower case, one of them within each of LABELS and NAMES ("İHA" lowers to "i̇ha")
WORDS = ("kaynak", "haber", "editör", "muhabir", "source", "источник", "автор", "текст", "المصدر", "تحرير",
         "عداد", "iha", "i̇ha", "dha")

# Reuters' "Reporting by …; Writing by …; Editing by …", "Additional reporting by …",
# "Compiled by …": capitalised names and the words between them, in the case written
_NAME = (r"(?:[A-ZÀ-ÖØ-ÞŞĞİ][\w'’.-]*|al-\w+|and|in|at|by|for|of|the|from|staff|desk|editing|writing|reporting"
         r"|additional)")
CREDITED = (r"\(?(?-i:(?:[Aa]dditional\ reporting|[Rr]eporting|[Ww]riting|[Ee]diting|[Cc]ompil(?:ed|ing))\ by"
            rf"\ (?>{_NAME}(?:[ \t,;&/]+{_NAME}){{0,40}}+))\)?")
CREDITED_WORDS = ("ing by", "compiled by")  # in lower case

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
