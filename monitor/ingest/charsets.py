"""The charset of a feed that declares none it is written in.

XML without a declared encoding is UTF-8, and so, to lxml and feedparser, is a body whose
header or declaration says UTF-8. Old Arabic, Russian and Turkish sites still serve
windows-1256, windows-1251, KOI8-R or windows-1254 that way, and feedparser then read them
as windows-1252: "أردوغان" became "ÃÑÏæÛÇä", a text no topic scores. A body that claims
UTF-8 (or nothing) and is not UTF-8 has its charset detected by charset_normalizer
(trafilatura's own detector), and is read in that charset as if its header had named it;
a UTF-8 body with a few bad bytes is read as UTF-8, each bad byte a U+FFFD.
A charset declared as anything else is trusted (RFC 7303: the header's, then the
declaration's), but in two cases:

- a header naming ISO-8859-1 or windows-1252 yields to a declaration naming the charset
  of one of the monitor's languages (_IANA's six). Feedparser and browsers let the header
  win, yet that header is often no one's choice: it is the HTTP/1.1 default for text, and
  what Apache added to every response for years (AddDefaultCharset); a declaration of
  windows-1251 is written by the program that wrote the bytes. Latin-1 reads any byte, so
  nothing fails to tell the reader: "Путин" was "Ïóòèí", "إدلب" "ÅÏáÈ" (scores 1.00 ->
  0.01), "Erdoğan" "Erdoðan". Any other header still wins, right or wrong;
- a body labelled with a single-byte charset (windows-125x, ISO-8859-x, KOI8) that is
  valid UTF-8 holding UTF8_MIN_CHARS characters beyond ASCII is UTF-8. A site that moved
  to UTF-8 and kept its old label serves such bodies, and read in the label they were
  mojibake ("ErdoÄŸan", "РџСѓС‚РёРЅ": no topic scores them).

Text in those charsets is essentially never valid UTF-8: its letters are
bytes over 0x7F, and UTF-8 takes one only as the lead of a sequence of 0x80-0xBF bytes,
which in these charsets are punctuation or rare letters, never a word's next letter.
Checked on sentences written for it in Russian (windows-1251, KOI8-R, ISO-8859-5, cp866),
Arabic (windows-1256, ISO-8859-6), Turkish (windows-1254, ISO-8859-9) and Western
European (windows-1252, ISO-8859-1/15): no line of any was valid UTF-8; of 262 words,
"Её" in windows-1251 and "ёлка," in cp866 were, one sequence each; of 80,000 random
strings of 2 to 10 of those words per charset, only 2-word ones (16) were, with 2
sequences at most.
"""

from __future__ import annotations

import codecs
import re
from itertools import islice

from charset_normalizer import from_bytes

UTF8_MIN_CHARS = 3  # "several": legacy text that happened to be valid UTF-8 held 2 at most (above)
DETECT_BYTES = 65_536  # what detection reads: the start of a feed is its channel and first items
# The legacy charsets of the monitor's languages, and Western European: left free, the
# detector read a short Russian feed in windows-1251 as Mac Cyrillic ("ѕутин") and Western
# text as Central European ("Genčve").
CANDIDATES = ["cp1251", "koi8_r", "cp1256", "iso8859_6", "cp1254", "iso8859_9", "cp1252", "latin_1"]
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
# <meta charset="..."> and <meta http-equiv="Content-Type" content="text/html; charset=...">
# Read once: spaces around a quote that may be missing read two ways, and a tag scanned
# past the next '<' read each of many "<meta " to the end (64 KB took 5-20+ s, the GIL held)
_META = re.compile(rb"<meta\s[^<>]*?charset\s*+=\s*+[\"']?+\s*+([A-Za-z0-9._:-]+)", re.IGNORECASE)
_SINGLE_BYTE = re.compile(r"cp125[0-8]|iso8859_\d+|koi8_[ru]|cp866|ascii")  # as _name gives them
_BEYOND_ASCII = re.compile("[^\x00-\x7f]")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
# charset_normalizer cannot tell Turkish in windows-1254 from Western text in windows-1252:
# the two differ in six letters only (ğ Ğ ı İ ş Ş where 1252 has ð Ð ý Ý þ Þ), so a Turkish
# feed came out as "Erdoðan ... görüþtü". Of the monitor's languages only Turkish writes
# Latin letters beyond ASCII, and English, French or German text has none of those six: the
# Turkish charsets lose nothing there.
_LATIN_AS_TURKISH = {"cp1252": "cp1254", "iso8859_1": "iso8859_9", "iso8859_15": "iso8859_9"}
# The charsets servers name by default, not a feed's author (module docstring).
_SERVER_DEFAULTS = ("iso8859_1", "cp1252")
# As libxml2 (lxml) knows them: it refuses Python's "koi8_r" or "iso8859_9", and the feed
# went to feedparser for that alone.
_IANA = {"cp1251": "windows-1251", "koi8_r": "KOI8-R", "cp1256": "windows-1256", "iso8859_6": "ISO-8859-6",
         "cp1254": "windows-1254", "iso8859_9": "ISO-8859-9"}


