"""The sentence split (monitor/model/layout.py): its pattern is written for speed, and must
split exactly as the rule it spells out, "(?<=[.!?])\\s+|\\n+", which the model was trained on."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.model.layout import SENTENCE, sentences

RULE = re.compile(r"(?<=[.!?])\s+|\n+")  # a sentence ends at whitespace after . ! ?, or at line breaks
# the characters that decide a split, among letters: every kind of whitespace Python's \s takes
PIECES = st.text(alphabet=".!?,ab \n\t\r\x0b\x0c\x1c\x85\xa0\u2028\u3000", max_size=40)


@settings(max_examples=500, deadline=None, database=None)
@given(PIECES)
@example("One. Two!\n\nThree?\t \nfour\n")
@example("\n. a")
@example(" .  \n")
def test_the_split_is_the_rule_it_spells_out(text: str) -> None:
    assert SENTENCE.split(text) == RULE.split(text)


def test_sentences_end_after_their_marks_and_at_line_breaks() -> None:
    assert sentences("Troops moved. Talks began!  Why?\nA new line\n\nand  more. ") == [
        "Troops moved.", "Talks began!", "Why?", "A new line", "and  more."]
    assert sentences("3.5 km. 2,000 died") == ["3.5 km.", "2,000 died"]
    assert sentences(" \n ") == [" \n "]  # no sentence: the text stays one
