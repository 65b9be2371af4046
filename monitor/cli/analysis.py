"""The model and near-duplicate commands: score, train, evaluate, similar.

The domain modules return values (scores, reports, metrics, measures); this module turns
them into what the user reads. Each `run_*` returns the text to print and the exit code.
"""

from __future__ import annotations

import codecs
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import InputError
from monitor.limits import ITEM_TEXT_CHARS

if TYPE_CHECKING:
    from monitor.dedup.index import NearDupConfig
    from monitor.model.concepts import Lexicon
    from monitor.model.train import TrainReport
    from monitor.settings import Loaded


MAX_INPUT = 10 * ITEM_TEXT_CHARS
"""Bytes of a text read from a file or standard input: more than an item keeps after
cleaning (4 bytes a character at most), so the cut below decides, not this one; reading
unbounded input took 3.2 GB for a 30 MB stdin."""


def read_input(path: str) -> str:
    """A UTF-8 text file, or standard input for "-", cut to ITEM_TEXT_CHARS as an item's text
    is (saying so on stderr): what is scored and compared is what the service would see.
    InputError naming the file when it cannot be read or is not UTF-8."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_INPUT + 1)
        else:
            with Path(path).open("rb") as f:
                data = f.read(MAX_INPUT + 1)
        # final=False: a character cut by the byte cap is dropped, not an error
        text = codecs.getincrementaldecoder("utf-8")().decode(data[:MAX_INPUT], final=len(data) <= MAX_INPUT)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start})") from e
    if len(text) <= ITEM_TEXT_CHARS:
        return text
    from monitor.ingest.text import cut_at_word  # lxml with it: only for long input

    print(f"{path}: read the first {ITEM_TEXT_CHARS:,} characters, as the monitor keeps of an item's text",
          file=sys.stderr)
    return cut_at_word(text, ITEM_TEXT_CHARS)


# -- score ------------------------------------------------------------------------------


def run_score(loaded: Loaded, file: str, as_json: bool = False, feed: str | None = None) -> tuple[str, int]:
    """`monitor score FILE|-|URL [--json] [--feed NAME]`: every topic's score, threshold,
    verdict, the rule that decided it (rules.py; a feed's own rules with --feed) and terms;
    a URL's page is read and its title + main text scored."""
    from monitor import wiring
    from monitor.defaults import TERMS_SHOWN
    from monitor.delivery.values import shown_terms  # the words as the text writes them, as alerts show them

    text, judged = (_page(loaded, file), "page") if file.startswith(("http://", "https://")) \
        else (read_input(file), "")
    if not text.strip():
        raise InputError(f"{file}: no text to score (empty)")
    classifier = wiring.load_classifier(loaded)
    limits = wiring.topic_thresholds(loaded, classifier)
    scores = classifier.score([text], n_terms=TERMS_SHOWN, explain_min=0.0)[0]
    verdicts = _verdicts(loaded, feed, text, {t: s.score for t, s in scores.items()}, limits)
    rows = {t: {"score": round(s.score, 4), "threshold": limits[t],
                "verdict": "alert" if verdicts[t].alert else "no", "rule": verdicts[t].rule, "terms": list(s.terms)}
            for t, s in scores.items()}
    parts = classifier.lead_parts(text)
    if parts is not None:  # the lead's say in a long text's score (monitor/model/lead.py)
        lead, lead_probs, whole = parts
        for i, topic in enumerate(classifier.topics):
            rows[topic]["lead"] = {"score": round(float(lead_probs[i]), 4),
                                   "whole_alone": round(float(whole[i]), 4),
                                   "sentences": len(lead.splitlines())}
    if as_json:
        page = {"judged_on": judged, "words": len(text.split())} if judged else {}
        return json.dumps({"model": classifier.version, **page, "topics": rows}, indent=2), 0
    lines = [f"model {classifier.version}"]
    if judged:
        lines.append(f"judged on the page: {text.splitlines()[0][:100]!r} + {len(text.split())} words")
    for topic, s in scores.items():
        lines.append(f"{topic:24} {s.score:.3f}  threshold {limits[topic]:.2f}  "
                     f"{rows[topic]['verdict']:5}  {', '.join(shown_terms(s.terms, text))}")
        lines.append(f"{'':24} decided by: {verdicts[topic].rule}")
        if "lead" in rows[topic]:
            said = rows[topic]["lead"]
            lines.append(f"{'':24} lead (first {said['sentences']} sentences) {said['score']:.3f}, "
                         f"the whole text alone {said['whole_alone']:.3f}")
    return "\n".join(lines), 0


def _verdicts(loaded: Loaded, feed: str | None, text: str, scores: dict[str, float],
              limits: dict[str, float]) -> dict[str, Any]:
    """Each topic's verdict through the rules of settings.toml (and of `feed`, if named)."""
    from monitor import rules, wiring

    topics = loaded.settings.topics
    if feed is not None and feed not in {f.name for f in loaded.settings.feeds}:
        raise InputError(f"score --feed {feed}: no such feed in {loaded.path}")
    gate = wiring.feed_gates(loaded).get(feed or "", rules.OPEN_FEED)
    return {t: rules.judge(t, score, limits[t], text,
                           wiring.topic_gate(topics[t]) if t in topics else rules.NO_GATE, gate, feed or "")
            for t, score in scores.items()}


def _page(loaded: Loaded, url: str) -> str:
    """`monitor score URL`: the page's title and main text, fetched and extracted as the
    monitor does for a short item (same session guards: `[monitor] allow_private` holds)."""
    import asyncio

    from monitor import urls, wiring
    from monitor.ingest import article

    reason = urls.problem(url)  # before the fetch, whose error for such a URL names no reason
    if reason:
        raise InputError(f"{urls.masked(url)}: {reason}")
    title, text = asyncio.run(article.read_url(url, wiring.fetch_limits(loaded),
                                               loaded.settings.monitor.allow_private))
    if not text:
        raise InputError(f"{urls.masked(url)}: no article text found on the page")
    return f"{title}\n{text}" if title else text


# -- train ------------------------------------------------------------------------------


def run_train(loaded: Loaded, extra: list[str] | None = None, out: str | None = None) -> tuple[str, int]:
    """`monitor train [--with FILE] [--out PATH]`: trains on `train.jsonl` beside the model
    named in settings, plus any --with files."""
    from monitor.model import train

    model = Path(out) if out else loaded.model_path
    paths = [*training_files(loaded), *map(Path, extra or [])]
    report = train.train(paths, model)  # replaces `model` only with a model that loads
    return format_report(report), 0


TOPICS_DIR = "topics"  # beside train.jsonl: one NAME.jsonl of examples per topic added by `monitor topic add`


def training_files(loaded: Loaded) -> list[Path]:
    """`train.jsonl` beside the model, then the example files of topics added without code."""
    from monitor.model import train

    folder = loaded.model_path.parent
    return [folder / train.DEFAULT_DATA.name, *sorted((folder / TOPICS_DIR).glob("*.jsonl"))]


def format_report(report: TrainReport) -> str:
    from monitor.model.train import RECALL_FLOOR

    meta = report.metadata
    lines = [f"wrote {report.path} ({report.size_bytes / 1e6:.1f} MB) version {meta['version']} "
             f"in {report.seconds:.0f} s",
             f"{'topic':24} {'docs':>5} {'pos':>5} {'AP':>6} {'thr':>5} {'prec':>6} {'recall':>6}"]
    for topic, m in meta["cv"].items():
        row = next(r for r in m["thresholds"] if r["threshold"] == m["suggested_threshold"])
        lines.append(f"{topic:24} {m['documents']:5} {m['positives']:5} "
                     f"{m['average_precision']:6.3f} {row['threshold']:5.2f} "
                     f"{row['precision']:6.3f} {row['recall']:6.3f}"
                     f"{'' if row['recall'] >= RECALL_FLOOR else ' !'}{'' if m.get('grouped') else ' *'}")
    lines.append(f"(cross-validated; thr = suggested threshold: the highest keeping recall >= "
                 f"{RECALL_FLOOR}; ! = no threshold keeps it, the best F1 is shown; "
                 f"* = folds not grouped by story kind, optimistic)")
    return "\n".join(lines)


# -- evaluate ---------------------------------------------------------------------------


def run_evaluate(loaded: Loaded, data: str, as_json: bool = False) -> tuple[str, int]:
    """`monitor evaluate DATA.jsonl [--json]` at the thresholds of settings.toml."""
    from monitor import wiring
    from monitor.model.evaluate import evaluate

    classifier = wiring.load_classifier(loaded)
    result = evaluate(classifier, Path(data), wiring.topic_thresholds(loaded, classifier))
    if as_json:
        return json.dumps(result, indent=2, sort_keys=True), 0
    return f"{data}: model {classifier.version}\n{format_table(result)}", 0


def _num(value: float | None, width: int = 6) -> str:
    return f"{value:{width}.3f}" if value is not None else f"{'-':>{width}}"


def format_table(result: dict[str, dict[str, Any]]) -> str:
    head = (f"{'topic':24} {'items':>6} {'pos':>5} {'thr':>5} {'prec':>6} {'recall':>6} "
            f"{'F1':>6} {'FPR':>7} {'AP':>6}   tp/fp/fn/tn")
    lines = [head]
    for topic, m in result.items():
        lines.append(_row(topic, m))
        for lang, by in m.get("by_language", {}).items():
            lines.append(_row(f"  [{lang}]", by))
    return "\n".join(lines)


def _row(name: str, m: dict[str, Any]) -> str:
    fpr = f"{m['fpr'] * 100:6.2f}%" if m["fpr"] is not None else f"{'-':>7}"
    return (f"{name:24} {m['items']:6} {m['positives']:5} {m['threshold']:5.2f} "
            f"{_num(m['precision'])} {_num(m['recall'])} {_num(m['f1'])} {fpr} "
            f"{_num(m['average_precision'])}   {m['tp']}/{m['fp']}/{m['fn']}/{m['tn']}")


# -- similar ----------------------------------------------------------------------------


def run_similar(path_a: str, path_b: str, as_json: bool, cfg: NearDupConfig | None = None,
                lexicon: Lexicon | None = None, why_not: str = "") -> tuple[str, int]:
    """`monitor similar A B [--json]`: the measures and verdict, and exit code 0.
    `cfg` carries the user's [dedup] thresholds (the defaults when None); `lexicon`, the
    settings' model's concepts, adds the test across languages (dedup/across.py), and
    `why_not` says why it is not made."""
    from monitor.dedup.across import explain
    from monitor.dedup.index import NearDupConfig, similarity
    from monitor.dedup.terms import MIN_SHARED_NAMES

    if path_a == "-" and path_b == "-":
        raise InputError("-: standard input can be only one of the two texts")
    cfg = cfg or NearDupConfig()
    text_a, text_b = read_input(path_a), read_input(path_b)
    s = similarity(text_a, text_b, cfg)
    across = explain(text_a, text_b, lexicon) if lexicon is not None else None
    if as_json:
        out: dict[str, Any] = {
            "jaccard": round(s.jaccard, 4), "containment": round(s.containment, 4),
            "shingles_a": s.shingles_a, "shingles_b": s.shingles_b, "shared": s.shared,
            "cosine": round(s.cosine, 4), "names": round(s.names, 4), "shared_names": s.shared_names,
            "duplicate": s.duplicate, "reason": s.reason or None,
            "thresholds": {"jaccard": cfg.jaccard_threshold,
                           "containment": cfg.containment_threshold,
                           "min_contained_shingles": cfg.min_contained_shingles,
                           "cosine": cfg.cosine_threshold, "names": cfg.names_threshold,
                           "min_shared_names": MIN_SHARED_NAMES},
        }
        if across is not None or why_not:
            out["across_languages"] = across or {"not_compared": why_not}
        return json.dumps(out, indent=2), 0
    lines = [
        f"jaccard      {s.jaccard:.3f}   duplicate at >= {cfg.jaccard_threshold:.2f}",
        f"containment  {s.containment:.3f}   duplicate at >= {cfg.containment_threshold:.2f}"
        f" (share of the shorter text found in the other, if it has"
        f" >= {cfg.min_contained_shingles} shingles)",
        f"shingles     A {s.shingles_a}, B {s.shingles_b}, shared {s.shared}"
        f" (word {cfg.shingle_size}-shingles)",
        f"cosine       {s.cosine:.3f}   reworded at >= {cfg.cosine_threshold:.2f} (content words)"
        f" with names >= {cfg.names_threshold:.2f}",
        f"names        {s.names:.3f}   share of the smaller set of names and numbers in the other"
        f" ({s.shared_names} shared, >= {MIN_SHARED_NAMES} needed)",
        f"verdict      {'duplicate (' + s.reason + ')' if s.duplicate else 'not a duplicate'}",
    ]
    if across is not None:
        lines.append(f"languages    figures A {', '.join(across['figures_a']) or '-'}, B "
                     f"{', '.join(across['figures_b']) or '-'}; concepts shared "
                     f"{', '.join(across['shared_concepts']) or '-'} (>= {across['min_shared_concepts']}): "
                     + ("one story when in two languages" if across["linked"] else "not linked across languages"))
    elif why_not:
        lines.append(f"languages    not compared: {why_not}")
    return "\n".join(lines), 0

