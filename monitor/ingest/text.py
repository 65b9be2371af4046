"""Text cleanup shared by the parse stage: HTML to plain text, canonical URLs, item ids.

Pure functions, no I/O. lxml does the HTML work because it is an order of magnitude faster
than feedparser's sanitiser, and we only want the words anyway.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from html import unescape
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from monitor.limits import ITEM_HTML_MAX_ATTRIBUTES, ITEM_URL_CHARS, TAG_MAX_ATTRIBUTES

TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "igshid", "ref_src"})
"""Query parameters that identify a campaign or a click, not the page (plus every utm_*)."""

ID_LENGTH = 24
"""Hex digits kept of an item id's sha1: 96 bits, so Redis keys stay short and collisions nil."""

# Elements whose content is never readable text.
_INVISIBLE = ("script", "style", "noscript", "template", "head")
# Elements that end a word even when the markup has no space around them.
_BLOCKS = tuple(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr td th table blockquote pre hr section article "
    "header footer figure figcaption dd dt dl aside nav img".split()
)
# huge_tree: libxml2 otherwise stops at ~255 levels of nesting and the rest of the text is lost
_HTML_PARSER = etree.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, default_doctype=False, huge_tree=True
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# Characters XML cannot hold: C0 controls but tab, newline and carriage return, lone surrogates
# (from "&#xD800;" or a JSON "\\ud800") and the non-characters U+FFFE/U+FFFF. lxml refuses
# them (ValueError), UTF-8 cannot encode a surrogate (UnicodeEncodeError).
_NOT_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
# ...and, in text, DEL and the C1 controls too (U+009B is a terminal's escape).
_NOT_TEXT = re.compile(f"[{_NOT_XML}\x7f-\x9f]")
_NOT_XML_CHAR = re.compile(f"[{_NOT_XML}]")
_ASCII_NOT_TEXT = bytes([*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])  # what _NOT_TEXT matches of ASCII
# A numeric character reference, ";" optional as in HTML: "&#xD800;", "&#1;", "&#99999999".
_CHARREF = r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?"
_CHARREF_STR = re.compile(_CHARREF)
_CHARREF_BYTES = re.compile(_CHARREF.encode())
# A character reference, numeric or named, ";" required: without it "AT&T", "?a=1&copy=2"
# or "Tom&nothing" would be read as HTML's legacy references (html.unescape reads "&not").
# At most 7 digits: a longer number is no character, and int() would raise past 4,300.
_REFERENCE_NAME = r"(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31})"
_LEFT_REFERENCE = re.compile(f"&{_REFERENCE_NAME};")
_CHAINED_REFERENCE = re.compile(f"&(?:amp;)*{_REFERENCE_NAME};")  # escaped again, and again
LEFT_LEVELS = 3  # levels of escaping unescape_left decodes at most (the first always; each one pass)
# A tag written as text, which markup escaped twice ("&amp;lt;p&amp;gt;", or "&lt;p&gt;" in a
# CDATA section) leaves in the decoded text: an element's name, so not a "<" of prose ("x < y",
# "<3") nor a text about markup ("the <tag> element").
_TAG_TEXT = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?/?>")
_BLOCK_NAMES = frozenset(_BLOCKS)
_TAG_NAMES = _BLOCK_NAMES | frozenset(
    "a b i u s em strong span small big sup sub font abbr cite code q mark time picture source video iframe "
    "center".split())


def collapse(text: str) -> str:
    """Collapse every run of whitespace (including no-break spaces) into one space."""
    return " ".join(text.split())


def clean_chars(text: str) -> str:
    """The text with every character that is no text (controls, lone surrogates,
    non-characters) turned into a space."""
    if text.isascii() and len(text.encode("ascii").translate(None, _ASCII_NOT_TEXT)) == len(text):
        return text  # most English items: a quarter of the regex's time (4 us for 2 KB of HTML)
    return _NOT_TEXT.sub(" ", text)


def drop_bad_charrefs(markup: str) -> str:
    """The markup with every numeric character reference XML cannot hold made a space
    (a parser would raise on it, or decode a control character into the text)."""
    if "&#" not in markup:
        return markup
    return _CHARREF_STR.sub(lambda m: " " if _bad_code(m[1] or m[2], 16 if m[1] else 10) else m[0], markup)


def drop_bad_charrefs_bytes(body: bytes) -> bytes:
    """`drop_bad_charrefs` for an undecoded document (any ASCII-compatible encoding)."""
    if b"&#" not in body:
        return body
    return _CHARREF_BYTES.sub(
        lambda m: b" " if _bad_code((m[1] or m[2]).decode(), 16 if m[1] else 10) else m[0], body)


