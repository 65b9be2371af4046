"""Concept tokens: a topic's actors and places folded into one signal across phrasings.

A headline says "Erdogan", "Ankara" or "Turkish troops"; the article behind it says all
three. A word model learns each form separately, from the few documents that use it, so a
short text in an unusual phrasing gets little of the evidence the topic's other wording
carries. Here each sentence gets, after its words, one token per concept it names
(`_c_turkey`) and one per pair of concepts it names together (`_c_russia_turkey`): the
linear model cannot see "Turkey and Russia in one sentence" from the words alone, and that
conjunction is much of what makes a story about Turkey-Russia-Syria rather than about one
of them.

The lexicon (models/concepts.toml) maps each concept to its forms, in any language and
script: a form is one word, normalised as the text is (monitor/normalise.py: "Erdoğan" =
"erdogan"), and a form ending in "*" matches every word starting with it ("erdogan*"
covers "erdogans" and Turkish "erdoganin"; "эрдоган*" will cover Russian "эрдогана").
A form of several words ("syrian army") matches those words in a row. It is stored in
the model, so scoring tags exactly as training did. Pure: the word memo
only remembers.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path

from monitor.errors import InputError
from monitor.normalise import normalise

MARK = "_c_"  # concept tokens start with this; no normalised word of real text does
MEMO = 50_000  # words whose concepts are remembered; the memo starts afresh when full
_TOKEN = re.compile(r"\w+")
_FORM = re.compile(r"\w+\*?|\w+(?: \w+)+")  # a word (prefix*) or a phrase of whole words

Lexicon = tuple[tuple[str, tuple[str, ...]], ...]  # (concept, forms) pairs, sorted


def read_lexicon(path: Path) -> Lexicon:
    """`[concepts] name = ["form", "prefix*", ...]` from a TOML file, checked."""
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("concepts")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read the concept lexicon: {exc}") from exc
    if not isinstance(table, dict) or not table:
        raise InputError(f"{path}: expected a [concepts] table of name = [forms]")
    out = []
    for name, forms in sorted(table.items()):
        if not re.fullmatch(r"[a-z][a-z0-9]*", name):
            raise InputError(f"{path}: concept {name!r}: names are lower-case letters and digits")
        if not isinstance(forms, list) or not forms or not all(
                isinstance(f, str) and _FORM.fullmatch(f) for f in forms):
            raise InputError(f"{path}: concept {name!r}: expected a list of words or phrases "
                             f"(words of letters and digits, a phrase's words separated by spaces)")
        out.append((name, tuple(forms)))
    return tuple(out)


class Tagger:
    """Appends concept tokens to normalised sentences."""

    def __init__(self, lexicon: Lexicon):
        self.exact: dict[str, set[str]] = {}
        prefixes: dict[str, set[str]] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}  # by first word
        for name, forms in lexicon:
            for form in forms:
                word = normalise(form.rstrip("*"))
                if " " in word:
                    first, *rest = word.split()
                    self.phrases.setdefault(first, []).append((tuple(rest), name))
                    continue
                (prefixes if form.endswith("*") else self.exact).setdefault(word, set()).add(name)
        self.prefixes = prefixes
        alternatives = sorted(prefixes, key=len, reverse=True)
        self._prefix = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None
        self._memo: dict[str, tuple[str, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes or self.phrases)

    def _of_word(self, token: str) -> tuple[str, ...]:
        found = set(self.exact.get(token, ()))
        if self._prefix is not None and self._prefix.match(token):  # rare: then find which
            for prefix, names in self.prefixes.items():
                if token.startswith(prefix):
                    found |= names
        return tuple(sorted(found))

    def concepts(self, sentence: str) -> list[str]:
        """The concepts a normalised sentence names, sorted."""
        if len(self._memo) >= MEMO:
            self._memo = {}
        found: set[str] = set()
        memo = self._memo
        words = _TOKEN.findall(sentence)
        for i, token in enumerate(words):
            hit = memo.get(token)
            if hit is None:
                hit = memo[token] = self._of_word(token)
            found.update(hit)
            for rest, name in self.phrases.get(token, ()):
                if tuple(words[i + 1:i + 1 + len(rest)]) == rest:
                    found.add(name)
        return sorted(found)

    def tag(self, sentence: str) -> str:
        """The sentence, then its concept tokens and concept-pair tokens."""
        found = self.concepts(sentence)
        if not found:
            return sentence
        return f"{sentence} {' '.join(tokens(found))}"


def tokens(concepts: Iterable[str]) -> list[str]:
    """`_c_a _c_b _c_a_b` for concepts a, b (sorted): each, then each pair."""
    names = sorted(concepts)
    return [MARK + n for n in names] + [f"{MARK}{a}_{b}" for a, b in combinations(names, 2)]


def is_concept(word: str) -> bool:
    return word.startswith(MARK)
