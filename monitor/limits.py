"""Caps on what untrusted input may hold: fixed bounds, not settings (README.md, "Limits on
what a feed may hold", lists the item caps). A feed, a page, a model file or a template can
hold anything; each stage cuts it to these sizes before it costs memory or time.
"""

from __future__ import annotations

FEEDPARSER_MAX_MARKUP = 200_000
"""Most tags and references ("<" and "&") in a body lxml cannot read that feedparser is then
given; past it the feed is refused. feedparser is pure Python and its time grows with the
markup, not the bytes: ~11 µs a tag (2 s at this cap), 0.1 s for a 5 MB CDATA description."""

ITEM_HTML_CHARS = 200_000
"""Characters of an item's title or body read from the feed; the rest is dropped before cleaning."""

ITEM_TEXT_CHARS = 20_000
"""Characters of an item's cleaned text kept for scoring, near-duplicates and alerts."""

ITEM_TITLE_CHARS = 1_000
"""Characters of an item's cleaned title kept."""

FEED_ITEMS_MAX = 1_000
"""Entries read of one feed body, the first in feed order, empty and repeated ones counted;
the rest are left, with a warning. A 4.9 MB feed of 95,000 tiny items took 530 MB and 19 s
to read and score before it; 1.67 million empty JSON items 14 s when only kept ones counted."""

ITEM_URL_CHARS = 4_000
"""Characters of an item's link past which it has none (""): the link goes into the recent
record, the story's sources and every alert. A 4.9 MB link was kept whole (3.7 MB a poll
of a feed minting new GUIDs, on to the 5,000 recent records). Browsers and servers stop
near 8,000; news links are under 300."""

PARSE_THREAD_BYTES = 8_000_000
"""Feed bytes one thread parses before a new thread takes over (ingest/recycled.py): lxml
keeps every element and attribute name a thread parses until the thread ends: a 1.1 MB feed
of ever-new names left 1.7 MB a poll (68 MB after 40), on and on; 1-3 MB in all now."""

ARTICLE_PAGES_PER_POLL = 30
"""Pages read for one poll at most (not counting cached ones): the short items that score
highest on feed text get them, the rest are judged on their feed text (outcome `capped`).
A 2 MB page takes ~0.3 s to extract in the scoring worker, which every feed's scoring
shares: a feed of 1,000 short items linking to such pages held it ~300 s a poll."""

ARTICLE_MAX_TAGS = 30_000
"""Pages with more tags than this ("<") are not extracted (thin: the feed text is judged).
trafilatura's time grows with the square of a page's elements on some layouts (2 MB of
`<p>word.</p>`: 19 s in the scoring worker); the benchmark's 181 real pages have 3,229 at
most."""

ARTICLE_MAX_ATTRIBUTES = 40_000
"""Nor pages with more attributes than this ("="): libxml2's HTML parser slows with the
square of one element's attributes (12 tags holding 170,000 of them: 27 s); the benchmark's
181 real pages have 13,825 "=" at most, and 169 attributes on one element."""

ARTICLE_CACHE_BYTES = 4_000_000
"""Page bytes extracted between two resets of trafilatura's caches, and of the thread that
extracts (ingest/recycled.py), in the process that extracts. trafilatura keeps the last
1,024 texts and lines it trimmed whatever their size: pages whose article is one long
paragraph held ~3 bytes a page byte there (40 pages of 500 KB: 67 MB), on towards GBs. lxml
keeps every name a thread parses: 200 pages of 3,000 new element names grew the scoring
worker by 81 MB. A reset costs ~25 ms (it collects garbage)."""

TAG_MAX_ATTRIBUTES = 1_000
"""Attributes of one element (names, with or without a value) past which a page is not
extracted and an item's HTML loses its tags by a plain pattern. The `=` counts below miss
attributes written without a value: `<p a0 a1 ... a99999>`, 0.69 MB, held the extraction
33 s (the square of one element's attributes again). The benchmark's 181 pages have 169 at
most; an SVG path's numbers are one quoted value, not attributes."""

ITEM_HTML_MAX_ATTRIBUTES = 5_000
"""An item's HTML with more attributes than this ("=") loses its tags by a plain pattern
instead of the HTML parser (the same square: 24 such fragments in a 4.8 MB feed held the
parse 12 s, while every other feed's parse waited)."""

IDLE_CONNECTIONS = 100
"""Idle keep-alive connections one HTTP session keeps for reuse at least (`concurrency` if
more), the least recently used closed past it (ingest/pool.py): aiohttp bounds those in use
and kept idle ones 15-30 s whatever their number, so fetches from 10,000 hosts in 13 s left
9,720 sockets open, past systemd's 1,024 open files; now 120 at most. Five times the default
concurrency: a poll's next page of one host finds its connection still kept while the other
fetches release theirs (1,000 feeds of 10 pages each: 1,632-1,792 connections made, 1,601-1,624 before)."""

OPEN_FILES = 65_536
"""The soft limit of open files `monitor run` raises its own to at start, or to the hard
limit if lower (open_files.py): systemd gives a service 1,024, and `concurrency` may be
1,000 connections in use beside Redis, model files and the health endpoint's clients."""

RENDER_MAX_CHARS = 100_000
"""Most characters a template may render (title or body, cut there) or build in one value."""

MODEL_MAX_FILE = 50_000_000
"""Largest model file accepted, in bytes on disk (the shipped model: 0.7 MB)."""

MODEL_MAX_UNPACKED = 100_000_000
"""Largest model file accepted, in bytes once unpacked, read from its zip directory before
anything is decompressed (the shipped model: 6.2 MB)."""

MODEL_MAX_SCHEMA = 4_000_000
"""Largest schema (the JSON part, with the metadata) of a model file, in bytes (shipped: 12 kB)."""

ACROSS_WINDOW = 86_400
"""Seconds within which an item in one language is linked to the story an item in another
started (dedup/across.py): a day, as wire services' language desks run a story the same
day; past it a story with the same figures is news again."""

ACROSS_ENTRIES = 8
"""Stories kept per topic and set of figures (dedup/across.py): the newest, so one figure
given by many stories in a day ("2 killed") costs a bounded read."""
