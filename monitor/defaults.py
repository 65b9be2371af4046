"""Every default, named once, next to what it means (read by settings, the stages' configs
and tests; tests/test_docs.py checks README.md's settings tables against them).

Durations are in seconds, as the settings hold them once validated; README.md writes them
as settings.toml does ("10m").
"""

from __future__ import annotations

from typing import Final

MINUTE = 60.0
HOUR = 60 * MINUTE
DAY = 24 * HOUR

SETTINGS_FILE = "settings.toml"
"""Where `monitor` looks for its settings unless `--settings` or `$MONITOR_SETTINGS` says."""

DATA_DIR = "data"
"""Directory for the embedded Redis database, its append-only file and alerts.jsonl."""

KEY_PREFIX = "monitor:"
"""Every Redis key the monitor writes starts with this."""

MODEL = "models/topics.skops"
"""The trained topic model, relative to the settings file."""

FEED_INTERVAL = 10 * MINUTE
"""How often a feed is polled unless it sets `interval`."""

JITTER = 30.0
"""Random delay added to each scheduled poll so feeds do not all fire together."""

SPREAD = True
"""A feed new to the schedule is first due at a point spread evenly over its first
interval (False: every new feed is due at once)."""

SEEN_TTL = 30 * DAY
"""How long an item id is remembered as processed (never scored or alerted again)."""

BACKLOG = 2 * DAY
"""A feed's first successful poll takes its items published longer ago than this as read:
no alert for a new feed's archive (nor for every feed's, when Redis lost its state). 0: the
first poll alerts its whole listing. Later polls alert any new item, whatever its date."""

DEDUP_WINDOW = 3 * DAY
"""How far back the near-duplicate detector looks for an earlier copy of a story."""

NEAR_DUPLICATES = True
"""One alert per story across outlets (False: every distinct item alerts)."""

FOLLOW_UP_SOURCES = 0
"""A story reaching this many sources sends one follow-up alert; 0: never."""

NEARDUP_JACCARD = 0.4
"""Two texts are one story when this share of their word 3-shingles is common (a reworded copy)."""

NEARDUP_CONTAINMENT = 0.8
"""...or when this share of the shorter text's shingles is in the other (a copy with text appended)."""

STORY_SOURCES_MAX = 50
"""Sources a story keeps (its first ones; a later copy still joins it and counts as a source)."""

NEARDUP_COSINE = 0.45
"""...or, reworded, when their content words have this cosine and their names agree (`NEARDUP_NAMES`)."""

NEARDUP_NAMES = 0.85
"""Share of the names and numbers of the text with fewer found in the other (3 at least) for a rewording."""

ACROSS_LANGUAGES = True
"""A new story is the one another language's feed started within a day when both give the
same figures and name two of the same concepts (dedup/across.py)."""

CONNECT_TIMEOUT = 10.0
"""Time allowed to open a connection to a feed server."""

READ_TIMEOUT = 30.0
"""Time allowed for a whole feed response once connected."""

MAX_BYTES = 5_000_000
"""Feed responses larger than this are refused (after decompression)."""

MAX_REDIRECTS = 5
"""Redirects followed before a fetch is counted as an error."""

ALLOW_PRIVATE = False
"""Fetches may connect to loopback, private, link-local, shared, multicast or reserved
addresses (e.g. 127.0.0.1, 10.0.0.0/8, 169.254.169.254). Off: a feed, or a redirect, that
leads there is refused at connect time."""

CONCURRENCY = 20
"""Feed fetches in flight at once (aiohttp connector limit)."""

SCORE_WORKERS = 1
"""Processes that score new items beside the service process (0: score in it)."""

SCORE_CALL_SECONDS = 60.0
"""A call in a scoring worker (a batch of up to 200 texts, a page's extraction, the model's
load) that runs longer than this ends its workers, and the call fails (model/scoring.py).
The longest known legitimate call is a hostile 2 MB page's extraction, ~15 s (ARTICLE_MAX_BYTES);
a batch takes under a second. Without a worker nothing can be ended: a thread cannot be."""