def _bad_code(digits: str, base: int) -> bool:
    digits = digits.lstrip("0") or "0"
    if len(digits) > 7:  # beyond U+10FFFF in either base (and int() has a digit limit)
        return True
    code = int(digits, base)
    return code > 0x10FFFF or _NOT_XML_CHAR.match(chr(code)) is not None


def unescape_left(text: str) -> str:
    """Decoded text with the character references still in it decoded: a feed that escapes
    its markup twice ("&amp;#1055;" in an RSS title or a CDATA section, a JSON title) left
    "&#1055;&#1091;…" where "Пу…" was written, and no topic scored it. One level always;
    another only while letters are still written as references (a JSON content_text's
    "&amp;#1055;", escaped twice beyond plain text), at most LEFT_LEVELS: "&amp;amp;" with
    no letter so written is "&amp;". The result is text, never read as markup again (a
    "&lt;" decoded here is a "<" sign, no tag); a reference to a character no text may
    hold is a space (drop_bad_charrefs, clean_chars)."""
    for level in range(LEFT_LEVELS):
        if "&" not in text or (level and not _letters_left(text)):
            return text
        text = _LEFT_REFERENCE.sub(lambda m: _decoded(m[0]), text)
    return text


def _letters_left(text: str) -> bool:
    """Whether a letter is still written as a reference, escaped once or more ("&amp;#1055;")."""
    return any(_decoded(f"&{m[1]};").isalpha() for m in _CHAINED_REFERENCE.finditer(text))


def _decoded(reference: str) -> str:
    return clean_chars(unescape(drop_bad_charrefs(reference)))


def cut_at_word(text: str, keep: int) -> str:
    """`text` cut to `keep` characters at a word's end, or mid-word when no word ends in
    its second half (an item's title and text; `monitor score`'s input, cut alike)."""
    if len(text) <= keep:
        return text
    head, space, _ = text[:keep + 1].rpartition(" ")
    return head if space and len(head) >= keep // 2 else text[:keep]


def lines_of(text: str) -> str:
    """Each line of `text` one-spaced, blank ones dropped."""
    if "\n" not in text and "\r" not in text:
        return collapse(text)  # a line (another line break, "\u2028", is read as a space)
    return "\n".join(" ".join(parts) for line in text.splitlines() if (parts := line.split()))


def plain_text(text: str, lines: bool = False) -> str:
    """A feed's plain-text value, clean and one-spaced (each line so, with `lines`), its
    character references decoded (unescape_left: many feeds escape plain text as HTML)."""
    text = unescape_left(clean_chars(text))
    return lines_of(text) if lines else collapse(text)


def one_tag_of(attributes: int) -> str:
    """A pattern of a tag with `attributes` attributes, values quoted or not, read once as
    HTML reads it: every quantifier is possessive (`*+`), and gives back nothing it read.
    Without them "x = v" read as one attribute or as two ("x =" and "v"), and a tag of such
    pairs short of the count was tried in every split before it failed: 2^k tries of k
    pairs, with the GIL held (499 pairs, 3 KB of a feed item, stopped the service for good;
    tests/hostile/test_memory.py). Also 3x faster on the 181 pages of the article-extraction
    benchmark (0.16-0.21 -> 0.05-0.07 s, ingest/article.py's guard of every page)."""
    return (r"<[A-Za-z][^\s<>/]*+(?:\s++[^\s=<>\"'/]++(?:\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'|[^\s<>\"']*+))?+)"
            f"{{{attributes}}}")


_MANY_ATTRIBUTES = re.compile(one_tag_of(TAG_MAX_ATTRIBUTES))


def many_attributes(html: str) -> bool:
    """One element with more than TAG_MAX_ATTRIBUTES attributes (limits.py)."""
    return len(html) > 2 * TAG_MAX_ATTRIBUTES and _MANY_ATTRIBUTES.search(html) is not None


