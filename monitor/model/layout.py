"""Which sentences make each document and each passage of a batch of texts.

Text is split into sentences (at . ! ? and line breaks) and counted once a sentence; a
document's counts are the sums of its sentences', and so are a passage's (overlapping pairs
of sentences, whose margins let an article that names an actor in one passing clause score
lower than one that is about it), and a lead's (monitor/model/lead.py: a long text's first
sentences, one more document over the same sentences). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import scipy.sparse as sp

from monitor.model.surface import bare

# A sentence ends at whitespace after . ! ? (all of that whitespace) or at a run of line
# breaks: "(?<=[.!?])\s+|\n+", written to start with the whitespace character every match
# starts with, so the regex engine skips to the next whitespace in C rather than trying the
# look-behind at every character (a batch's split: 2.2x cheaper on the bench's texts).
SENTENCE = re.compile(r"\s(?:(?<=[.!?]\s)\s*|(?<=\n)\n*)")
WINDOW = 2  # sentences per passage


def sentences(text: str) -> list[str]:
    return [part for part in SENTENCE.split(text) if part.strip()] or [text]


@dataclass(frozen=True)
class Layout:
    """Which sentences make each document and each passage (overlapping sentence pairs).
    The documents are the texts, then the leads asked for (monitor/model/lead.py): each a
    text's first sentences, counted once for both."""

    sentences: list[str]
    docs: sp.csr_matrix  # documents x sentences, 1 where the sentence belongs
    passages: sp.csr_matrix  # passages x sentences
    starts: np.ndarray  # first passage row of each document, plus the end
    leads: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # their texts


def layout(texts: Sequence[str], lead_words: int = 0) -> Layout:
    """The texts' layout; with `lead_words`, a document more for each text longer than its
    lead of that many words (lead.lead_count). A headline counts without the label or outlet
    name a feed put around it (surface.bare)."""
    per_text = [sentences(bare(text)) for text in texts]
    sents = list(chain.from_iterable(per_text))
    n = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))  # each >= 1
    first = np.cumsum(n) - n  # each document's first sentence
    leads = np.zeros(0, dtype=np.int64)
    if lead_words:
        from monitor.model.lead import lead_count

        found = [(i, k) for i, parts in enumerate(per_text) if (k := lead_count(parts, lead_words))]
        if found:
            leads, counts = (np.array(column, dtype=np.int64) for column in zip(*found, strict=True))
            first, n = np.append(first, first[leads]), np.append(n, counts)
    rows = np.append(0, np.cumsum(n))  # document d's sentences: first[d] .. first[d] + n[d] - 1
    docs = sp.csr_matrix((np.ones(int(rows[-1])), np.repeat(first - rows[:-1], n) + np.arange(rows[-1]), rows),
                         shape=(len(n), len(sents)))
    # Document d has max(1, n - WINDOW + 1) passages: passage w holds its sentences
    # w .. w + min(WINDOW, n) - 1.
    per_doc = np.maximum(1, n - WINDOW + 1)
    starts = np.append(0, np.cumsum(per_doc))
    owner = np.repeat(np.arange(len(n)), per_doc)
    size = np.minimum(WINDOW, n)[owner]
    ends = np.cumsum(size)
    offset = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - size, size)
    cols = np.repeat(first[owner] + np.arange(starts[-1]) - starts[owner], size) + offset
    passages = sp.csr_matrix((np.ones(len(cols)), cols, np.append(0, ends)),
                             shape=(int(starts[-1]), len(sents)))
    return Layout(sents, docs, passages, starts, leads)
