"""prepare.sketches, the index's one pass over a text, gives exactly what shingles.py and
terms.py give it word by word (the index's records must not depend on which path ran)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.dedup import prepare, shingles, terms

# Words that fold (British spellings, function words, a number) and names, and every
# character the one-pass path treats specially: apostrophes, typographic punctuation,
# sentence ends, and a letter that sends a text down the Unicode path.
PIECES = ["Syria", "syria", "SYRIA", "Erdogan", "organisation", "centre", "defence", "the", "Said", "2024",
          "O", "s", "'", "`", "\u2019", "\u2018", "\u00b4", "\u201c", "\u201d", "\u2013", "\u2014",
          "\u2026", "\u00a0", ".", "!", "?", "\n", " ", "-", "_", "\u0130stanbul", "\u02bc", "x1"]
texts = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)


def one_by_one(text: str) -> tuple[shingles.Hashes, bytes]:
    return shingles.shingle_hashes(text, 3), terms.encoded(text)


@settings(max_examples=400)
@given(text=texts | st.text(max_size=120))
def test_the_one_pass_gives_what_each_module_gives(text: str) -> None:
    (hashes, sketch), (expected_hashes, expected_sketch) = prepare.sketches(text, 3), one_by_one(text)
    assert np.array_equal(hashes, expected_hashes) and sketch == expected_sketch


def test_typographic_punctuation_takes_the_one_pass_and_means_what_plain_punctuation_does() -> None:
    curly = "Turkey\u2019s army \u201cfired\u201d \u2014 Erdogan\u2019s office said\u2026 Syria\u2019s Idlib."
    plain = "Turkey's army \"fired\" - Erdogan's office said  Syria's Idlib."
    before = len(prepare._CACHE)
    assert prepare.sketches(curly, 3)[1] == prepare.sketches(plain, 3)[1] == terms.encoded(curly)
    assert len(prepare._CACHE) > before  # its tokens went through the one-pass cache


def test_the_cache_is_cleared_before_it_overflows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare, "MAX_TOKENS", 64)
    for n in range(6):  # 20 tokens each, none seen before: the cache fills every other text
        text = " ".join(f"Word{n}x{i} said. Other{n}x{i}'s" for i in range(5))
        assert prepare.sketches(text, 3)[1] == terms.encoded(text)
        assert len(prepare._CACHE) <= 64


def test_long_tokens_keep_the_caches_bounded() -> None:
    # A token is as long as a feed makes it: 20,000-character ones would have held 2 GB in
    # the one-pass cache (100,000 tokens).
    for n in range(300):
        long = "x" * 20_000 + f"{n}organisation"
        text = f"Erdogan said {long} in Idlib."
        assert prepare.sketches(text, 3)[1] == terms.encoded(text)
        assert shingles.canonical(long) == long.replace("organisation", "organization")
    assert sum(map(len, prepare._CACHE)) <= 4_000_000 + 2 * 20_100


def every_rule(word: str) -> str:
    """canonical without its shortcut: each rule tried on every word of 5+ letters."""
    if word in shingles._WORDS:
        return shingles._WORDS[word]
    if len(word) < 5 or word.isdigit():
        return word
    for pattern, repl, _ in shingles._SPELLING:
        if (folded := pattern.sub(repl, word)) != word:
            return folded
    return word


@settings(max_examples=600)
@given(stem=st.text("aeioulrtsyzcgnd", max_size=8),
       end=st.sampled_from(shingles._SUFFIXES) | st.text("aeioulrtsyzcgnd", max_size=4))
def test_the_suffix_shortcut_folds_what_the_rules_fold(stem: str, end: str) -> None:
    # canonical skips the rules for a word that ends in none of _SUFFIXES: that must never
    # skip a word a rule folds (labour, centres, travelled, analysing ...).
    assert shingles.canonical(stem + end) == every_rule(stem + end)


def test_the_rules_fold_british_spellings() -> None:
    folded = {w: shingles.canonical(w) for w in ("organisations", "criticised", "paralysing", "neighbours",
                                                 "favourite", "centres", "dialogue", "defence",
                                                 "travelled", "programme", "labour", "house", "spectre")}
    assert folded == {"organisations": "organizations", "criticised": "criticized", "paralysing": "paralyzing",
                      "neighbours": "neighbors", "favourite": "favorite", "centres": "centers",
                      "dialogue": "dialog", "defence": "defense", "travelled": "traveled",
                      "programme": "program", "labour": "labor", "house": "house", "spectre": "specter"}


def test_long_words_of_unicode_text_keep_the_caches_bounded() -> None:
    # Text that is not ASCII takes each module's own path, whose word caches were bounded
    # by count only: 250 items each one 20,000-character word (Chinese or Thai clauses are
    # written without spaces) held 5,000,000 characters in each, ~80 KB an item, up to
    # 100,000 and 200,000 words (~4 GB and ~8 GB; both caps are 100,000 now).
    block = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 2_000)) * 10
    for n in range(250):
        text = f"伊德利卜{n}：{block}{n}。"
        prepare.sketches(text, 3)
    assert sum(map(len, shingles._WORD_HASHES)) <= shingles._WORD_HASHES_CHARS + 20_100
    assert sum(map(len, terms._TOKENS)) <= terms._TOKENS_CHARS + 20_100