def html_to_text(html: str, lines: bool = False) -> str:
    """Plain text of an HTML fragment: no scripts or styles, entities decoded, one-spaced,
    no control characters. With `lines`, each block element (paragraph, list item, caption,
    line break) is a line of its own, so that a description's parts can be told apart.

    Input without markup or entities skips the parser: most titles are plain text.
    """
    if not html:
        return ""
    html = clean_chars(html)
    if "<" not in html and "&" not in html:
        return lines_of(html) if lines else collapse(html)
    if html.count("=") > ITEM_HTML_MAX_ATTRIBUTES or many_attributes(html):  # the parser's time: its square
        return plain_text(re.sub(r"<[^>]*(?:>|$)", " ", html), lines)  # a tag cut short too
    try:
        root = etree.fromstring(f"<div>{drop_bad_charrefs(html)}</div>", _HTML_PARSER)
    except (etree.ParserError, ValueError):  # empty after parsing, or a bad character
        return plain_text(re.sub(r"<[^>]*>", " ", html), lines)
    if root is None:
        return ""
    etree.strip_elements(root, *_INVISIBLE, with_tail=False)
    # A block element ends a word: give it a leading and trailing space (or line break), then
    # let libxml2 serialise the text (much faster than walking the tree in Python).
    end = "\n" if lines else " "
    for el in root.iter(_BLOCKS):
        el.text = end + el.text if el.text else end
        el.tail = end + el.tail if el.tail else end
    text = etree.tostring(root, method="text", encoding=str)
    if "&#" in html:  # a character reference ("&#127;") can bring back a control character
        text = clean_chars(text)
    text = unescape_left(text)  # references escaped twice are references still
    if "<" in text:
        text = drop_tag_text(text, end)
    return lines_of(text) if lines else collapse(text)


def drop_tag_text(text: str, end: str = " ") -> str:
    """The text without the tags it has as text, each block element's ending a word (`end`,
    a line break for html_to_text's `lines`): a description escaped twice showed "<p>",
    "<br />", "<strong>" in an alert's lead, and scored them as words."""
    return _TAG_TEXT.sub(lambda m: _tag_end(m[0], m[1].lower(), end), text)


def _tag_end(tag: str, name: str, end: str) -> str:
    if name in _BLOCK_NAMES:
        return end
    return "" if name in _TAG_NAMES else tag


def canonical_url(url: str) -> str:
    """The URL without tracking parameters or fragment, scheme and host lowercased.

    Other parameters keep their order and their exact encoding (we split the raw query
    rather than decode and re-encode it, which would change `%20` into `+`).
    """
    url = url.strip()
    if not url:
        return ""
    try:
        return _canonical(url)
    except ValueError:  # e.g. an invalid IPv6 host: keep it as given, minus the fragment
        return url.split("#", 1)[0]


def item_url(base: str, link: str) -> str:
    """The canonical absolute URL of an item's link, "" when the link is no URL (urllib
    raises on "http://[::1": such a link must not reach the stages that split URLs) or is
    longer than ITEM_URL_CHARS, before or after it is made absolute."""
    link = link.strip()
    if not link or len(link) > ITEM_URL_CHARS:
        return ""
    try:
        url = _canonical(urljoin(base, link))
    except ValueError:
        return ""
    return url if len(url) <= ITEM_URL_CHARS else ""


@lru_cache(maxsize=256)  # an item's GUID is most often its link: parse.py makes both canonical
def _canonical(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    netloc = _lower_host(parts.netloc, scheme)
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, parts.path or ("/" if netloc else ""), query, ""))


def _lower_host(netloc: str, scheme: str) -> str:
    """Lowercase the host (not the user info) and drop the scheme's default port."""
    userinfo, at, hostport = netloc.rpartition("@")
    parts = urlsplit(f"//{hostport}")
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: leave the host part alone
        return f"{userinfo}{at}{hostport.lower()}"
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    keep_port = port is not None and str(port) != _DEFAULT_PORTS.get(scheme)
    return f"{userinfo}{at}{host}{f':{port}' if keep_port else ''}"


def _is_tracking(param: str) -> bool:
    name = param.split("=", 1)[0].lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


def item_id(guid: str | None, url: str | None, title: str, text: str) -> str:
    """A compact stable id: from the GUID, else the canonical link, else title and text.

    The three sources are tagged before hashing so a GUID can never equal a link's hash.
    """
    if guid and guid.strip():
        key = "g:" + guid.strip()
    elif url and url.strip():
        key = "u:" + canonical_url(url)
    else:
        key = "t:" + collapse(f"{title} {text}").casefold()
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:ID_LENGTH]


def revision_id(item_id: str, headline: str) -> str:
    """The id of an item revised under a new headline (its digest, seen.headline): one per
    item and headline, never an id item_id makes (tagged apart as its sources are)."""
    return hashlib.sha1(f"r:{item_id}:{headline}".encode()).hexdigest()[:ID_LENGTH]
