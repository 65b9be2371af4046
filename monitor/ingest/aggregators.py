"""Entries of news aggregators' search feeds, read as the article they point to.

Pure functions, no I/O. Three habits of these feeds made an item of them something other
than its article:

- Google Alerts, Bing News and Yahoo News link each entry through a click-counting
  redirect that carries the article's address in a parameter (`wrapped`). Taken as the
  link, the item's id, the page read and the alert's link were the redirect's, which
  holds a click id new at each response (Bing's `tid`, an alert's `usg` and `cd`): Bing's
  items were new at every poll, and an article was one item per alert and feed that
  listed it, and another in its outlet's own feed. The article's address is the link,
  and the GUID: a GUID that is the address is what an outlet's own feed most often
  gives, so the outlet's item and every aggregator's copy are one item (seen once).
  Items of these feeds seen before this took new ids once.
- Google News describes an item by its cluster: an <ol> of several outlets' headlines
  of one event. The others' headlines were scored as the item's own text (an off-topic
  headline took the score of those beside it), and shown as its lead. Only the item's
  own entry is kept (`own_entry`); it repeats the title, so the item is its headline.
- A Google News link is a news.google.com page that sends a browser on with script:
  no article to read (article_stage.NOT_ARTICLES holds its host).
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import parse_qsl, unquote, urlsplit

from monitor import urls
from monitor.ingest.raw import Raw

# host: the query parameters that carry the article's address, in order of preference
WRAPPERS = {
    "www.google.com": ("url", "q"),  # /url?rct=j&sa=t&url=<article>&ct=ga&cd=…&usg=… (Alerts)
    "google.com": ("url", "q"),
    "www.bing.com": ("url",),  # /news/apiclick.aspx?ref=FexRss&tid=…&url=<article>&c=…
    "bing.com": ("url",),
}
WRAPPER_PATHS = ("/url", "/news/apiclick.aspx")
# Yahoo's search results: r.search.yahoo.com/_ylt=…/RV=2/RE=…/RO=10/RU=<article, encoded>/RK=2/RS=…
_YAHOO_RU = re.compile(r"/RU=([^/]+)/")
GOOGLE_NEWS = "news.google.com"  # its pages are no article (article_stage.NOT_ARTICLES)
_NAMES = ("google.", "bing.", "yahoo.")  # in every link `through` changes
# Matched at the start, the way to the first <li> read once: searched for, `<li>(.*?)</li>`
# read from each of a description's <li>s to its end when none was closed, n^2 (53 s for
# 200 KB of "<li>", a description a feed may send as large)
_CLUSTER_ENTRY = re.compile(r"(?>.*?<li>)(.*?)</li>", re.S | re.I)


def wrapped(link: str) -> str | None:
    """The article's address in an aggregator's redirect link; None for any other link."""
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host == "r.search.yahoo.com":
        found = _YAHOO_RU.search(parts.path + "/")
        return _web(unquote(found[1])) if found else None
    names = WRAPPERS.get(host)
    if names is None or parts.path.lower() not in WRAPPER_PATHS:
        return None
    params = dict(parse_qsl(parts.query))  # decoded: Bing encodes the address, Alerts do not
    return next((url for name in names if (url := _web(params.get(name, ""))) is not None), None)


def _web(url: str) -> str | None:
    """`url` when it is an absolute web address (a redirect's target must be one)."""
    return url if url.lower().startswith(("http://", "https://")) and len(url) > 10 else None


def own_entry(description: str) -> str:
    """A Google News cluster's description less the other outlets' entries: its first <li>
    (the item's own headline and outlet); any other description as it is."""
    if not description.lstrip()[:3].lower() == "<ol":
        return description
    first = _CLUSTER_ENTRY.match(description)
    return first[1] if first else description


def through(raw: Raw) -> Raw:
    """The entry as its article: the link (and GUID) the article's address where the feed
    wraps it, a Google News cluster's description cut to the item's own entry."""
    link = raw.link or ""
    if not any(name in link.lower() for name in _NAMES):  # most links: no URL split (parse cost)
        return raw
    if (article := wrapped(link)) is not None:
        return replace(raw, link=article, guid=article)
    if urls.host(link) == GOOGLE_NEWS:
        return replace(raw, bodies=tuple((own_entry(value) if html else value, html) for value, html in raw.bodies))
    return raw
