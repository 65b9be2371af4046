"""The source and byline lines outlets end a description with, for trailers.py to drop,
and the writer's byline Arabic sites start one with (drop_writer).

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

Egyptian and Gulf sites start an item with its writer, a line of its own ("كتب- محمد الصاوي:",
"كتبت - سارة أحمد:", "كتب : معتز عباس", "بقلم: د. أحمد حسن"): the word for "wrote" or "by
the pen of", a dash or a colon, a name of four words at most, and a colon or the line's end.
"كتب ترامب على تويتر:" ("Trump wrote on Twitter:", no mark after the word) is the story's.
Before headlines and leads written for the project (tests/data/dateline_items.json) one
moved the score 0.01-0.05 on average, up to 0.07, and it was the alert's first words.

An agency's dateline, at the end or the start, is datelines.py's.
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

_WRITER = re.compile(r"\A\s*(?:كتب|كتبت|كتبه|كتبها|بقلم)[ \t]*[-–—:][ \t]*(?:[^\W\d_]++\.?[ \t]*){1,4}(?::|(?=\n))\s*")
_WRITER_STARTS = ("كتب", "بقل")  # what the text starts with, for _WRITER to be tried


def drop_writer(text: str) -> str:
    """The text without its writer's byline at its start ("كتب- محمد الصاوي:")."""
    if text[:12].lstrip()[:3] not in _WRITER_STARTS:  # most texts: no search
        return text
    found = _WRITER.match(text)
    return text[found.end():] if found is not None and found.end() < len(text) else text
