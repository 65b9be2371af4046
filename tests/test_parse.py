"""The parse stage on fixture feeds written for the project (tests/data/)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import pytest

from monitor.errors import ParseError
from monitor.ingest import parse
from monitor.ingest.fallback import feedparser_entries
from monitor.ingest.parse import canonical_url, html_to_text, item_id, parse_feed
from monitor.items import Item

DATA = Path(__file__).parent / "data"
FETCHED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
XML_FIXTURES = {
    "rss2.xml": "application/rss+xml",
    "rss091.xml": "text/xml",
    "rss1.rdf": "application/rdf+xml",
    "atom.xml": "application/atom+xml",
    "cp1251.xml": "application/rss+xml; charset=windows-1251",
    "latin1.xml": "application/atom+xml; charset=ISO-8859-1",
    "rss_shapes.xml": "application/rss+xml",
}


def load(name: str, content_type: str | None = None, base_url: str = "") -> list[Item]:
    body = (DATA / name).read_bytes()
    return parse_feed(body, content_type, "wire", FETCHED, base_url)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_rss2_content_encoded_wins_and_is_plain_text() -> None:
    items = load("rss2.xml", "application/rss+xml", "https://news.example.org/world/")
    first = items[0]
    assert first.title == "Ceasefire talks resume in Ankara & Moscow"
    assert first.text == (
        'Delegations met on Tuesday. Officials said the talks would continue — "cautiously".'
    )
    assert first.url == "https://news.example.org/world/ceasefire-talks?id=42"
    assert first.published == utc(2024, 1, 2, 1, 4, 5)
    assert first.source == "wire"
    assert first.id == item_id("wire:wire-0001", None, "", "")


def test_rss2_escaped_html_titles_dc_date_relative_links_and_permalink_guids() -> None:
    items = load("rss2.xml", "application/rss+xml", "https://news.example.org/world/")
    assert [i.title for i in items] == [
        "Ceasefire talks resume in Ankara & Moscow",
        "Grain corridor: new inspections agreed",
        "Undated item without GUID",
        "Permalink GUID is the link",
    ]  # the item with neither title nor text is dropped
    grain, undated, permalink = items[1:]
    assert grain.text == "Inspectors will board ships twice a week."
    assert grain.published == utc(2024, 1, 3, 10)
    assert grain.url == "https://news.example.org/world/grain?page=2"
    assert undated.url == "https://news.example.org/world/relative-story"
    assert undated.text == "Plain text description spread over lines."
    assert undated.published == FETCHED
    assert undated.id == item_id(None, undated.url, "", "")
    assert permalink.url == "https://news.example.org/world/permalink-only"


def test_rss091() -> None:
    items = load("rss091.xml", "text/xml")
    assert [(i.title, i.url) for i in items] == [
        ("Border crossing reopens", "http://gazette.example.net/border.html"),
        ("Port authority report", "http://gazette.example.net/port.html"),
    ]
    assert all(i.published == FETCHED for i in items)


def test_rss1_rdf() -> None:
    energy, drought = load("rss1.rdf", "application/rdf+xml")
    assert energy.text == "Gas pipeline capacity was discussed."
    assert energy.url == "https://rdf.example.com/a"
    assert energy.published == utc(2024, 2, 1, 5, 30)
    assert energy.id == item_id("https://rdf.example.com/a", None, "", "")
    assert drought.text == "Rainfall was half the usual amount this spring."


def test_the_first_of_an_items_children_of_a_name_is_read() -> None:
    """The lxml reader reads an item's children in one pass (parse._children): the first of
    each name counts, as find() found it, and one of that name in another namespace is no
    such child."""
    body = b"""<?xml version="1.0"?><rss version="2.0" xmlns:x="http://example.org/x"><channel><item>
      <x:guid>other</x:guid><?pi here?><guid isPermaLink="false">first</guid><guid>second</guid>
      <x:title>Namespaced</x:title><title>First title</title><title>Second title</title>
      <link>https://example.org/first</link><link>https://example.org/second</link>
      <pubDate>Thu, 01 Jan 2026 10:00:00 GMT</pubDate><pubDate>Fri, 02 Jan 2026 10:00:00 GMT</pubDate>
      <description>Text.</description></item></channel></rss>"""
    fast = parse._lxml_entries(body, "application/rss+xml")
    assert fast is not None
    [raw] = list(fast)
    assert (raw.guid, raw.title, raw.link, raw.date) == ("first", "First title", "https://example.org/first",
                                                          utc(2026, 1, 1, 10))


def test_atom_text_constructs() -> None:
    drills, tariffs, summary = load("atom.xml", "application/atom+xml")
    assert drills.title == "Air defence drills announced"
    assert drills.text == "The exercises start next week."
    assert drills.url == "https://observer.example.org/2024/drills?lang=en"
    assert drills.published == utc(2024, 3, 5, 8, 15)  # published, not updated
    assert tariffs.title == "Tariffs & trade: a <plain> title"  # type="text" is not markup
    assert tariffs.text == "Exporters welcomed the decision. Importers did not."
    assert tariffs.published == utc(2024, 3, 4, 18)
    assert summary.text == "Text summary with a < sign."
    assert summary.published == FETCHED


def test_the_text_is_the_first_body_that_has_any() -> None:
    """Fault: a content:encoded of spaces, or of an image alone, beat the description
    that told the story, and the item's text was empty (as was feedparser's, for the image)."""
    items = load("rss_shapes.xml", "application/rss+xml", "https://video.example.net/")
    assert [(i.title, i.text) for i in items[:2]] == [
        ("Talks on grain exports stall", "Negotiators left Istanbul without a date for the next round."),
        ("Floods close the coastal road", "The road between the two ports was shut on Sunday."),
    ]


MEDIA_RSS = [
    ("Ferry service to the islands resumes", "The first boat in three weeks left the harbour at dawn."),
    ("Harvest starts early in the south", "Farmers began cutting wheat two weeks ahead of last year."),
    ("Video: the bridge reopens", "Traffic crossed the repaired bridge for the first time since the storm."),
]


def test_media_rss_titles_and_descriptions_are_read() -> None:
    """Fault: the fast reader ignored media:title and media:description (Media RSS, in the
    item, its media:group or a media:content), which feedparser reads: an item with no
    other title or text was dropped, one with an empty description had no text."""
    items = load("rss_shapes.xml", "application/rss+xml", "https://video.example.net/")
    assert [(i.title, i.text) for i in items[2:5]] == MEDIA_RSS


def test_rss_links_resolve_against_xml_base() -> None:
    """Fault: the fast reader ignored an RSS channel's or item's xml:base (it honoured
    Atom's), so a relative link was read against the feed's URL; feedparser reads it so."""
    items = load("rss_shapes.xml", "application/rss+xml", "https://video.example.net/feed.xml")
    assert [i.url for i in items[5:]] == ["https://video.example.net/clips/2024/storm.html",
                                          "https://video.example.net/archive/bridge.html"]
    assert items[0].url == "https://video.example.net/grain"  # an absolute link stays
    body = ('<rss version="2.0"><channel xml:base="https://a.example/news/"><title>t</title><item>'
            "<guid>2024/x.html</guid><title>A permalink GUID is the link</title></item></channel></rss>")
    (item,) = parse_feed(body.encode(), None, "s", FETCHED, "https://feeds.example/rss")
    assert item.url == "https://a.example/news/2024/x.html"
    assert item.id == item_id("s:2024/x.html", None, "", "")  # the GUID as written: its id unchanged


IMAGE = '<figure><img src="https://x.example/a.jpg"/></figure>'


@pytest.mark.parametrize(("fields", "text"), [
    ({"content_html": IMAGE, "content_text": "Ferries resumed at dawn."}, "Ferries resumed at dawn."),
    ({"content_html": IMAGE, "summary": "Ferries resumed at dawn."}, "Ferries resumed at dawn."),
    ({"content_html": " ", "content_text": "Ferries & <buses> resumed."}, "Ferries & <buses> resumed."),
    ({"content_html": "<p>Ferries resumed.</p>", "content_text": "Other."}, "Ferries resumed."),
])
def test_a_json_feed_item_whose_html_has_no_text_is_read_from_its_text(fields: dict[str, str], text: str) -> None:
    """Fault: an image-only content_html hid content_text and summary."""
    doc = {"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "title": "Port", **fields}]}
    (item,) = parse_feed(json.dumps(doc).encode(), "application/feed+json", "j", FETCHED)
    assert item.text == text


def test_an_atom_entry_whose_content_has_no_text_is_read_from_its_summary() -> None:
    body = ('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id><entry><id>urn:1</id>'
            f'<title>Port</title><content type="html">{escape(IMAGE)}</content>'
            "<summary>Ferries resumed at dawn.</summary></entry></feed>").encode()
    fast = parse._lxml_entries(body, "application/atom+xml")
    assert fast is not None
    for raws in (fast, feedparser_entries(body, "application/atom+xml", "a")):
        assert [parse._to_item(r, "a", FETCHED, "").text for r in raws] == ["Ferries resumed at dawn."]


def test_json_feed() -> None:
    items = load("jsonfeed.json", "application/feed+json")
    assert [i.title for i in items] == ["Refugee returns slow & uneven", "Plain text item", ""]
    first, second, third = items
    assert first.text == "Aid groups reported fewer returns."
    assert first.url == "https://courier.example.com/p/1"
    assert first.published == utc(2024, 4, 1, 11)
    assert second.url == "https://elsewhere.example.net/story"
    assert second.text == "Line one. Line two."
    assert second.id == item_id("wire:2", None, "", "")
    assert third.published == FETCHED
    # Sniffed from the body when the server says application/octet-stream.
    assert load("jsonfeed.json", "application/octet-stream") == items


@pytest.mark.parametrize("version", [
    "https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1",
    "http://jsonfeed.org/version/1", "http://jsonfeed.org/version/1.1",  # as many 1.0 feeds write it
    "https://jsonfeed.org/version/1/", "http://jsonfeed.org/version/1.1/", "https://www.jsonfeed.org/version/1",
    " jsonfeed.org/version/1.1", "HTTPS://JSONFeed.org/version/1", None, "",
])
def test_a_json_feed_version_as_feeds_write_it_is_read(version: str | None) -> None:
    """Fault: the version was checked exactly, so a feed giving it with http (as many 1.0
    feeds do), or none at all, was a ParseError whole."""
    doc: dict[str, object] = {"title": "t", "items": [{"id": "1", "title": "Ferries resume", "content_text": "x"}]}
    if version is not None:
        doc["version"] = version
    (item,) = parse_feed(json.dumps(doc).encode(), "application/json", "j", FETCHED)
    assert item.title == "Ferries resume"


@pytest.mark.parametrize(
    "body",
    [
        b'{"version": "1.0", "items": []}',
        b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}',
        b"[1, 2]",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
        # JSON a feed's URL may answer with that is no feed: no version and no items list
        b'{"error": "rate limited", "items": null}',
        b'{"status": 404}',
        b'{"version": 2, "items": []}',
        b'{"version": "https://api.example.org/v1", "items": []}',
    ],
)
def test_json_that_is_not_a_json_feed_raises(body: bytes) -> None:
    with pytest.raises(ParseError, match=r"^feed 'j': not RSS, Atom or JSON Feed \("):
        parse_feed(body, "application/json", "j", FETCHED)


def test_charset_from_http_content_type() -> None:
    (ru,) = load("cp1251.xml", "application/rss+xml; charset=windows-1251")
    assert ru.title == "Переговоры в Анкаре продолжаются"
    assert ru.text == "Делегации встретились во вторник."
    assert ru.published == utc(2024, 1, 10, 9)
    (fr,) = load("latin1.xml", 'application/atom+xml; charset="ISO-8859-1"')
    assert fr.title == "Réunion à Genève : accord élargi"
    assert fr.text == "Les délégués ont signé un protocole à Genève."


def test_not_well_formed_feed_falls_back_to_feedparser() -> None:
    body = (DATA / "malformed.xml").read_bytes()
    assert parse._lxml_entries(body, "application/rss+xml") is None
    (item,) = load("malformed.xml", "application/rss+xml")
    assert item.title == "Undeclared entity & a stray & ampersand"
    assert item.text == "HTML entities like é and — are not XML."
    assert item.url == "https://sloppy.example.org/a"
    assert item.published == utc(2024, 1, 1)


@pytest.mark.parametrize("name", sorted(XML_FIXTURES))
def test_fast_path_and_feedparser_agree(name: str) -> None:
    """The lxml reader must give exactly what feedparser gives, or ids would change
    whenever a feed flips between well-formed and not."""
    body, content_type = (DATA / name).read_bytes(), XML_FIXTURES[name]
    fast = parse._lxml_entries(body, content_type)
    assert fast is not None
    slow = feedparser_entries(body, content_type, "wire")
    base = "https://news.example.org/world/"
    to_items = [parse._to_item(r, "wire", FETCHED, base) for r in fast]
    assert to_items == [parse._to_item(r, "wire", FETCHED, base) for r in slow]
    assert len(to_items) >= 1


ODD_DATES = {  # neither ISO 8601 nor RFC 822: read by feedparser's lenient handlers
    "2024-03": utc(2024, 3, 1),  # W3DTF, month only
    "1 January 2024": utc(2024, 1, 1),
    "2024-03-12t10:00:00z": utc(2024, 3, 12, 10),
    "Fri, 2006/09/15 08:19:53 EDT": utc(2006, 9, 15, 12, 19, 53),  # Perforce
    "Κυρ, 11 Ιούλ 2004 12:00:00 EST": utc(2004, 7, 11, 17),  # Greek
}


def _dated_feed(dates: list[str]) -> bytes:
    entries = "".join(f"<item><guid>g{n}</guid><title>T{n}</title><pubDate>{d}</pubDate></item>"
                      for n, d in enumerate(dates))
    return f'<rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'.encode()


def test_odd_dates_are_read_as_feedparser_reads_them() -> None:
    body = _dated_feed(list(ODD_DATES))
    fast = parse._lxml_entries(body, "application/rss+xml")
    slow = feedparser_entries(body, "application/rss+xml", "wire")
    assert fast is not None
    assert [r.date for r in fast] == [r.date for r in slow] == list(ODD_DATES.values())


@pytest.mark.parametrize("offset", ["+03:00", "-05:30"])
def test_an_rfc822_date_with_an_iso_offset_keeps_its_offset(offset: str) -> None:
    """Fault: "Wed, 12 Mar 2025 14:30:00 +03:00" (the ISO offset many Turkish, Russian and
    Arabic sites write in an RFC 822 date) was read as 14:30 UTC, three hours late, by the
    fast reader; feedparser read 11:30."""
    body = _dated_feed([f"Wed, 12 Mar 2025 14:30:00 {offset}"])
    want = utc(2025, 3, 12, 11, 30) if offset == "+03:00" else utc(2025, 3, 12, 20)
    fast = parse._lxml_entries(body, "application/rss+xml")
    assert fast is not None
    assert [r.date for r in fast] == [r.date for r in feedparser_entries(body, None, "wire")] == [want]


def test_a_nonsense_date_is_no_date_not_an_error() -> None:
    # feedparser's own W3DTF handler raises on "00" (year -99)
    (item,) = parse_feed(_dated_feed(["00"]), "application/rss+xml", "wire", FETCHED)
    assert item.published == FETCHED


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("garbage.bin", "application/octet-stream"),
        ("garbage.bin", None),
        ("page.html", "text/html; charset=utf-8"),
    ],
)
def test_garbage_raises_parse_error(name: str, content_type: str | None) -> None:
    with pytest.raises(ParseError, match=r"^feed 'wire': not RSS, Atom or JSON Feed \(.+\)$"):
        load(name, content_type)


def test_body_naming_a_local_file_is_not_opened(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes((DATA / "rss091.xml").read_bytes())
    with pytest.raises(ParseError):
        parse_feed(str(secret).encode(), None, "wire", FETCHED)


def test_empty_feed_is_no_items() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    assert parse_feed(body, "application/rss+xml", "wire", FETCHED) == []


def test_repeated_items_come_once_and_naive_fetch_time_is_utc() -> None:
    entry = "<item><guid>https://x.example/a</guid><title>A</title></item>"
    body = f'<rss version="2.0"><channel>{entry * 3}</channel></rss>'.encode()
    (item,) = parse_feed(body, None, "wire", datetime(2025, 1, 1))
    assert item.published == utc(2025, 1, 1)


def test_ids_are_stable_compact_and_distinct() -> None:
    first = [i.id for i in load("rss2.xml", "application/rss+xml")]
    assert first == [i.id for i in load("rss2.xml", "application/rss+xml")]
    assert all(len(i) == 24 and int(i, 16) >= 0 for i in first)
    assert len(set(first)) == len(first)
    # GUID first, then the canonical link, then the normalised title and text.
    assert item_id("g1", "https://a.example/x", "t", "b") == item_id("g1", None, "", "")
    assert item_id(None, "https://A.example/x?utm_source=z#f", "t", "b") == item_id(
        None, "https://a.example/x", "other", "other"
    )
    assert item_id(None, None, "Title", "Some  text") == item_id(None, "", "title", "some text")
    assert item_id(None, None, "Title", "one") != item_id(None, None, "Title", "two")
    assert item_id("https://a.example/x", None, "", "") != item_id(
        None, "https://a.example/x", "", ""
    )


def test_bare_guids_are_scoped_to_their_feed_and_url_guids_are_not() -> None:
    entry = "<item><guid isPermaLink='false'>{g}</guid><title>T</title></item>"
    body = f'<rss version="2.0"><channel>{entry}</channel></rss>'
    bare = body.format(g="12345").encode()
    assert parse_feed(bare, None, "a", FETCHED)[0].id != parse_feed(bare, None, "b", FETCHED)[0].id
    url = body.format(g="https://x.example/s?utm_medium=rss").encode()
    a, b = parse_feed(url, None, "a", FETCHED)[0], parse_feed(url, None, "b", FETCHED)[0]
    assert a.id == b.id == item_id("https://x.example/s", None, "", "")


def test_a_live_blogs_posts_with_one_url_and_a_fragment_each_are_items_each() -> None:
    """Fault: URL GUIDs lost their fragment, so a live blog's posts (…/syria#post-101,
    #post-102) were one item: the first; the others were never read, poll after poll."""
    entry = "<item><guid>https://ex.org/live/syria{f}</guid><title>{t}</title></item>"
    body = ('<rss version="2.0"><channel>' + entry.format(f="#post-101", t="Strikes on Idlib resume")
            + entry.format(f="#post-102", t="Russia moves troops to Latakia")
            + entry.format(f="?utm_source=rss#post-102", t="Russia moves troops to Latakia")
            + "</channel></rss>").encode()
    items = parse_feed(body, None, "live", FETCHED)
    assert [i.title for i in items] == ["Strikes on Idlib resume", "Russia moves troops to Latakia"]
    assert items[1].id == item_id("https://ex.org/live/syria#post-102", None, "", "")  # tracking still dropped


def test_a_feed_giving_every_item_one_guid_keeps_every_story_with_stable_ids() -> None:
    """Fault: a feed giving every item one GUID (its site's address) kept only its first item,
    poll after poll. Now items sharing a GUID with another link or title take their id from
    their link, or (one link for all: the home page) from their title and text; an item
    repeated whole is read once, and an item alone keeps its GUID's id."""
    entry = "<item><guid>{g}</guid><link>{link}</link><title>{t}</title></item>"

    def feed(*entries: tuple[str, str, str]) -> list[Item]:
        body = '<rss version="2.0"><channel>' + "".join(
            entry.format(g=g, link=link, t=t) for g, link, t in entries) + "</channel></rss>"
        return parse_feed(body.encode(), None, "site", FETCHED)

    site = "https://site.example/"
    a = ("1", f"{site}a", "Turkish drones strike Syrian army positions")
    b = ("1", f"{site}b", "Russian jets bomb Idlib after talks fail")
    c = ("1", f"{site}c", "Erdogan and Putin to meet over Idlib")
    first, later = feed(a, b), feed(c, b, a, a)
    assert [i.title for i in first] == [a[2], b[2]] and [i.title for i in later] == [c[2], b[2], a[2]]
    assert {i.id for i in first} < {i.id for i in later}  # the same stories keep their ids
    assert first[0].id == item_id(None, f"{site}a", "", "")
    home = feed(("1", site, a[2]), ("1", site, b[2]), ("1", site, b[2]))
    assert [i.title for i in home] == [a[2], b[2]]
    assert home[1].id == item_id(None, None, home[1].title, "")  # its title: a text may change
    assert feed(a)[0].id == item_id("site:1", None, "", "")  # alone, as before
    counted = ("<item><guid>1</guid><link>https://site.example/</link><title>{t}</title>"
               "<description>{n} comments</description></item>")

    def commented(n: int) -> list[Item]:
        body = '<rss version="2.0"><channel>' + counted.format(t=a[2], n=n) + counted.format(t=b[2], n=n)
        return parse_feed((body + "</channel></rss>").encode(), None, "site", FETCHED)

    assert [i.id for i in commented(3)] == [i.id for i in commented(4)]  # a count in the text moved on


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://News.Example.ORG/a/B?utm_source=x&id=5&UTM_Medium=y&q=a%20b#frag",
            "https://news.example.org/a/B?id=5&q=a%20b",
        ),
        (
            "http://x.example/p?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&igshid=5&ref_src=6",
            "http://x.example/p",
        ),
        ("http://x.example/p?b=2&a=1&ref=keep", "http://x.example/p?b=2&a=1&ref=keep"),
        ("http://x.example:80/p", "http://x.example/p"),
        ("https://x.example:8443/p", "https://x.example:8443/p"),
        ("https://User:Pw@X.example/p", "https://User:Pw@x.example/p"),
        ("http://x.example", "http://x.example/"),
        ("http://[::1]:8080/x?utm_term=a", "http://[::1]:8080/x"),
        ("  https://x.example/p#only-fragment  ", "https://x.example/p"),
        ("", ""),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One Two"),
        ("<b>Ank</b>ara", "Ankara"),
        ("a<br>b<li>c</li>", "a b c"),
        ("x<script>var a = '<p>no</p>';</script>y<style>p {}</style>z", "xyz"),
        ("&lt;tag&gt; &amp; &quot;q&quot; &#8212; &#x41; &eacute;&nbsp;!", '<tag> & "q" — A é !'),
        ("plain   text\n\twith\u00a0spaces ", "plain text with spaces"),
        ("AT&T and a < b", "AT&T and a < b"),
        ("<!-- hidden --><div>shown</div>", "shown"),
        ("", ""),
        ("<script>only()</script>", ""),
        # escaped twice: what is left is decoded once more, and no more
        ("&amp;#1055;&amp;#1091;&amp;#x442;&amp;#1080;&amp;#1085;", "Путин"),
        ("Erdo&amp;#287;an&amp;rsquo;&amp;#305;n &amp;quot;plan&amp;quot;", "Erdoğan’ın \"plan\""),
        ("AT&amp;T, Tom&amp;nothing, ?a=1&amp;copy=2, a &amp; b, &amp;unknown;",
         "AT&T, Tom&nothing, ?a=1&copy=2, a & b, &unknown;"),
        ("&amp;amp;amp; &amp;#1;x&amp;#x81;y &amp;#99999999; &amp;#xD800;", "&amp; x y &#99999999;"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


RU_REFS = "".join(f"&#{ord(c)};" if c != " " else c for c in "Путин и Эрдоган обсудили Идлиб")
AR_REFS = "".join(f"&#{ord(c)};" if c != " " else c for c in "تركيا ترسل قوات إلى إدلب")
RSS_ITEM = ('<rss version="2.0"><channel><title>t</title><item><title>{t}</title><description>{d}</description>'
            "</item></channel></rss>")
ATOM_ENTRY = ('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id><entry><id>urn:1</id>'
              '<title type="{kind}">{title}</title><summary>x</summary></entry></feed>')


def amp(text: str, times: int) -> str:
    for _ in range(times):
        text = text.replace("&", "&amp;")
    return text


def json_item(**fields: str) -> str:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", **fields}]})


ESCAPED_ONCE_TOO_OFTEN = {  # form -> a feed whose title or text holds `refs` escaped once more than it should
    "rss title": lambda refs: (RSS_ITEM.format(t=amp(refs, 2), d="x"), "application/rss+xml"),
    "rss title in CDATA": lambda refs: (RSS_ITEM.format(t=f"<![CDATA[{amp(refs, 1)}]]>", d="x"), "application/rss+xml"),
    "rss description in CDATA": lambda refs: (RSS_ITEM.format(t="News", d=f"<![CDATA[<p>{amp(refs, 1)}</p>]]>"),
                                              "application/rss+xml"),
    "atom text title": lambda refs: (ATOM_ENTRY.format(kind="text", title=amp(refs, 1)), "application/atom+xml"),
    "atom html title": lambda refs: (ATOM_ENTRY.format(kind="html", title=amp(refs, 2)), "application/atom+xml"),
    "json title": lambda refs: (json_item(title=amp(refs, 1), content_text="x"), "application/feed+json"),
    "json content_text": lambda refs: (json_item(title="News", content_text=refs), "application/feed+json"),
}


@pytest.mark.parametrize("form", sorted(ESCAPED_ONCE_TOO_OFTEN))
@pytest.mark.parametrize("refs", [RU_REFS, AR_REFS])
def test_character_references_escaped_once_too_often_are_read(form: str, refs: str) -> None:
    """Fault: a title or text whose references were escaped once too often ("&amp;#1055;")
    kept "&#1055;…" in place of the Russian or Arabic words: a headline no topic scored
    (1.00 -> 0.04), and an alert showing the references."""
    body, content_type = ESCAPED_ONCE_TOO_OFTEN[form](refs)
    (item,) = parse_feed(body.encode(), content_type, "s", FETCHED)
    assert unescape(refs) in (item.title, item.text)


ESCAPED_AGAIN = {  # form -> a feed whose plain text holds `refs` escaped once and twice more
    "json content_text, twice": lambda refs: json_item(title="News", content_text=amp(refs, 1)),
    "json content_text, three times": lambda refs: json_item(title="News", content_text=amp(refs, 2)),
    "json summary, twice": lambda refs: json_item(title="News", summary=amp(refs, 1)),
    "json title, three times": lambda refs: json_item(title=amp(refs, 2), content_text="x"),
}


@pytest.mark.parametrize("form", sorted(ESCAPED_AGAIN))
@pytest.mark.parametrize("refs", [RU_REFS, AR_REFS])
def test_letters_escaped_twice_beyond_plain_text_are_read(form: str, refs: str) -> None:
    """Fault: a JSON content_text (plain text) holding "&amp;#1055;…", Russian or Arabic
    escaped twice by the publisher's pipeline, kept "&#1055;…": the alert showed the
    references, and the item scored 0.03 where the words score 1.00."""
    (item,) = parse_feed(ESCAPED_AGAIN[form](refs).encode(), "application/feed+json", "s", FETCHED)
    assert unescape(refs) in (item.title, item.text)


def make_feed(items: int) -> bytes:
    """A feed of items with ~2 KB of HTML each, like the bench workload (each its own
    story: sentences that end most items are a footer, footers.py)."""
    def body(n: int) -> str:
        para = f"<p>Officials in <b>Ankara</b> &amp; Moscow said the talks of day {n} would continue. " * 3
        return (para + '<a href="https://x.example/?utm_source=a">more</a></p>') * 6

    entries = "".join(
        f"<item><title>Story {n}</title><link>https://x.example/{n}</link>"
        f"<pubDate>Tue, 02 Jan 2024 03:04:05 +0000</pubDate>"
        f"<content:encoded><![CDATA[{body(n)}]]></content:encoded></item>"
        for n in range(items)
    )
    return (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>t</title>{entries}</channel></rss>"
    ).encode()


def best_time(fn: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def test_parse_feed_is_faster_than_bare_feedparser() -> None:
    """Issue 5: the whole pipeline must beat bare feedparser, so parsing alone must beat it
    by a wide margin (measured ~9x; asserted 2x to stay robust on a noisy machine)."""
    body = make_feed(100)
    items = parse_feed(body, "application/rss+xml", "bench", FETCHED)
    assert len(items) == 100 and len(items[0].text) > 1000
    ours = best_time(lambda: parse_feed(body, "application/rss+xml", "bench", FETCHED))
    bare = best_time(lambda: feedparser.parse(body))
    assert bare / ours >= 2.0, f"parse_feed {ours:.4f}s vs feedparser {bare:.4f}s"


@pytest.mark.parametrize("form", ["rss", "json"])
def test_a_feed_of_many_items_is_read_to_its_first_thousand(form: str, caplog: pytest.LogCaptureFixture) -> None:
    # 95,000 tiny items in 4.9 MB took 530 MB and 19 s to read and score before the cap
    n = parse.FEED_ITEMS_MAX + 500
    if form == "rss":
        body = ("<rss version='2.0'><channel><title>t</title>" + "".join(
            f"<item><guid>g{i}</guid><title>Story {i}</title></item>" for i in range(n))
            + "</channel></rss>").encode()
        content_type = "application/rss+xml"
    else:
        body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
            {"id": f"g{i}", "title": f"Story {i}"} for i in range(n)]}).encode()
        content_type = "application/feed+json"
    items = parse_feed(body, content_type, f"flood-{form}", FETCHED)
    assert [i.title for i in items] == [f"Story {i}" for i in range(parse.FEED_ITEMS_MAX)]
    assert f"feed 'flood-{form}': more than 1000 entries" in caplog.text
    # every poll reads it the same way, but says so once a day (notices.py): 288 lines a day before
    caplog.clear()
    assert len(parse_feed(body, content_type, f"flood-{form}", FETCHED)) == parse.FEED_ITEMS_MAX
    assert "more than 1000 entries" not in caplog.text


