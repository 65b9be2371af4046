"""Replay the dated Guardian and BBC headlines of 2020-2024 (corpora/headlines, unlabelled)
through the shipped model and the surge detector (issue 17's measure): `monitor surge
--replay` on a JSON-lines copy of the two CSVs, with settings.toml's topics and a surge
window of one day (the headlines are dated by day) and two sources (the corpus has two
outlets). Prints every surge with its date, counts and top headlines; the judgement of which
are real escalations is README's (Surge alerts). Fails only when the replay fails. ~20 s.

    .venv/bin/python .ci/surge_headlines.py [--corpora ../shared/corpora] [--topic T] [--plot OUT.png]
        [--threshold X] [--min-sources N] [--sensitivity P] [--window D]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.cli import main as cli  # noqa: E402

OUTLETS = {"bbc.csv": "bbc", "guardian.csv": "guardian"}
SURGE = {"surge_window": '"1d"', "surge_min_sources": "2", "surge_baseline": '"28d"'}  # defaults here
DATE = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$")
BBC_SUFFIX = re.compile(r"\s+-\s+BBC News$")


def items(corpora: Path) -> list[dict[str, str]]:
    """Each headline as a replay item, at noon UTC of its day (the corpus has days only);
    rows without a date (4 of BBC's, one of them a broken quote) are left out."""
    out = []
    for name, outlet in OUTLETS.items():
        with (corpora / "headlines" / name).open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                if not DATE.match(row["published_date"] or ""):
                    continue
                year, month, day = (int(x) for x in row["published_date"].split("/"))
                out.append({"title": BBC_SUFFIX.sub("", row["title"]), "text": "", "source": outlet,
                            "url": row["url"], "published": f"{year:04d}-{month:02d}-{day:02d}T12:00:00+00:00"})
    return out


def settings_for_replay(tmp: Path, surge: dict[str, str], threshold: float | None) -> Path:
    """settings.toml with every topic's surge settings for day-dated, two-outlet data (and
    another threshold, when given)."""
    text = (ROOT / "settings.toml").read_text(encoding="utf-8")
    text = re.sub(r'^model = "[^"]*"', f'model = "{ROOT / "models" / "topics.skops"}"', text, flags=re.M)
    if threshold is not None:
        text = re.sub(r"^threshold = .*$", f"threshold = {threshold}", text, flags=re.M)
    extra = "".join(f"{k} = {v}\n" for k, v in surge.items())
    text = re.sub(r"^(\[topics\.[a-z0-9_-]+\]\n)", lambda m: m.group(1) + extra, text, flags=re.M)
    path = tmp / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--topic", default="turkey_russia_syria")
    parser.add_argument("--plot")
    parser.add_argument("--threshold", type=float, help="every topic's threshold (default: settings.toml's)")
    parser.add_argument("--min-sources", help=f"surge_min_sources (default {SURGE['surge_min_sources']})")
    parser.add_argument("--sensitivity", help="surge_sensitivity (default: the monitor's)")
    parser.add_argument("--window", help='surge_window (default "1d")')
    args = parser.parse_args()
    surge = {**SURGE, **({"surge_min_sources": args.min_sources} if args.min_sources else {}),
             **({"surge_sensitivity": args.sensitivity} if args.sensitivity else {}),
             **({"surge_window": f'"{args.window}"'} if args.window else {})}
    with tempfile.TemporaryDirectory(prefix="surge-headlines-") as tmp:
        data = Path(tmp) / "headlines.jsonl"
        data.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items(args.corpora)))
        path = settings_for_replay(Path(tmp), surge, args.threshold)
        argv = ["--settings", str(path), "surge", "--replay", str(data)]
        argv += ["--topic", args.topic] if args.topic else []
        argv += ["--plot", args.plot] if args.plot else []
        return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
