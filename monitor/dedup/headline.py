"""One story for a headline and its short copies: a Google News search item reduced to
its headline, a Telegram post of one line, an aggregator's entry.

Such an item has fewer word shingles than containment needs (index.MIN_CONTAINED_SHINGLES),
so the shingle tests never join it to the outlet's own item of the story (headline and
lead, or headline and page): two alerts for one story. So the index files each item under
its normalised headline too, as two more LSH bands (`headline_bands`: 10 bytes of LSH
records an item, in the slice's segments, expiring with them; no key of its own), and an
item that found no copy by its text joins the newest item of the window bearing the same
headline when either of the two is short (script_headline.py). Two long items of one
headline and unlike texts stay apart: their texts decide, as before.

A headline counts only with MIN_HEADLINE_WORDS content words (terms.py's: 3+ letters, not
a number, not an English function word): "Live updates", "Son dakika", "Morning briefing"
recur every day and name no story. The bands hash the headline's whole normalised word
sequence (numbers included: "day 300" and "day 301" differ). Measured by
.ci/eval_short_copies.py on the corpora (Guardian/BBC headlines 2020-2024, AG News,
FA-KES): same headline, different stories, within the window: none at 5 content words or
more; at 4, AG News's "ESPN.com news services" bylines (two stories).
"""

from __future__ import annotations

import hashlib

from monitor.dedup.terms import STOP_WORDS
from monitor.normalise import words

MIN_HEADLINE_WORDS = 5
"""Content words a headline needs to name its story (the measurement above)."""

HEADLINE_BANDS = 2
"""LSH bands a headline is filed under. A band's field and check bytes match 32 bits of its
hash or more (script_lsh.py), so two bands make 64: two headlines of a 1,000,000-item window
would match by chance once in ~10**13 checks, where one band would at ~1 check in 4,000."""


def content_words(folded: list[str]) -> int:
    """Content words among a headline's normalised words, as terms.py counts them."""
    return sum(len(w) >= 3 and not w.isdigit() and w not in STOP_WORDS for w in folded)


def headline_bands(headline: str, min_words: int = MIN_HEADLINE_WORDS) -> bytes:
    """The headline's band hashes (8 bytes a band, as shingles.band_hashes), or b"" for a
    headline too short to name a story."""
    folded = words(headline)
    if content_words(folded) < min_words:
        return b""
    return hashlib.blake2b(" ".join(folded).encode(), digest_size=8 * HEADLINE_BANDS, person=b"headline").digest()
