"""Concept tokens and length-aware calibration of the topic model (pure functions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import InputError
from monitor.model.concepts import Tagger, read_lexicon, tokens, with_clitics
from monitor.model.counting import Counter
from monitor.model.features import CALIBRATED_WORDS, calibrated, length_of
from monitor.normalise import normalise

ROOT = Path(__file__).resolve().parents[2]
LEXICON = (("russia", ("russia*", "putin*", "moscow")),
           ("syria", ("syria*", "syrian*")), ("syriagov", ("assad*", "syrian army")),
           ("turkey", ("turkey", "turkish", "erdogan*", "ankara*", "турци*")))


def test_each_concept_once_then_each_pair_in_sorted_order() -> None:
    """A sentence naming Turkey twice and Russia once gets each concept and their pair once."""
    tagger = Tagger(LEXICON)
    tagged = tagger.tag(normalise("Erdoğan's call with Putin: Ankara and Moscow agree"))
    assert tagged.split()[-3:] == ["_c_russia", "_c_turkey", "_c_russia_turkey"]
    assert tokens(["b", "a", "c"]) == ["_c_a", "_c_b", "_c_c", "_c_a_b", "_c_a_c", "_c_b_c"]


def test_forms_are_normalised_and_stars_match_word_starts_only() -> None:
    """Turkish suffixes ("Erdoğan'ın"), Russian inflection and case fold to one concept;
    an exact form does not match a longer word, and no concept leaves the text as it was."""
    tagger = Tagger(LEXICON)
    assert tagger.concepts(normalise("Erdoğan'ın açıklaması")) == ["turkey"]
    assert tagger.concepts(normalise("Визит в Турцию")) == ["turkey"]
    assert tagger.concepts(normalise("Russians and Muscovites")) == ["russia"]  # moscow exact
    assert tagger.concepts(normalise("Turkeys roast at Thanksgiving")) == []
    assert tagger.tag("a bakery wins a prize") == "a bakery wins a prize"
    # a phrase wins over a prefix form of its first word, and keeps that word's concepts
    assert tagger.concepts(normalise("The Syrian army shelled the post")) == ["syria", "syriagov"]
    assert tagger.concepts(normalise("Syrian refugees and the army")) == ["syria"]  # not in a row


def test_long_matches_are_tagged_but_not_remembered() -> None:
    """A prefix form matches the rest of its word however long a feed makes it: such a
    match is tagged like any other, and the memo keeps only words of MEMO_MATCH or fewer."""
    tagger = Tagger(LEXICON)
    for i in range(50):
        long = "russia" + "x" * 20_000 + str(i)
        assert tagger.concepts(f"{long} and turkey") == ["russia", "turkey"]
    assert max(map(len, tagger._memo)) <= 64


# What the shipped lexicon tags, and the look-alikes it must not: (concept, tagged, not tagged).
# "Regime warplanes" (and its Turkish and Arabic forms) is the Syrian government's air force as
# opposition outlets name it; "regime" alone names other governments too. The 2023 quake's news
# names Russia's rescuers with Turkey and Syria, and Syrian fighters sent to Libya or Karabakh
# make a story of the three actors about another front: each has its own token, in every
# language's forms (Turkish suffixes, Russian cases, Arabic clitics).
SHIPPED_CASES = [
    ("damascus",
     ("Russian and regime warplanes struck an aid convoy", "Rus ve rejim uçakları konvoyu vurdu",
      "طيران النظام يقصف قافلة", "Армия САР при поддержке ВКС России"),
     ("The Iranian regime cracked down on protests", "Regime change is not our aim",
      # the rebels' name holds "Syrian army" in three languages (a phrase is matched whole)
      "Free Syrian Army fighters enter al-Bab", "Бойцы Свободной сирийской армии вошли в Эль-Баб",
      "مقاتلو الجيش السوري الحر يدخلون الباب")),
    ("russia",  # Russia's defence minister since 2024
     ("Белоусов провел переговоры с турецким коллегой", "Belousov meets Turkish counterpart",
      "بيلوسوف يلتقي نظيره التركي"),
     ("Belarus and Turkey sign trade deal",)),
    ("syria",  # Russian news's name of Syria's state (САР), not the words it begins
     ("Президент САР посетил Москву", "Турецкие военные в САР"),
     ("Сарай сгорел", "Сара Бернар")),
    ("quake",
     ("Russian rescuers arrive in Turkey and Syria after deadly earthquake",
      "Quake toll passes 40,000 as aftershocks rattle Hatay",
      "Depremde hayatını kaybedenlerin sayısı arttı", "Depremzedeler için konteyner kent",
      "Российские спасатели работают в Турции после землетрясения",
      "Число жертв землетрясения в Сирии выросло",
      "وصول فرق إنقاذ روسية إلى سوريا بعد الزلزال", "هزة أرضية تضرب ريف اللاذقية"),
     ("Russian jets strike Idlib as civilians flee", "Zelzele not a word here",
      "Turkish artillery shakes regime positions")),
    ("abroad",
     ("Russia says Turkey sent Syrian mercenaries to Nagorno-Karabakh",
      "Wagner backs Haftar in Libya", "Türkiye Suriyeli savaşçıları Libya'ya gönderdi",
      "Karabağ'da ateşkes", "Москва обвинила Анкару в отправке наемников в Ливию",
      "Лавров: боевики в Карабахе", "موسكو تتهم أنقرة بإرسال مقاتلين إلى ليبيا",
      "مرتزقة سوريون في قره باغ"),
     ("Russian jets strike Idlib", "Rus uçakları Halep'i vurdu", "Удары по Идлибу", "قصف على إدلب")),
    ("northwest",  # Russia's naval base at Tartus, as its air base at Hmeimim; not Latakia's port
     ("Russia pulls warships out of Tartus", "Rus gemileri Tartus'tan ayrıldı",
      "Корабли ВМФ России покинули Тартус", "سفن روسية تغادر ميناء طرطوس",
      "Russian jets pound the Turkmen Mountains", "Bayırbucak Türkmenleri", "قصف على جبل التركمان"),
     ("Russian warships sail through the Bosporus", "Деньги на счету",
      "Russian wheat docks at Latakia", "В Латакию прибыло судно с пшеницей", "وصول باخرة قمح إلى مرفأ اللاذقية")),
    ("newgov",  # the government in Damascus since Assad's fall, by its leaders' names and as described
     ("Sharaa meets Erdogan in Ankara", "Suriye Cumhurbaşkanı Ahmed Şara Moskova'da",
      "Şeybani Lavrov ile görüştü", "Шараа и Путин провели переговоры",
      "الشرع يستقبل وفداً روسياً", "أبو قصرة في أنقرة",
      "Putin receives Syria's interim president", "Suriye'nin yeni yönetimi Moskova'ya heyet gönderdi",
      "Новые власти Сирии пересматривают соглашение", "الإدارة السورية الجديدة تستقبل وفداً روسياً"),
     ("Turkish court sentences Sara for fraud", "Sarayda resepsiyon verildi",
      "Шар упал с крыши",
      # the opposition's government in the north before 2024, and other countries' new rulers
      "Syrian Interim Government opens office in Azaz", "Lebanon's new government wins confidence vote",
      "Новые власти Ливии", "Yeni yönetim kurulu seçildi")),
]


@pytest.mark.parametrize(("concept", "tagged", "untagged"), SHIPPED_CASES, ids=[c for c, *_ in SHIPPED_CASES])
def test_the_shipped_lexicon_tags_its_concepts_and_not_their_look_alikes(
        concept: str, tagged: tuple[str, ...], untagged: tuple[str, ...]) -> None:
    tagger = Tagger(read_lexicon(ROOT / "models" / "concepts.toml"))
    for text in tagged:
        assert concept in tagger.concepts(normalise(text)), text
    for text in untagged:
        assert concept not in tagger.concepts(normalise(text)), text


def test_concept_tokens_get_no_character_ngrams() -> None:
    """Concept tokens are words of the word block: their letters must not add character
    n-grams that real words share ("_c_russia" holds "russ")."""
    counter = Counter({"_c_russia": 0, "russia": 1}, (1, 1), {"russ": 0}, (4, 4))
    words, chars = counter.count(["russia _c_russia"])
    assert words.toarray().tolist() == [[1.0, 1.0]]
    assert chars.sum() == 1  # from "russia" only


def test_shipped_lexicon_reads_and_bad_lexicons_are_one_line_errors(tmp_path: Path) -> None:
    """The shipped lexicon loads; a malformed one names its file and the bad concept."""
    lexicon = dict(read_lexicon(ROOT / "models" / "concepts.toml"))
    assert {"russia", "turkey", "syria"} <= set(lexicon)
    bad = tmp_path / "concepts.toml"
    for text, says in (('[concepts]\nturkey = ["al-bab"]', "'turkey'"),
                       ('[concepts]\nTurkey = ["ankara"]', "'Turkey'"),
                       ("concepts = 1", "[concepts]"), ("[concepts", "cannot read")):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as err:
            read_lexicon(bad)
        assert str(bad) in str(err.value) and says in str(err.value)
        assert "\n" not in str(err.value)


def test_length_aware_calibration_and_the_two_parameter_form() -> None:
    """(a, b) rows are plain Platt scaling; (a, b, c, d) add c L + d m L, L = log(1 + words),
    so one margin means a different probability at another length."""
    margins = np.array([[1.0], [1.0]])
    lengths = length_of(["one two three four", " ".join(["w"] * 200)])
    assert lengths.tolist() == pytest.approx([np.log(5), np.log(201)])
    # outside the lengths the calibration was fitted on, the nearest end counts
    assert length_of(["", "w " * 5000]).tolist() == pytest.approx(
        np.log1p(CALIBRATED_WORDS).tolist())
    plain = calibrated(margins, lengths, np.array([[-2.0, 0.5]]))
    assert plain[:, 0] == pytest.approx([1 / (1 + np.exp(-1.5))] * 2)
    aware = calibrated(margins, lengths, np.array([[-2.0, 0.5, 0.1, -0.2]]))
    z = -2.0 + 0.5 + lengths * (0.1 - 0.2)
    assert aware[:, 0] == pytest.approx(1 / (1 + np.exp(z)))
    assert aware[0, 0] < aware[1, 0]
    assert calibrated(margins[:, 0], lengths, np.array([-2.0, 0.5, 0.1, -0.2])) == \
        pytest.approx(aware[:, 0])


def test_a_feature_of_concept_tokens_names_its_concepts_and_a_word_names_none() -> None:
    from monitor.model.concepts import label, named_in
    assert named_in("_c_turkey") == ("turkey",)
    assert named_in("_c_russia_turkey") == ("russia", "turkey")
    assert named_in("_c_turkey _c_northwest_turkey") == ("northwest", "turkey")
    assert named_in("syria _c_russia") == () and named_in("idlib") == ()
    assert label(["turkey", "northwest"]) == "[Turkey + Northwest]"


def test_arabic_forms_are_read_with_the_one_letter_words_written_onto_them() -> None:
    """"أردوغان: سنوجه دعوة للأسد" (Erdogan: we will invite Assad) named no Damascus, because
    the lexicon listed الأسد and Arabic writes "to" onto the article (ل + الأسد = للأسد); it
    scored 0.04 where "أردوغان يدعو الأسد" scored 0.60."""
    assert with_clitics("الأسد") == ["الأسد", "والاسد", "بالاسد", "وبالاسد", "للاسد", "وللاسد"]
    assert with_clitics("دمشق") == ["دمشق", "ودمشق", "بدمشق", "لدمشق", "وبدمشق", "ولدمشق"]
    assert with_clitics("اللاذقية")[-2:] == ["للاذقيه", "وللاذقيه"]  # ل + اللاذقية: not three lams
    assert with_clitics("idlib*") == ["idlib*"] and with_clitics("Ankara") == ["Ankara"]
    tagger = Tagger(read_lexicon(ROOT / "models" / "concepts.toml"))
    for text, concepts in (("أردوغان: سنوجه دعوة للأسد", ["damascus", "turkey"]),
                           ("أردوغان لبوتين: يجب تنفيذ الاتفاق", ["russia", "turkey"]),
                           ("مقتل جندي تركي بقصف لقوات النظام", ["damascus", "turkey"]),
                           ("اجتماع رباعي بموسكو", ["russia"]),
                           ("بطولة الفروسية", []),  # ف + روسية, horsemanship: no ف alone
                           ("بوتين", ["russia"])):  # a name that starts with ب is itself
        assert tagger.concepts(normalise(text)) == concepts, text


SHIPPED = read_lexicon(ROOT / "models/concepts.toml")
ASCII_FORMS = sorted({f.rstrip("*") for _, forms in SHIPPED for f in forms if f.isascii()})


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(ASCII_FORMS) | st.sampled_from(["the", "of", "a", "syrianx", "xturkey"])
                | st.text(alphabet="ab1 .,-'\n", max_size=4), max_size=12),
       st.sampled_from([" ", "  ", ", ", "-", ". ", ""]))
def test_an_ascii_sentence_names_what_it_names_among_other_scripts(parts: list[str], sep: str) -> None:
    """ASCII sentences are read with only the lexicon's ASCII forms (Tagger): the concepts
    they name are those the same words name with a non-ASCII word after them."""
    tagger = Tagger(SHIPPED)
    sentence = normalise(sep.join(parts))
    assert tagger.concepts(sentence) == tagger.concepts(f"{sentence} é")


def test_a_lexicon_of_other_scripts_names_nothing_in_ascii() -> None:
    tagger = Tagger((("turkey", ("турци*",)),))
    assert tagger.concepts("turkey and russia") == []
    assert tagger.concepts("визит в турцию") == ["turkey"]
