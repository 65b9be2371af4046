"""What the boilerplate feeds append to a description costs a short item, and what the
parse stage's dropping of it (monitor/ingest/trailers.py) gives back (a report: no target);
and the same for a description that repeats the title, whole or before its first sentence
(ingest/repeats.py, beyond_title).

    python .ci/eval_trailers.py [--corpora ../shared/corpora] [--model models/topics.skops]

turkey_russia_syria at the threshold of settings.toml, on FA-KES's title + first sentence
(the form of most feeds) and on the held-out feed items written for the project
(models/heldout_feeds*.jsonl, headline + description in four languages), each as written,
with one trailer appended, and with that trailer dropped as the parse stage drops it; and
FA-KES's items as one feed whose site ends each with its footer (ingest/footers.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora_to_jsonl import TOPIC, first_sentence, read_fakes  # noqa: E402

from monitor.ingest.footers import drop_shared_endings  # noqa: E402
from monitor.ingest.repeats import feed_text  # noqa: E402
from monitor.items import Item  # noqa: E402
from monitor.model.classify import Classifier  # noqa: E402
from monitor.model.evaluate import scores_of  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FAKES_TRAILERS = (" Read more", " Photo: AFP", " (Reuters)", " Read also: Gaza ceasefire talks resume in Cairo",
                  " (Reporting by Selin Arslan; Editing by Tom Hale)")
# written for this report: a site's own footer under every item (dropped by ingest/footers.py)
FOOTER = ("Example Direct is an independent, non-profit news organization. We rely on readers like you to keep "
          "our journalism free and open to everyone. Support our reporting by becoming a member today.")
# written for this report: a link to the page, another story's link, a Yoast footer, a source line
FEED_TRAILERS = {
    "en": ("Read more", "Read also: Gaza ceasefire talks resume in Cairo",
           "The post {title} appeared first on Enab Baladi.", "Source: Reuters"),
    "tr": ("Devamı için tıklayın", "İlgili haber: Gazze'de ateşkes görüşmeleri yeniden başladı",
           "{title} yazısı ilk önce Haber Sitesi üzerinde ortaya çıktı.", "Kaynak: AA"),
    "ru": ("Читать далее", "Читайте также: Переговоры о перемирии в Газе возобновились",
           "Сообщение {title} появились сначала на Время.", "Источник: ТАСС"),
    "ar": ("اقرأ المزيد", "اقرأ أيضا: استئناف مفاوضات وقف إطلاق النار في غزة",
           "ظهرت المقالة {title} أولاً على عنب بلدي.", "المصدر: وكالات"),
}


def as_item(title: str, text: str) -> str:
    """The document the parse stage makes of a title and a description (Item.document)."""
    text = feed_text(title, text)
    return f"{title}\n{text}" if text else title


def as_parsed(document: str) -> str:
    """A "title\ntext" document as the parse stage would have made it."""
    title, newline, text = document.partition("\n")
    return as_item(title, text) if newline else as_item("", document)


def counts(on: np.ndarray, scores: np.ndarray, threshold: float) -> str:
    hit = scores >= threshold
    return f"{(hit & on).sum():3d}/{on.sum()} found, {(hit & ~on).sum():2d} false"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "topics.skops")
    args = ap.parse_args()
    clf = Classifier.load(args.model)
    topic = list(clf.topics).index(TOPIC)
    threshold = tomllib.loads((ROOT / "settings.toml").read_text())["topics"][TOPIC]["threshold"]

    def report(name: str, texts: list[str], on: np.ndarray, trailers: tuple[str, ...]) -> None:
        print(f"{name}: as written {counts(on, scores_of(clf, texts)[:, topic], threshold)}")
        for trailer in trailers:
            kept = [text + (" " if trailer[0] != " " else "") + trailer.format(title=text.partition("\n")[0])
                    for text in texts]
            dropped = [as_parsed(text) for text in kept]
            print(f"  + {trailer.strip()[:40]!r:44} kept {counts(on, scores_of(clf, kept)[:, topic], threshold)}"
                  f"   dropped {counts(on, scores_of(clf, dropped)[:, topic], threshold)}")

    rows = read_fakes(args.corpora)
    titles = [title for _, title, _, _ in rows]
    on = np.array([label for *_, label in rows])
    doubled = [f"{title}\n{title}" for title in titles]
    parsed = [as_item(title, title) for title in titles]
    print(f"FA-KES titles, {TOPIC} at {threshold}: alone {counts(on, scores_of(clf, titles)[:, topic], threshold)}"
          f"   repeated as the description {counts(on, scores_of(clf, doubled)[:, topic], threshold)}"
          f"   as parsed {counts(on, scores_of(clf, parsed)[:, topic], threshold)}")
    leads = [first_sentence(title, text) for _, title, text, _ in rows]
    pairs = list(zip(titles, leads, strict=True))
    written = [f"{title}\n{lead}" for title, lead in pairs]
    again = [f"{title}\n{title}. {lead}" for title, lead in pairs]
    again_parsed = [as_item(title, f"{title}. {lead}") for title, lead in pairs]
    print(f"FA-KES title + first sentence: as written {counts(on, scores_of(clf, written)[:, topic], threshold)}"
          f"   the title again before the sentence {counts(on, scores_of(clf, again)[:, topic], threshold)}"
          f"   as parsed {counts(on, scores_of(clf, again_parsed)[:, topic], threshold)}")
    for credit in ("Photo: AFP. ", "Photo: AFP "):
        kept = [f"{title}\n{credit}{lead}" for title, lead in pairs]
        print(f"  {credit!r} before the sentence: kept {counts(on, scores_of(clf, kept)[:, topic], threshold)}"
              f"   dropped {counts(on, scores_of(clf, [as_parsed(text) for text in kept])[:, topic], threshold)}")
    report(f"FA-KES title + first sentence, {TOPIC} at {threshold}", written, on, FAKES_TRAILERS)
    footed = [f"{text} {FOOTER}" for text in written]  # every item of one feed, as its site ends them
    dropped = [item.text for item in drop_shared_endings([Item(id=str(n), source="f", url=None, title="", text=text,
                                                               published=datetime.now(UTC))
                                                          for n, text in enumerate(footed)])]
    print(f"  + {'a site footer (37 words)':44} kept {counts(on, scores_of(clf, footed)[:, topic], threshold)}"
          f"   dropped {counts(on, scores_of(clf, dropped)[:, topic], threshold)}")
    items = [json.loads(line) for path in sorted((ROOT / "models").glob("heldout_feeds*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for lang, trailers in FEED_TRAILERS.items():
        mine = [item for item in items if item["lang"] == lang]
        report(f"held-out feed items, {lang}", [item["text"] for item in mine],
               np.array([TOPIC in item["topics"] for item in mine]), trailers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
