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
from typing import Any

from monitor.errors import InputError
from monitor.normalise import normalise

MARK = "_c_"  # concept tokens start with this; no normalised word of real text does
MEMO = 50_000  # words whose concepts are remembered; the memo starts afresh when full
# A prefix form matches the rest of its word ("idlib*"), as long as a feed makes it: longer
# matches are worked out each time, not remembered (50,000 of 20,000 characters: 1 GB).
MEMO_MATCH = 64
_TOKEN = re.compile(r"\w+")
_FORM = re.compile(r"\w+\*?|\w+(?: \w+)+")  # a word (prefix*) or a phrase of whole words
_NORMAL = re.compile(r"\w+(?: \w+)*")  # a form once normalised: still words, single spaces

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
        if not isinstance(forms, list) or not forms or not all(isinstance(f, str) for f in forms):
            raise InputError(f"{path}: concept {name!r}: expected a list of words or phrases "
                             f"(words of letters and digits, a phrase's words separated by spaces)")
        for form in forms:
            _check_form(path, name, form)
        out.append((name, tuple(dict.fromkeys(v for form in forms for v in with_clitics(form)))))
    return tuple(out)


# Arabic writes "and" (و), "in, with" (ب) and "to" (ل) onto the next word, alone or two at once;
# ل before the article takes its alif (ل + الأسد = للأسد). A lexicon lists a name once and the
# forms it takes in a sentence are added here: "أردوغان: سنوجه دعوة للأسد" (Erdogan: we will
# invite Assad) named no Damascus and scored 0.04, and Arabic's clitic forms were listed by
# hand for some names only. Not ف (so) or ك (as) alone: ف + روسية is "horsemanship", and
# neither comes before a name in a headline.
_ARABIC = re.compile(r"[\u0621-\u064a]")
_ARTICLE = "\u0627\u0644"  # ال
_ONTO_NAME = ("\u0648", "\u0628", "\u0644", "\u0648\u0628", "\u0648\u0644")  # و ب ل وب ول
_ONTO_ARTICLE = ("\u0648", "\u0628", "\u0648\u0628")  # و ب وب; ل and ول take the alif


def with_clitics(form: str) -> list[str]:
    """The form, and when it is an Arabic word or phrase (not a prefix*), the forms Arabic
    writes one-letter words onto (normalised, as the Tagger reads forms)."""
    word = normalise(form)
    if form.endswith("*") or not _ARABIC.match(word):
        return [form]
    if word.startswith(_ARTICLE):
        # ل + ال... = لل..., and where the article's ل meets a word's own ل, one of the three
        # goes: ل + اللاذقية = للاذقية
        lam = word[1:] if word.startswith(_ARTICLE + "\u0644") else "\u0644" + word[1:]
        return [form, *(p + word for p in _ONTO_ARTICLE), lam, "\u0648" + lam]
    return [form, *(p + word for p in _ONTO_NAME)]


def _check_form(path: Path, name: str, form: str) -> None:
    """A form must be words before and after normalising, as the Tagger reads it: "ـ*" (a
    tatweel) is a word character but normalises to nothing, an empty prefix tagging every word."""
    where = f"{path}: concept {name!r}: form {form!r}"
    if not _FORM.fullmatch(form):
        raise InputError(f"{where}: expected a word, a prefix* or a phrase (words of letters and "
                         f"digits, separated by single spaces)")
    normal = normalise(form.removesuffix("*"))
    if not _NORMAL.fullmatch(normal):
        raise InputError(f"{where}: is {normal!r} once normalised as the text is, not a word or phrase")


