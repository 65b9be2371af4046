"""Links to other stories set inside an article's body, taken out before extraction.

News sites put the headline of another story between an article's paragraphs: RIA Novosti's
"Читайте также", Turkish sites' "Bunu da okuyun" or "İLGİLİ HABER", Arabic sites' "اقرأ
أيضا", a one-item list of links. trafilatura drops a sidebar of such links, and a list of
many, but keeps one or two inside the body: its link-density test lets a paragraph pass whose
one link is shorter than 100 characters. Judged with the article, that headline is read as
the article's: a football report under "Bunu da okuyun: Rus savaş uçakları İdlib'de Türkiye
destekli muhalifleri vurdu" scored 0.987 for turkey_russia_syria (0.002 without it) and
alerted, as did a Russian central bank report (0.001 -> 0.857) and an Arabic football report.

So a block (a paragraph, list item, quote or a div of inline markup only) that is a link of
a headline's length, under a label of a few words and with next to nothing after it, is
removed from the page before trafilatura reads it:

    <p><strong>Читайте также:</strong> <a href="…">Российская авиация нанесла удары …</a></p>

A sentence of the article that links a name keeps its words after the link ("<a>Erdoğan</a>,
Putin ile görüştü") or more words than the link outside it, and stays.
"""

from __future__ import annotations

from lxml.html import HtmlElement

MIN_LINK_WORDS = 3  # words of a link taken for another story's headline, at least
MAX_LABEL_WORDS = 4  # words before the link: "Читайте также:", "Bunu da okuyun:", "See also"
LABEL_ENDS = (":", "：", "»", "›", "|", "-", "–", "—", "•", "[", "(")
MAX_TRAILING_WORDS = 1  # words after the last link: "(video)", "»"
BLOCKS = frozenset({"p", "li", "blockquote", "dd", "div", "h2", "h3", "h4", "h5", "h6"})
INLINE = frozenset({"a", "span", "strong", "b", "em", "i", "u", "small", "br", "time", "img", "picture",
                    "source", "svg", "path"})


def drop_links_to_other_stories(tree: HtmlElement) -> int:
    """Remove the blocks of `tree` that hold a link to another story (module docstring);
    how many were removed."""
    found = [el for el in _link_blocks(tree) if _is_link_to_other_story(el)]
    for el in found:
        el.drop_tree()  # its tail, the text that follows it, stays
    return len(found)


def _link_blocks(tree: HtmlElement) -> dict[HtmlElement, None]:
    """The nearest block around each link, in document order: the only blocks that can be
    judged one (a block holding another block is not, and one without a link neither).
    Judging every block walked each one's descendants, a page's divs nested ten deep ten
    times over (with the label tested first, as now, that alone took 0.63-0.74 s over the
    article-extraction benchmark's 181 pages; from these blocks, 0.18-0.31 s)."""
    found: dict[HtmlElement, None] = {}
    for link in tree.iter("a"):
        el = link.getparent()
        while el is not None and el.tag not in BLOCKS:
            el = el.getparent()
        if el is not None:
            found[el] = None
    return found


def _is_link_to_other_story(block: HtmlElement) -> bool:
    if not _labelled(block):  # first: the cheapest test, and most blocks fail it or the next
        return False
    links = list(block.iter("a"))
    linked = sum(_words(a.text_content()) for a in links)
    if linked < MIN_LINK_WORDS:  # none, or a menu's one-word links
        return False
    if not all(not isinstance(child.tag, str) or child.tag in INLINE for child in block.iterdescendants()):
        return False  # a block of blocks: its inner blocks are judged each
    return (_words(block.text_content()) - linked <= MAX_LABEL_WORDS
            and _trailing(block, links[-1]) <= MAX_TRAILING_WORDS)


def _labelled(block: HtmlElement) -> bool:
    """The words before the block's first link, if any, are a label: set apart in markup of
    their own ("<strong>Читайте также</strong>") or ending in a colon or a mark ("Related:",
    "SEE MORE:", "اقرأ أيضا:"). A sentence that links its end ("Assange faces <a>a charge of
    conspiracy …</a>.") has neither, and is the article's."""
    before = (block.text or "").strip()
    return not before or before.endswith(LABEL_ENDS)


def _trailing(block: HtmlElement, last: HtmlElement) -> int:
    """Words of `block` after its element `last`: last's tail, and its ancestors' up to the block."""
    count, el = 0, last
    while el is not block and el is not None:
        count += _words(el.tail or "")
        for after in el.itersiblings():
            count += _words(after.text_content()) + _words(after.tail or "")
        el = el.getparent()
    return count


def _words(text: str) -> int:
    return len(text.split())
