"""An agency's dateline at a description's end or start (monitor/ingest/datelines.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.ingest.datelines import drop_dateline
from monitor.ingest.parse import parse_feed
from monitor.ingest.repeats import feed_text
from monitor.ingest.trailers import drop_trailers
from monitor.model.classify import Classifier
from monitor.model.evaluate import scores_of

ROOT = Path(__file__).resolve().parents[2]
# Written for this test: a headline and lead the shipped model scores 0.502 for turkey_russia_syria
TITLE, LEAD = "Bakan Fidan yarın Moskova'ya gidecek", "Ziyarette ekonomik işbirliği ve enerji konuları konuşulacak."
# Written for these tests: headlines and leads in Arabic, Russian and Turkish (0.36-0.85 for
# turkey_russia_syria with the shipped model), the datelines agencies put before a lead and
# their names after it
WRITTEN = json.loads((ROOT / "tests" / "data" / "dateline_items.json").read_text(encoding="utf-8"))
DATELINES = [dateline for datelines in WRITTEN["datelines"].values() for dateline in datelines]
AFTER = [name for names in WRITTEN["after"].values() for name in names]


@pytest.mark.parametrize("dateline", ["- AYDIN", "- İSTANBUL", "– KAHRAMANMARAŞ", "-ŞANLIURFA", "- HATAY REYHANLI",
                                      "\n- GAZİANTEP", "- ÇANAKKALE."])
def test_a_city_after_a_dash_at_the_end_is_dropped(dateline: str) -> None:
    assert drop_trailers(f"{LEAD} {dateline}") == LEAD


@pytest.mark.parametrize("name", AFTER)
def test_an_agencys_name_after_the_end_is_dropped(name: str) -> None:
    """Fault: only a city in Latin capitals was taken after a dash: "— ТАСС", "- سانا",
    "/الأناضول/", a Gulf agency's "//انتهى//" made a passage of their own, scored."""
    assert drop_trailers(f"{LEAD}{name}") == LEAD


@pytest.mark.parametrize("prose", ["Стороны обсудят повестку. Об этом сообщает ТАСС.", "وقال إن الاجتماع قد انتهى",
                                   "وذلك بحسب وكالة سانا.", "Стороны обсудят повестку. - ТАСС сообщил об этом",
                                   "Talks went on.\nApple said more.", "Talks went on.\nAPEC"])
def test_prose_that_ends_with_an_agency_is_kept(prose: str) -> None:
    assert drop_trailers(prose) == prose


@pytest.mark.parametrize("prose", ["Skor 3 - 1 oldu", "Erdoğan Putin ile görüştü - NATO", f"{LEAD} - A",
                                   f"{LEAD} - Aydın", f"{LEAD} - ÜÇ BÜYÜK KENT"])
def test_prose_that_ends_with_a_dash_is_kept(prose: str) -> None:
    assert drop_trailers(prose) == prose


@pytest.mark.parametrize("dateline", ["ANKARA (AA) - ", "İSTANBUL (İHA) -", "МОСКВА, 12 марта. /ТАСС/. ",
                                      "ANKARA, 12 Mart (Reuters) - ", "DAMASCUS, Syria (AP) — ",
                                      "BEIJING, Aug. 17 (Xinhuanet) -- ", "VATICAN CITY, NOV. 25 (Zenit.org).- ",
                                      "AP - ", "AFP - ", "Reuters - ", "DAMASCUS, Syria — ", "KYIV, Ukraine - ",
                                      "ISTANBUL — ", "BEIRUT - ", "SAN FRANCISCO - ", "МОСКВА — "])
def test_an_agencys_dateline_at_the_start_is_dropped(dateline: str) -> None:
    assert drop_dateline(dateline + LEAD) == LEAD


@pytest.mark.parametrize("dateline", DATELINES)
def test_a_dateline_written_as_words_is_dropped_by_its_agency(dateline: str) -> None:
    """Fault: only a city in capitals made a dateline; Arabic has none, and Russian and Turkish
    sites write the city as a word ("Москва. 12 марта. ИНТЕРФАКС -", "Viyana (AA) -")."""
    lead = "قال المتحدث إن المحادثات ستستمر غدا."
    assert drop_dateline(dateline + lead) == lead


@pytest.mark.parametrize("prose", [
    "UN (United Nations) said it would help.", "NATO (the alliance) - its members met.", "ANKARA (AA) -", LEAD,
    "Fidan (AA) muhabirine açıklama yaptı.", "أنقرة تستدعي السفير الروسي احتجاجا على التصريحات.",
    "أنقرة - موسكو: توتر جديد في إدلب", "قالت وكالة سانا إن القصف استهدف ريف إدلب.",
    "Москва. 12 марта состоится встреча министров.", "POL-AA: Ostalbkreis: Unfall auf der B29",
    "Reuters reported on Monday (AP) - sources", "(الأناضول)", "UN - Syria talks resume in Geneva",
    "NATO — the alliance met in Brussels.", "PKK - YPG positions were hit.", "US - Turkey tensions rise",
    "NATO-led forces said", "YPG — the militia said", "الجزيرة السورية تشهد موجة حر",
    "قالت الجزيرة نت إن المحادثات ستستمر", "الوطن يحتفل بالعيد", "Fidan / Lavrov görüşmesi - yarın"])
def test_a_text_that_starts_like_a_dateline_is_kept(prose: str) -> None:
    assert drop_dateline(prose) == prose


@given(st.lists(st.sampled_from(list("AŞ İb ,.-—/()\n") + ["ANKARA", "(AA)", "/ТАСС/", " - ", "دمشق", "سانا",
                                                           "(الأناضول)", "12 آذار", "،"])).map("".join))
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


@pytest.mark.parametrize("where", ["datelines", "after"])
def test_written_items_score_as_their_leads_with_an_agency_around_them(where: str) -> None:
    """Fault: an Arabic, Russian or title-case Turkish dateline, or the agency's name after the
    lead, was kept and scored: it moved the written items 0.142 (datelines, up to 0.54) and
    0.222 (after, up to 0.35) on average from their score without it."""
    clf = Classifier.load(ROOT / "models" / "topics.skops")
    topic = list(clf.topics).index("turkey_russia_syria")
    rows = [(item["title"], item["lead"], around) for item in WRITTEN["items"]
            for around in WRITTEN[where][item["lang"]]]
    clean = scores_of(clf, [f"{title}\n{lead}" for title, lead, _ in rows])[:, topic]
    description = (lambda lead, around: around + lead) if where == "datelines" else (lambda lead, around: lead + around)
    parsed = scores_of(clf, [f"{title}\n{feed_text(title, description(lead, around))}"
                             for title, lead, around in rows])[:, topic]
    assert abs(parsed - clean).max() < 0.01
