"""stopwords.py, and relevance.py with it: an item's function words are no evidence that a
page is about it. Headlines and pages are written for these tests: each page is of another
story and shares only function words of its language with its headline (3-6 of 9-12 cues,
which an English list alone counted); the item's own page shares its content words."""

from __future__ import annotations

import pytest

from monitor.dedup.terms import STOP_WORDS
from monitor.ingest import relevance
from monitor.ingest.stopwords import stop_words
from monitor.normalise import words

CASES = [
    ("de", "Die Regierung und der Bundestag streiten über die Rente mit den Ländern",
     "Der Streit um die Rente geht weiter: die Regierung will den Ländern mehr zahlen, der Bundestag "
     "streitet noch über den Plan.",
     "Der Trainer war mit der Leistung und dem Ergebnis zufrieden, über die Tore freuten sich die Fans "
     "mit den Spielern."),
    ("tr", "Belediye için yeni bir karar: otobüs seferleri daha sık olacak gibi görünüyor",
     "Belediyenin aldığı kararla otobüs seferlerinin sıklaştırılacağı ve yeni hatların açılacağı bildirildi.",
     "Maç için bir araya gelen taraftarlar, daha önce de olduğu gibi stadyumu doldurdu ve takımını "
     "sonuna kadar destekledi."),
    ("fr", "Les syndicats appellent à une grève dans les transports pour les retraites",
     "Les syndicats ont appelé à la grève: les transports seront perturbés, la réforme des retraites "
     "reste contestée.",
     "Les joueurs ont remporté le match dans les dernières minutes, pour une victoire attendue par une "
     "foule de supporters."),
    ("ar", "وزير الخارجية يبحث خلال زيارة إلى أنقرة الأزمة التي تشهدها سوريا",
     "بحث وزير الخارجية في أنقرة الأزمة السورية، وتناولت المحادثات الأوضاع التي تشهدها سوريا.",
     "فاز الفريق خلال المباراة التي أقيمت على الملعب، وعاد اللاعبون إلى المدينة بعد أن سجلوا هدفين في "
     "الشوط الثاني."),
]


@pytest.mark.parametrize(("lang", "title", "own", "other"), CASES, ids=[c[0] for c in CASES])
def test_a_page_sharing_only_function_words_with_the_headline_is_refused(
        lang: str, title: str, own: str, other: str) -> None:
    assert relevance.about(title, "", own, lang)
    assert not relevance.about(title, "", other, lang)


@pytest.mark.parametrize("lang", [None, "und", "xx"])
def test_an_item_of_no_known_language_gets_every_languages_function_words(lang: str | None) -> None:
    """The article stage passes "und" when too little text tells the language; the walls of
    .ci/eval_relevance.py are judged with none."""
    for _, title, own, other in CASES:
        assert relevance.about(title, "", own, lang)
        assert not relevance.about(title, "", other, lang)


def test_the_lists_are_folded_as_the_words_they_meet() -> None:
    """Normalised as headline and page words are (için is icin, على is علي); the package's
    Turkish list, read as Latin-1 (nasýl, birþey), is repaired to nasıl and birşey first."""
    assert {"icin", "nasil", "birsey", "cunku"} <= stop_words("tr")
    assert {"علي", "التي", "خلال"} <= stop_words("ar")
    assert {"uber", "und", "fur"} <= stop_words("de") and "для" in stop_words("ru")
    assert all(words(w) == [w] for w in stop_words("tr") | stop_words("ar"))


def test_english_keeps_the_projects_list_and_every_list_holds_it() -> None:
    """The package's English list holds content words (world, free, great) that found other
    stories' pages on SemEval-2022; no language's list drops the project's English one."""
    assert stop_words("en") == STOP_WORDS and "world" not in stop_words("en")
    assert all(STOP_WORDS <= stop_words(lang) for lang in ("de", "tr", "ar", "ru", None))
    assert "world" not in stop_words(None) and "und" not in stop_words("en")


def test_norwegian_as_the_language_detector_names_it_gets_its_own_list() -> None:
    """fastText says "no" where the package has "nb": Norwegian items got the union, whose
    other languages' words (war, die, man) are English content words."""
    assert stop_words("no") == stop_words("nb") == stop_words("nn") != stop_words(None)
    assert "war" not in stop_words("no") and "og" in stop_words("no")