def readable(body: bytes, header_charset: str | None, declared: str | None = None) -> tuple[bytes, str | None]:
    """`body` as the readers can take it, and the charset to name in its Content-Type (None:
    the one it says). A body that claims UTF-8 (or nothing) and is not UTF-8 is either UTF-8
    with a few bad bytes, which become U+FFFD (feedparser read all of such a body as
    windows-1252: "Erdoğan" became "ErdoÄŸan"), or in the charset detected. One that names
    another charset is read in it, but for the module docstring's two cases. `declared`:
    the body's own declaration where it is not an XML one (an HTML page's <meta>)."""
    if body.startswith(_BOMS):
        return body, None
    declared = _declared(body) or declared
    claimed = header_charset or declared
    if claimed and _name(claimed) not in ("utf_8", "unknown"):
        return body, _relabelled(body, _name(claimed), _name(declared or ""))
    try:
        body.decode("utf-8")
        return body, None
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(body):
        return body.decode("utf-8", "replace").encode("utf-8"), "utf-8"
    best = from_bytes(body[:DETECT_BYTES], cp_isolation=CANDIDATES).best()
    if best is None:
        return body, None
    found = _LATIN_AS_TURKISH.get(_name(best.encoding), _name(best.encoding))
    return body, _IANA.get(found, found)


def html_charset(body: bytes, header_charset: str | None) -> str | None:
    """The charset to read an HTML page in, None where its byte-order mark says. As a feed's
    (`readable`), its <meta> charset standing for the declaration, but for a header naming a
    server's default (ISO-8859-1, windows-1252) on a page that declares none: it names no one's
    choice, and the page's charset is detected. trafilatura, which read pages, heeds no header:
    it detects every page that is not UTF-8, and Turkish in windows-1254 or ISO-8859-9 declared
    in the header alone came out as windows-1252 ("Erdoðan ... görüþtü")."""
    if body.startswith(_BOMS):
        return None
    found = _META.search(body[:DETECT_BYTES])
    declared = _declared(body) or (found[1].decode("ascii") if found else None)
    if header_charset and _name(header_charset) in _SERVER_DEFAULTS and not declared:
        header_charset = None
    _, charset = readable(body, header_charset, declared)
    return charset or header_charset or declared or "utf-8"


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """('application/rss+xml', 'utf-8') from a Content-Type header; charset None if absent."""
    if not content_type:
        return "", None
    mime, *params = (part.strip() for part in content_type.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return mime.lower(), charset


def with_charset(content_type: str | None, charset: str) -> str:
    """A Content-Type naming `charset` (the readers take the header's charset first)."""
    mime = (content_type or "application/xml").split(";")[0].strip() or "application/xml"
    return f"{mime}; charset={charset}"


def _relabelled(body: bytes, claimed: str, declared: str) -> str | None:
    """The charset to read a body in that names one other than UTF-8 (None: the one named):
    UTF-8 if it is, the declaration's over a server's default header."""
    if _SINGLE_BYTE.fullmatch(claimed) and _utf8_text(body):
        return "utf-8"
    if claimed in _SERVER_DEFAULTS and declared in _IANA:
        return _IANA[declared]
    return None


def _utf8_text(body: bytes) -> bool:
    """Valid UTF-8 with UTF8_MIN_CHARS characters beyond ASCII, at least: no text in a
    single-byte charset (module docstring)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sum(1 for _ in islice(_BEYOND_ASCII.finditer(text), UTF8_MIN_CHARS)) == UTF8_MIN_CHARS


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8, or UTF-8 with a few bad bytes (read as it is): as many characters beyond ASCII
    decode as do not. Text in a single-byte charset decodes to almost none: its letters are
    lone bytes over 0x7F, which UTF-8 only allows in sequences."""
    text = body[:DETECT_BYTES].decode("utf-8", "replace")
    bad = text.count("\ufffd")
    return sum(not c.isascii() for c in text) - bad >= bad


def _declared(body: bytes) -> str | None:
    found = _DECLARED.match(body[:200])
    return found[1].decode("ascii") if found else None


def _name(charset: str) -> str:
    try:
        return codecs.lookup(charset).name.replace("-", "_")
    except LookupError:
        return "unknown"