DATED = "<pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate>"
EMPTY_OR_REPEATED = {  # n -> a body of n entries that keep one item or none
    "empty rss": lambda n: ("<rss version='2.0'><channel><title>t</title>"
                            + f"<item>{DATED}</item>" * n + "</channel></rss>", "application/rss+xml"),
    "repeated rss": lambda n: ("<rss version='2.0'><channel><title>t</title>"
                               + f"<item><guid>g</guid><title>Same</title>{DATED}</item>" * n
                               + "</channel></rss>", "application/rss+xml"),
    "empty atom": lambda n: ("<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>"
                             + "<entry><updated>2024-01-01T00:00:00Z</updated></entry>" * n + "</feed>",
                             "application/atom+xml"),
    "empty json": lambda n: ('{"version": "https://jsonfeed.org/version/1.1", "items": ['
                             + ", ".join(['{"date_published": "2024-01-01T00:00:00Z"}'] * n) + "]}",
                             "application/feed+json"),
    "empty rss, not well-formed (feedparser)": lambda n: (
        "<rss version='2.0'><channel><title>t &</title>" + f"<item>{DATED}</item>" * n
        + "</channel></rss>", "application/rss+xml"),
}


@pytest.mark.parametrize("form", sorted(EMPTY_OR_REPEATED))
def test_empty_and_repeated_entries_count_toward_the_cap(form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault: only items kept counted toward FEED_ITEMS_MAX, so every entry of 714,000 empty
    <item/> or 1.67 million {} in 5 MB was cleaned and dated: 9-31 s of CPU, while no other
    feed could be parsed. Now the first FEED_ITEMS_MAX entries are read, whatever they hold."""
    from monitor.ingest import dates, fallback, jsonfeed

    calls = []

    def counted(value):
        calls.append(value)
        return dates.parse_date(value)

    for module in (parse, fallback, jsonfeed):
        monkeypatch.setattr(module, "parse_date", counted)
    body, content_type = EMPTY_OR_REPEATED[form](3 * parse.FEED_ITEMS_MAX)
    items = parse_feed(body.encode(), content_type, "flood", FETCHED)
    assert len(items) == (1 if "repeated" in form else 0)
    assert 0 < len(calls) <= parse.FEED_ITEMS_MAX + 1  # the one more that says there are more


@pytest.mark.parametrize("entity", ["", "&nbsp;"])  # lxml reads it; an HTML entity: feedparser does
@pytest.mark.parametrize(("headline", "outlet"), [
    ("Dışişleri Bakanı Fidan Moskova’ya gidiyor", "Anadolu Ajansı"),
    ("Лавров проведёт переговоры с турецким коллегой в Анкаре", "РИА Новости"),
])
def test_google_news_outlet_after_a_headline_is_dropped(headline: str, outlet: str, entity: str) -> None:
    """Fault: Google News's "<headline> - <outlet>" was scored as written, the outlet's name
    as the story's words: these headlines (written for the test) scored 0.679 and 0.660,
    0.761 and 0.769 alone. The outlet is the item's <source>; the description, the
    headline and the outlet again, says nothing more."""
    body = ('<rss version="2.0"><channel><title>Google News</title><item>'
            f"<title>{headline} - {outlet}{entity}</title><link>https://news.google.com/rss/articles/1</link>"
            f"<description>{escape(f'<a href=x>{headline}</a>&nbsp;&nbsp;<font color=x>{outlet}</font>')}"
            f'</description><source url="https://news.example.org">{outlet}</source></item></channel></rss>').encode()
    (item,) = parse_feed(body, "application/rss+xml", "gnews", FETCHED)
    assert (item.title, item.text) == (headline, "")
    assert (parse._lxml_entries(body, "application/rss+xml") is None) == bool(entity)


def test_a_headline_that_does_not_end_with_its_source_is_kept() -> None:
    body = ('<rss version="2.0"><channel><title>t</title><item><title>Ankara - Moskova hattında yeni dönem'
            '</title><source url="https://news.example.org">Moskova</source></item>'
            '<item><title>Haber Ajansı</title><source url="https://news.example.org">Haber Ajansı</source>'
            "</item></channel></rss>").encode()
    assert [i.title for i in parse_feed(body, None, "wire", FETCHED)] == ["Ankara - Moskova hattında yeni dönem",
                                                                         "Haber Ajansı"]


@pytest.mark.parametrize(("title", "link", "headline"), [
    ("Turkish troops killed in Idlib air strike - Reuters", "https://www.reuters.com/world/1", None),
    ("Erdoğan ile Putin Soçi'de görüştü - Hürriyet", "https://www.hurriyet.com.tr/dunya/1", None),
    ("Rusya Suriye'de yeni üs kuruyor | Sputnik Türkiye", "https://tr.sputniknews.com/1", None),
    ("Russia and Turkey agree Idlib truce | Daily Sabah", "https://www.dailysabah.com/1", None),
    ("Air strikes resume on the border - Syria", "https://www.reuters.com/world/2", "as written"),
    ("Ten years of war - The Syrian opposition", "https://www.theatlantic.com/1", "as written"),
])
def test_an_outlet_named_by_its_links_host_is_dropped_without_a_source(title: str, link: str,
                                                                         headline: str | None) -> None:
    """Fault: a feed that names no <source> (Google Alerts, whose links parse takes to the
    article, Bing, an aggregating reader's feed) kept "<headline> - <outlet>", the outlet's
    name scored as the story's words. Its name is the link's site: dropped. A last part
    that names no host of the link is the headline's."""
    items = "".join(f"<item><title>{escape(t)}</title><link>{escape(u)}</link></item>"
                    for t, u in [(title, link), ("Markets close higher - Wire", "https://wire.example.org/2"),
                                 ("Storm hits the coast", "https://other.example.org/3")])
    body = f'<rss version="2.0"><channel><title>alerts</title>{items}</channel></rss>'.encode()
    first = parse_feed(body, "application/rss+xml", "alerts", FETCHED)[0]
    bare = title.rsplit(" - " if " - " in title else " | ", 1)[0]
    assert first.title == (title if headline == "as written" else bare)