class Tagger:
    """Appends concept tokens to normalised sentences.

    One regular expression finds every form in a sentence (a scan in C: ~4x cheaper than
    looking each word up from Python); each distinct match's concepts are worked out once
    and remembered. A phrase ("syrian army") also counts its words' own concepts (syria).
    """

    def __init__(self, lexicon: Lexicon):
        self.exact: dict[str, set[str]] = {}
        self.prefixes: dict[str, set[str]] = {}
        self.phrases: dict[tuple[str, ...], set[str]] = {}
        for name, forms in lexicon:
            for form in forms:
                word = normalise(form.rstrip("*"))
                if " " in word:
                    self.phrases.setdefault(tuple(word.split()), set()).add(name)
                else:
                    table = self.prefixes if form.endswith("*") else self.exact
                    table.setdefault(word, set()).add(name)
        # Every form as a path of a trie ("\x00": any run of non-word characters between a
        # phrase's words, "\x01": any word characters after a prefix); the trie becomes one
        # pattern whose alternatives share their starts, so a word is matched in one pass.
        paths = ([" ".join(p).replace(" ", "\x00") for p in self.phrases]
                 + [p + "\x01" for p in self.prefixes] + list(self.exact))
        self._forms = _forms_pattern(paths)
        # An ASCII sentence (most English ones) can match only the ASCII forms: the same
        # pattern without the others matches it alike, a third cheaper on the bench's texts.
        self._ascii_forms = _forms_pattern([path for path in paths if path.isascii()])
        self._memo: dict[str, tuple[str, ...]] = {}

    def __bool__(self) -> bool:
        return self._forms is not None

    def _of_word(self, token: str) -> set[str]:
        found = set(self.exact.get(token, ()))
        for prefix, names in self.prefixes.items():
            if token.startswith(prefix):
                found |= names
        return found

    def _of_match(self, match: str) -> tuple[str, ...]:
        words = _TOKEN.findall(match)
        found = set(self.phrases.get(tuple(words), ())) if len(words) > 1 else set()
        for word in words:
            found |= self._of_word(word)
        return tuple(sorted(found))

    def concepts(self, sentence: str) -> list[str]:
        """The concepts a normalised sentence names, sorted."""
        forms = self._ascii_forms if sentence.isascii() else self._forms
        if forms is None:
            return []
        if len(self._memo) >= MEMO:
            self._memo = {}
        found: set[str] = set()
        memo = self._memo
        for match in forms.findall(sentence):
            hit = memo.get(match)
            if hit is None:
                hit = self._of_match(match)
                if len(match) <= MEMO_MATCH:
                    memo[match] = hit
            found.update(hit)
        return sorted(found)

    def tag(self, sentence: str) -> str:
        """The sentence, then its concept tokens and concept-pair tokens."""
        found = self.concepts(sentence)
        if not found:
            return sentence
        return f"{sentence} {' '.join(tokens(found))}"


def _forms_pattern(paths: list[str]) -> re.Pattern[str] | None:
    """Any of the paths as a whole word or words (see Tagger); None for no paths (an empty
    trie's pattern would match everywhere)."""
    return re.compile(rf"(?<!\w)(?:{_trie_pattern(paths)})(?!\w)") if paths else None


def _trie_pattern(paths: list[str]) -> str:
    """A regular expression matching any of the paths (see Tagger), longest first."""
    trie: dict[str, Any] = {}  # nested to any depth
    for path in paths:
        node = trie
        for char in path:
            node = node.setdefault(char, {})
        node[""] = {}  # the end of a path

    def pattern(node: dict[str, Any]) -> str:
        # a phrase's next word first (else "syrian*" would take "syrian army"), then
        # letters, then a prefix's tail; the end of a path last
        options = [_STEP.get(char, re.escape(char)) + pattern(child)
                   for char, child in sorted(node.items(), key=_order) if char]
        if "" in node:
            options.append("")
        if len(options) == 1:
            return options[0]
        return f"(?:{'|'.join(options)})"
    return pattern(trie)


_STEP = {"\x00": r"\W+", "\x01": r"\w*"}


def _order(item: tuple[str, object]) -> tuple[int, str]:
    char = item[0]
    return (0, "") if char == "\x00" else (2, "") if char == "\x01" else (1, char)


def tokens(concepts: Iterable[str]) -> list[str]:
    """`_c_a _c_b _c_a_b` for concepts a, b (sorted): each, then each pair."""
    names = sorted(concepts)
    return [MARK + n for n in names] + [f"{MARK}{a}_{b}" for a, b in combinations(names, 2)]


def is_concept(word: str) -> bool:
    return word.startswith(MARK)


def named_in(feature: str) -> tuple[str, ...]:
    """The concepts a feature of concept tokens only stands for ("_c_turkey" -> turkey,
    "_c_northwest _c_turkey" -> northwest, turkey); () for one that holds a word."""
    parts = feature.split(" ")
    if not all(map(is_concept, parts)):
        return ()
    return tuple(sorted({name for part in parts for name in part[len(MARK):].split("_")}))


def label(concepts: Iterable[str]) -> str:
    """How an explanation names concepts: "[Northwest + Turkey]"."""
    return "[" + " + ".join(name.capitalize() for name in concepts) + "]"
