"""A link that redirects to its site's home page or to a section of it: not the item's page.

An article taken down, moved without a redirect of its own, or kept from a region is often
answered with a redirect to the site's home page ("/"), or up its own path to the section
("/ru/politics/2026/03/12/story" -> "/ru/politics/"). That page is a list of teasers, and
on a Turkish, Russian or Arabic site it passes relevance.py's check: it lists the item's
own teaser (the headline's words in its first sentence) and others of the same topics. A
headline-only item judged on it took the home page's score: of 18 off-topic items written
for the test (tr/ru/ar) whose links so redirect, all 18 alerted (scores 0.998-1.0; the home
page listed six on-topic teasers of each language). So a redirect that lands on a site's
root, or on an ancestor of the path asked for on the same host, is judged not the item's
page (outcome `unrelated`): the item is judged on its feed text.

Other redirects are followed as before: http to https, a trailing slash, a canonical slug
("/news/123" -> "/news/123-erdogan-putin"), AMP to the article, a shortener to any page
but a home page.
"""

from __future__ import annotations

import yarl

from monitor import urls

INDEX_PAGES = ("index.", "default.")  # "/index.html", "/default.aspx": the folder's own page


def lands_above(asked: str, final: str | None) -> bool:
    """The answer to `asked` came, after redirects, from `final`: its site's root, or (same
    host) a folder that holds the path asked for."""
    if not final or final == asked:
        return False
    try:
        before, after = urls.parsed(asked), urls.parsed(final)
    except ValueError:
        return False
    if after.query_string:  # a page its query names ("/?p=123", "/news/?id=123"): may be the article
        return False
    went, came = _segments(after), _segments(before)
    if not went:
        return bool(came)
    return after.raw_host == before.raw_host and len(went) < len(came) and came[:len(went)] == went


def _segments(url: yarl.URL) -> list[str]:
    """The path's non-empty segments, less a last one that names a folder's index page."""
    parts = [p for p in url.path.split("/") if p]
    if parts and parts[-1].lower().startswith(INDEX_PAGES):
        parts.pop()
    return parts