ARTICLES: Final = "auto"
"""When to read the page behind a short item: "auto" (only where the short text already
scores ARTICLE_BAR for some topic), "always" (every short item) or "never"."""

ARTICLE_BELOW_WORDS = 100
"""An item whose feed text has fewer words than this is short: its page may be read."""

ARTICLE_BAR = 0.02
"""With articles = "auto", the score (any topic) a short item's feed text needs before its
page is read. Measured on FA-KES title + first sentence against AG News with the shipped
model: at 0.03 every on-topic article is still fetched, for 1.7 % of AG News items."""

ARTICLE_PER_HOST = 2
"""Pages read from one host at once (across all feeds)."""

ARTICLE_HOST_REST = 1 * MINUTE
"""A site that did not answer a page (no such host, refused, timed out) is not asked for
pages again for this long: its other items are judged on their feed text meanwhile."""

ARTICLE_MAX_BYTES = 2_000_000
"""Pages larger than this are not read (nor `max_bytes`). The largest of the 181 real pages
of the article-extraction benchmark is 1.5 MB; extraction time grows with a page's text
(a hostile 4.5 MB page of paragraphs takes ~35 s), and it runs in the scoring worker."""

ARTICLE_MIN_WORDS = 40
"""A page whose extracted text has fewer words than this (or than the feed text) is
thin (paywalled, a video, an error page): the item is judged on its feed text."""

ARTICLE_ABOUT_SHARE = 0.25
"""A page is judged on only if, less the headline and feed text it repeats, its text holds
this share of the headline's content words or of the feed text's names (ingest/relevance.py);
else the item keeps its feed text (outcome `unrelated`: a consent wall, a paywall's offer).
Of the article-extraction benchmark's 181 real pages (their own headline as the item's
title, their article's first 40 words as its feed text), 3 of the 178 judged fall below it,
as at 0.15 and 0.2 (7 at 0.3, 11 at 0.5); none of FA-KES's 74 on-topic articles served as
pages (2 at 0.34); every wall written for the tests, in four languages, does (0.18 at most:
0.15 lets one through)."""

ARTICLE_CHARS = 20_000
"""Characters of a page's extracted text kept (scored, cached and shown) at most."""

BACKOFF_BASE = 1 * MINUTE
"""First wait after a feed fails; doubles with each further failure."""

BACKOFF_MAX = 6 * HOUR
"""Longest wait between attempts at a failing feed."""

RETRY_AFTER_CEILING = 1 * DAY
"""Longest pause a feed's 429/503 `Retry-After` can impose (or backoff_max if longer), and an
article host's: past it the header is a server's mistake, not a plan (a year-9999 date)."""

SEND_ATTEMPTS = 10
"""Send attempts before an alert is moved to the dead-letter list."""

SEND_BACKOFF_BASE = 10.0
"""First wait before retrying a failed send; doubles with each attempt, with jitter."""

SEND_BACKOFF_MAX = 1 * HOUR
"""Longest wait between two attempts at sending one alert."""

DEAD_MAX = 10_000
"""Dead letters kept at most; past it the oldest is dropped as a new one arrives."""

DEAD_SHOWN = 100
"""Dead letters `status` and `outbox` read and show (the oldest first)."""

LABELS_MAX = 10_000
"""Labels (alert verdicts) kept at most; past it the oldest is dropped as a new one arrives."""

CLAIM_TIMEOUT = 2 * MINUTE
"""An alert taken by a sender that has not acknowledged it by then is taken over by another."""

LOG_LEVEL = "info"
"""Least severe log level written: debug, info, warning or error."""

FEED_ALERT_AFTER = 6 * HOUR
"""A feed failing for longer than this sends one alert to the ops channel (and one on recovery)."""

CHANNEL_MODE: Final = "immediate"  # Final: typed as the literal, as settings wants
"""A channel sends each alert on its own unless it says "digest"."""

CHANNEL_FORMAT: Final = "text"
"""Body format a channel hands to apprise: text, markdown or html."""

TIMEZONE = "UTC"
"""Time zone of a channel's digest_at and quiet_hours."""

