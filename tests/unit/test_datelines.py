"""An agency's dateline at a description's end or start (monitor/ingest/datelines.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.ingest.datelines import drop_dateline
from monitor.ingest.parse import parse_feed
from monitor.ingest.trailers import drop_trailers
from monitor.model.classify import Classifier
from monitor.model.evaluate import scores_of

ROOT = Path(__file__).resolve().parents[2]
# Written for this test: a headline and lead the shipped model scores 0.502 for turkey_russia_syria
TITLE, LEAD = "Bakan Fidan yarın Moskova'ya gidecek", "Ziyarette ekonomik işbirliği ve enerji konuları konuşulacak."


@pytest.mark.parametrize("dateline", ["- AYDIN", "- İSTANBUL", "– KAHRAMANMARAŞ", "-ŞANLIURFA", "- HATAY REYHANLI",
                                      "\n- GAZİANTEP", "- ÇANAKKALE."])
def test_a_city_after_a_dash_at_the_end_is_dropped(dateline: str) -> None:
    assert drop_trailers(f"{LEAD} {dateline}") == LEAD


@pytest.mark.parametrize("prose", ["Skor 3 - 1 oldu", "Erdoğan Putin ile görüştü - NATO", f"{LEAD} - A",
                                   f"{LEAD} - Aydın", f"{LEAD} - ÜÇ BÜYÜK KENT"])
def test_prose_that_ends_with_a_dash_is_kept(prose: str) -> None:
    assert drop_trailers(prose) == prose


@pytest.mark.parametrize("dateline", ["ANKARA (AA) - ", "İSTANBUL (İHA) -", "МОСКВА, 12 марта. /ТАСС/. ",
                                      "ANKARA, 12 Mart (Reuters) - ", "DAMASCUS, Syria (AP) — ",
                                      "BEIJING, Aug. 17 (Xinhuanet) -- ", "VATICAN CITY, NOV. 25 (Zenit.org).- "])
def test_an_agencys_dateline_at_the_start_is_dropped(dateline: str) -> None:
    assert drop_dateline(dateline + LEAD) == LEAD


@pytest.mark.parametrize("prose", ["UN (United Nations) said it would help.", "NATO (the alliance) - its members met.",
                                   "Ankara (AA) - Bakan konuştu.", "ANKARA (AA) -", LEAD])
def test_a_text_that_starts_like_a_dateline_is_kept(prose: str) -> None:
    assert drop_dateline(prose) == prose


@given(st.lists(st.sampled_from(list("AŞ İb ,.-—/()\n") + ["ANKARA", "(AA)", "/ТАСС/", " - "])).map("".join))
def test_only_a_start_is_ever_dropped(text: str) -> None:
    assert text.endswith(drop_dateline(text))


@pytest.mark.parametrize("description", [f"ANKARA (AA) - {LEAD}", f"İSTANBUL (İHA) - {LEAD}", f"{LEAD} - İSTANBUL"])
def test_a_feed_items_dateline_is_dropped_and_its_score_is_its_lead(description: str) -> None:
    """Fault: the dateline was kept, in the alert's lead and in the score: a city's name
    moved a mid-range item (0.502) to 0.781, 0.276 and 0.148 (the shipped model,
    turkey_russia_syria)."""
    body = (f"<rss version='2.0'><channel><title>t</title><item><title>{TITLE}</title><link>https://news.example.org/1"
            f"</link><description>{description}</description></item></channel></rss>")
    (item,) = parse_feed(body.encode(), "application/rss+xml", "wire", datetime(2026, 11, 29, tzinfo=UTC))
    assert item.text == LEAD
    clf = Classifier.load(ROOT / "models" / "topics.skops")
    parsed, kept = scores_of(clf, [item.document, f"{TITLE}\n{description}"])[:, list(clf.topics).index(
        "turkey_russia_syria")]
    assert abs(parsed - kept) > 0.2
