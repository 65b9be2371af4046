"""Numbers written as words (monitor/dedup/numwords.py) read as the figures they name, so an
outlet's "thirty-three soldiers" and its Turkish service's "33 asker" are one story."""

from __future__ import annotations

import pytest

from monitor.dedup.across import figures, lexicon_of, same_story, signature, tagger_of
from monitor.model.classify import Classifier
from tests.conftest import MODEL
from tests.test_across import poll_two_feeds

# Written for these tests: one report as an English and a Turkish service would carry it.
ENGLISH = ("Thirty-three Turkish soldiers killed in Syrian government air strike in Idlib",
           "Thirty-three Turkish soldiers were killed in an air strike by Syrian government forces in Idlib, "
           "the governor of Hatay said.")
TURKISH = ("İdlib'de Esad rejiminin hava saldırısında 33 asker şehit oldu",
           "Hatay Valisi, İdlib'de Esad rejimi güçlerinin hava saldırısında 33 askerimizin şehit olduğunu açıkladı.")


@pytest.fixture(scope="module")
def lexicon() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return lexicon_of(Classifier.load(MODEL).metadata)


def test_english_number_words_are_read() -> None:
    assert figures("Five soldiers killed, twenty-five wounded", "en") == ("25", "5")
    assert figures("a hundred and five displaced; two thousand fled; Thirty three troops", "en") == (
        "105", "2000", "33")
    assert figures("three million refugees, 1.5 million at the border", "en") == ("1500000", "3000000")
    # one is an article's word, dozens and hundreds no figure, time a span, "the two" a back reference
    assert figures("one killed; a dozen hurt; dozens and hundreds fled; the two leaders", "en") == ()
    assert figures("after six hours of talks, ten months on; a three-way summit", "en") == ()
    assert figures("twenty-four hours", "en") == () and figures("Five soldiers", "") == ()  # no language: none


def test_turkish_number_words_and_their_endings_are_read() -> None:
    assert figures("Beş asker şehit oldu, on beş asker yaralandı", "tr") == ("15", "5")
    assert figures("Askerlerin beşi ağır yaralı; ikisinin durumu; dördüne ulaştı", "tr") == ("2", "4", "5")
    assert figures("İKİ BİN KİŞİ; iki yüz elli; yüz bin", "tr") == ("100000", "2000", "250")
    assert figures("YEDİ ASKER; altıya yükseldi; dokuzu", "tr") == ("6", "7", "9")
    # pronouns on "on" (onu, ona, onda), the face ("yüz yüze"), "altına" (under), ordinals,
    # fractions, vague plurals and a name's "bin"
    assert figures("onu gördü, ona dedi, yüz yüze, kontrol altına aldı, üçüncü, dörtte, onlarca", "tr") == ()
    assert figures("Muhammed bin Selman; 600 bin kişi", "tr") == ("600000",)
    assert figures("son yirmi dört saatte; iki gün sonra", "tr") == ()  # a span of time


def test_russian_number_words_in_their_cases_and_collectives_are_read() -> None:
    assert figures("Пятеро военных погибли; пять военнослужащих", "ru") == ("5",)
    assert figures("двое раненых, трое погибших, четверых", "ru") == ("2", "3", "4")
    assert figures("двадцати пяти человек; двух тысяч беженцев; тысяча беженцев", "ru") == ("1000", "2000", "25")
    assert figures("сто двадцать; пятьсот; трёхсот; три миллиона", "ru") == ("120", "300", "3000000", "500")
    # "family" (семью), one, "thousands", "tens of", 1.5 million, a span
    assert figures("его семью; один; тысячи беженцев; десятки; полтора миллиона; за два дня", "ru") == ()
    assert figures("600 тысяч", "ru") == ("600000",)  # the digits' word of thousands, once


def test_arabic_number_words_genders_and_the_dual_of_counted_nouns_are_read() -> None:
    assert figures("مقتل خمسة جنود وإصابة خمس نساء", "ar") == ("5",)
    assert figures("خمسة وعشرون؛ ثلاثة عشر؛ اثنا عشر؛ ثلاثمئة وخمسون؛ ثلاثة آلاف", "ar") == (
        "12", "13", "25", "3000", "350")
    assert figures("مقتل جنديين تركيين؛ سقوط قتيلين؛ غارتين", "ar") == ("2",)
    # civilians (a plural written as a dual), Monday, per cent, "tens", the nineteenth, "I am not",
    # "the five" (a back reference), a span of two years
    assert figures("مقتل مدنيين يوم الاثنين؛ في المئة؛ عشرات؛ القرن التاسع عشر؛ لست؛ الجنود الخمسة", "ar") == ()
    assert figures("خلال عامين؛ منذ ثلاث سنوات", "ar") == ()
    assert figures("ألف نازح؛ 600 ألف", "ar") == ("1000", "600000")


def test_a_count_in_words_is_the_story_its_digits_in_another_language_are(lexicon) -> None:
    tagger = tagger_of(lexicon)
    english, turkish = signature(*ENGLISH, tagger, "en"), signature(*TURKISH, tagger, "tr")
    assert english is not None and turkish is not None and same_story(english, turkish)
    russian = signature("Пятеро турецких военных погибли при ударе сирийских войск в Идлибе", "", tagger, "ru")
    arabic = signature("مقتل خمسة جنود أتراك بقصف لقوات النظام السوري قرب سراقب في إدلب", "", tagger, "ar")
    assert arabic is not None and russian is not None and same_story(arabic, russian)  # 5, four concepts
    # one small figure asks four concepts: two warplanes downed are not two soldiers killed
    jets = signature("Turkey downs two Syrian jets over Idlib", "", tagger, "en")
    soldiers = signature("مقتل جنديين تركيين بقصف لقوات النظام قرب سراقب", "", tagger, "ar")
    assert jets is None and soldiers is None


def test_a_story_told_in_words_and_in_digits_in_two_feeds_alerts_once(feed_server, json_receiver,
                                                                       make_settings) -> None:
    """Before: the English item gave no figure (its count is in words) and sent a second alert."""
    out = poll_two_feeds(feed_server, json_receiver, make_settings, ENGLISH, TURKISH)
    assert out.count("ok items=1 new=1 alerts=1") == 1, out  # whichever came first
    assert out.count("ok items=1 new=1 alerts=0") == 1, out
    assert len(json_receiver.received) == 1