MAX_PER_HOUR = 0
"""Messages a channel may send an hour before alerts fold into its digest; 0: no limit."""

CHANNEL_ALERT_AFTER = 3
"""Failed sends in a row after which a channel is reported to the ops channel."""

CHANNEL_THROTTLE = 0.2
"""A channel without `throttle` waits apprise's own interval for its service between two
messages, but at most this long (apprise's own is 5.5 s for email and most services)."""

SEND_SECONDS = 60.0
"""Longest one send may take, pacing apart: a channel answering a byte at a time (each byte
within the per-read timeouts) held its send, and its channel, forever (transport.py)."""

RETRY_AFTER_MAX = 1 * HOUR
"""Longest pause a channel's 429/503 `Retry-After` can impose on that channel."""

RECENT_MAX = 5000
"""How many scored items the `recent` stream keeps."""

JSONL_MAX_BYTES = 10_000_000
"""Size at which `console://`'s alerts.jsonl is rotated: it becomes alerts.jsonl.1 (the
older ones .2, .3 ...) and a new file starts, as logrotate would do it. A console:// URL's
`rotate=` sets another (delivery/channels.py, rotation)."""

JSONL_KEEP = 5
"""Rotated alerts.jsonl files kept (alerts.jsonl.1 to .5): at most ~60 MB in all; the oldest
goes. A console:// URL's `keep=` sets another."""

TERMS_SHOWN = 5
"""How many score-raising terms an alert and `monitor score` show."""

LEAD_CHARS = 300
"""Characters of the article shown under an alert (cut at a word boundary)."""

TEXT_KEPT = 4000
"""Characters of an item's text kept with its alert (for feedback export and labels)."""

TITLE_CHARS = 200
"""Characters of a headline shown in an alert; a longer one is cut at a word with "…"."""

UNTITLED_CHARS = 80
"""An item without a title is headed by its text's first words, up to this many characters."""

USER_AGENT = "monitor/{version} (+https://github.com/monitor-news/monitor; self-hosted news monitor)"
"""The User-Agent sent to feed servers, so their operators know who polls them."""

HEALTH_TIMEOUT = 0.5
"""How long /healthz waits for Redis to take its probe write before answering 503."""

HEALTH_CACHE = 1.0
"""How long one /healthz answer is reused, so frequent probes do not load Redis."""

TUNE_MIN_HISTORY = 1 * HOUR
"""`monitor tune` gives alerts a day from the recent items' scores only when they span at
least this long (a count over minutes is no daily rate)."""

ALERT_FEED_ITEMS = 50
"""Alerts in `/alerts.atom` and `/alerts.json` (the newest; `?topic=` filters first)."""

REVIEW_MARGIN = 0.15
"""`monitor review` offers recent items whose score is within this of the topic's threshold."""

SURGE = True
"""A topic watches its rate of distinct stories and alerts once when it surges."""

SURGE_WINDOW = 2 * HOUR
"""The span whose distinct stories are compared with the topic's usual rate."""

SURGE_MIN_SOURCES = 3
"""Distinct sources a window needs before it can be a surge (one outlet's burst is not)."""

SURGE_SENSITIVITY = 0.0001
"""A window is a surge when a Poisson count at the usual rate reaches its count with at most
this probability: lower alerts less often."""

SURGE_BASELINE = 14 * DAY
"""How far back the topic's usual rate is measured (its own recent history)."""

SURGE_BUCKET = 15 * MINUTE
"""Time buckets the story counts are kept in (a window is a whole number of them)."""

SURGE_MIN_HISTORY = 2 * DAY
"""Observed history a topic needs before it may surge; before that it says so and stays quiet."""

SURGE_MIN_STORIES = 3
"""Distinct stories a window needs before it can be a surge (copies of one story never are)."""

SURGE_PRIOR_STORIES = 1
"""Stories added to those a topic's history counted when its usual rate is measured, so a
history without stories is not read as a rate of zero (which any story would exceed)."""

SURGE_AGAIN = 2.0
"""While a surge lasts, a window with this many times its alerted count alerts again."""

SURGE_TOP = 5
"""Stories listed in a surge alert, most sources first."""
