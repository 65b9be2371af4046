"""The shipped topic model: loading, refusal, scoring, explanations (texts written here)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from monitor import settings
from monitor.errors import InputError, ModelError
from monitor.model.classify import TRUSTED, Classifier
from monitor.model.layout import layout
from monitor.model.modelfile import read_state as _read_state
from monitor.normalise import normalise

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "topics.skops"

ON_TOPIC = (
    "Turkish soldiers killed as Syrian army shells observation post in Idlib\n"
    "Three Turkish soldiers were killed when Syrian government artillery hit their post near "
    "Saraqeb, Ankara said. Turkey struck back at Syrian army positions and President Erdogan "
    "phoned Vladimir Putin, whose air force backs the offensive on the province. The Kremlin "
    "said Russia and Turkey would hold talks on a new ceasefire in Idlib."
)
OFF_TOPIC = (
    "Local bakery wins national bread prize\nA family bakery in a small town won the national "
    "prize for sourdough bread on Saturday, beating 200 entries. The owners said they would "
    "keep their prices unchanged."
)
SYRIA_ONLY = (
    "Islamic State attack kills soldiers in Syrian desert\nMilitants ambushed an army patrol "
    "near Palmyra, killing eight soldiers, state media said. The group still carries out "
    "attacks from hideouts in the desert."
)


@pytest.fixture(scope="module")
def model() -> Classifier:
    return Classifier.load(MODEL)


def test_shipped_model_loads_fast_and_carries_its_metadata(model: Classifier) -> None:
    started = time.process_time()  # CPU, not wall: the suite runs in parallel processes
    Classifier.load(MODEL)
    assert time.process_time() - started < 1.0
    assert MODEL.stat().st_size < 10_000_000
    assert "turkey_russia_syria" in model.topics and len(model.topics) >= 4
    meta = model.metadata
    assert len(meta["data_sha256"]) == 64 and meta["version"].startswith(meta["data_sha256"][:12])
    for topic in model.topics:
        cv = meta["cv"][topic]
        assert cv["positives"] >= 300
        assert [r["threshold"] for r in cv["thresholds"]][0] == 0.3
        assert all(0 <= r["precision"] <= 1 and 0 <= r["recall"] <= 1 for r in cv["thresholds"])


def test_scores_separate_on_and_off_topic(model: Classifier) -> None:
    on, off, syria = model.score([ON_TOPIC, OFF_TOPIC, SYRIA_ONLY])
    assert on["turkey_russia_syria"].score > 0.8
    assert off["turkey_russia_syria"].score < 0.1
    assert syria["turkey_russia_syria"].score < 0.5
    assert set(on) == set(model.topics)
    assert all(0.0 <= s.score <= 1.0 for s in on.values())


def test_batch_scores_equal_single_scores(model: Classifier) -> None:
    batch = model.score([ON_TOPIC, OFF_TOPIC, SYRIA_ONLY])
    for text, scored in zip([ON_TOPIC, OFF_TOPIC, SYRIA_ONLY], batch, strict=True):
        single = model.score([text])[0]
        for topic in model.topics:
            assert single[topic].score == pytest.approx(scored[topic].score, abs=1e-12)
            assert single[topic].terms == scored[topic].terms
    assert model.score([]) == []


def test_explanation_terms_are_the_strongest_positive_contributions(model: Classifier) -> None:
    terms = model.score([ON_TOPIC], n_terms=5)[0]["turkey_russia_syria"].terms
    assert len(terms) == 5
    x = model.features.transform([ON_TOPIC])
    t = model.topics.index("turkey_russia_syria")
    names = list(model.features.names[: model.features.n_word])
    contrib = {names[j]: model.coef[t, j] * v for j, v in zip(x.indices, x.data, strict=True)
               if j < model.features.n_word}
    # concepts weigh in, and are named as one term: the sum of the concept tokens' weight
    concepts = {n: c for n, c in contrib.items() if c > 0 and all(p.startswith("_c_") for p in n.split())}
    named = [term for term in terms if term.startswith("[")]
    assert concepts and len(named) == 1 and named[0].startswith("[Turkey + ")  # Turkish soldiers first
    value = {named[0]: sum(concepts.values())}
    words = {n: c for n, c in contrib.items() if "_c_" not in n}  # the words are named as such
    value |= {term: words[term] for term in terms if term not in value}
    assert all(value[term] > 0 for term in terms)
    assert [value[term] for term in terms] == sorted(value.values(), reverse=True)
    best_rest = max((c for n, c in words.items() if n not in terms), default=0.0)
    assert min(value[term] for term in terms) >= best_rest
    assert all(word in normalise(ON_TOPIC) for term in terms if term not in named for word in term.split())
    assert model.score([ON_TOPIC], explain=False)[0]["turkey_russia_syria"].terms == ()


@pytest.mark.parametrize("text", [
    "Russian jets destroy a training camp in Syria",
    "Турецкие военные ответили на обстрел в Идлибе",
    "Rus uçakları İdlib'de muhaliflerin mevzilerini vurdu",
    "غارات روسية على ريف إدلب الجنوبي",
])
def test_no_explanation_names_a_concept_token(model: Classifier, text: str) -> None:
    """A sentence's concept tokens follow its last word, so the word model also holds pairs
    of that word with a token ("syria _c_russia"): they weigh in, but a reader is shown words."""
    x = model.features.transform([text])
    names = model.features.names
    assert any("_c_" in names[j] and " " in names[j] for j in x.indices if j < model.features.n_word)
    scored = model.score([text], n_terms=20)[0]
    terms = [term for topic in model.topics for term in scored[topic].terms]
    assert terms and not [term for term in terms if "_c_" in term]
    # ...but the actors and places it names are, in words a reader of any language reads
    assert "Turkey" in scored["turkey_russia_syria"].terms[0] or "Russia" in scored["turkey_russia_syria"].terms[0]


def test_spelling_variants_score_alike(model: Classifier) -> None:
    plain = model.score([ON_TOPIC])[0]["turkey_russia_syria"].score
    accented = model.score([ON_TOPIC.replace("Erdogan", "Erdoğan").replace("Idlib", "Idleb")])
    assert accented[0]["turkey_russia_syria"].score == pytest.approx(plain, abs=0.1)


# Headlines as feeds carry them, none of them in the training data (issue 13: the first two
# scored 0.06 and 0.44 on main; on topic by models/topics.md).
HEADLINES_ON = ["Turkish troops return fire after Syrian army shelling kills soldier",
                "Erdogan and Putin discuss Syria truce in phone call"]
HEADLINES_OFF = ["Putin and Erdogan open TurkStream gas pipeline",
                 "Turkey hits PKK targets in northern Iraq",
                 "Russian strikes hit Kharkiv power plant",
                 "Syrian government barrel bombs kill 12 in Daraa"]


# The 2023 earthquake's news names Turkey, Russia (its rescuers, its condolences) and Syria
# together, about the disaster: off topic by models/topics.md. Strikes on the quake zone and
# talks held in its shadow stay on topic. Written for this test, none in the training data;
# the model before the quake kinds (models/fragments/zt_*.txt) scored the off-topic four
# 0.86, 0.98, 0.95 and 0.89. Turkish headlines of the kind still reach the threshold
# (HISTORY.md, "The 2023 earthquake").
QUAKE_OFF = ["Putin offers Erdogan help after earthquake kills thousands in Turkey and Syria",
             "Earthquake death toll in Turkey and Syria passes 20,000 as Russian teams join search",
             "Путин выразил соболезнования Эрдогану и Асаду в связи с землетрясением",
             "Число погибших при землетрясении в Турции и Сирии превысило 20 тысяч, российские "
             "спасатели продолжают поиски"]
QUAKE_ON = ["Russian jets strike quake-hit Idlib villages as rescuers dig through rubble",
            "Deprem bölgesindeki İdlib'de Rus uçakları sivilleri vurdu, Ankara Moskova'yı uyardı",
            "Российская авиация нанесла удары по Идлибу, пострадавшему от землетрясения; Анкара "
            "выразила протест",
            "طائرات روسية تقصف قرى منكوبة بالزلزال في ريف إدلب وأنقرة تحتج"]


# Syrian fighters in Turkey's and Russia's other wars (Libya, Karabakh: off topic by
# topics.md) name the three actors as an escalation does; talks on Syria that take Libya
# along stay on topic. Written for this test, none in the training data; the model before
# the kinds of models/fragments/zv_*.txt scored the off-topic four 0.92, 0.96, 0.98, 0.98.
ABROAD_OFF = ["Russia says Turkey sent Syrian mercenaries to fight in Nagorno-Karabakh",
              "Turkey sends Syrian fighters to Libya as Russia's Wagner backs Haftar",
              "Moskova, Ankara'yı Suriyeli savaşçıları Libya'ya taşımakla suçladı",
              "Москва обвинила Анкару в отправке сирийских наемников в Ливию"]
ABROAD_ON = ["Erdogan, Putin discuss Idlib ceasefire and Libya in phone call",
             "Turkey and Russia, at odds in Libya, agree joint patrols on Syria's M4 highway",
             "Erdoğan ile Putin telefonda Suriye ve Libya'yı görüştü",
             "Российско-турецкие консультации в Анкаре: Идлиб и Ливия"]


# Headlines of the Astana rounds on Syria name no actor; Astana and Sochi are also a capital
# and a resort with news of their own. Written for this test, none in the training data; the
# model before the kinds of models/fragments/zy_xx.txt scored the on-topic three 0.07, 0.18
# and 0.21.
ROUNDS_ON = ["В Астане стартовал новый раунд переговоров по сирийскому урегулированию",
             "Suriye konulu Astana görüşmelerinin 20. turu tamamlandı",
             "اختتام الجولة العشرين من محادثات أستانا بشأن سوريا"]
ROUNDS_OFF = ["Astana hosts Central Asia summit with China's Xi", "Сочи принял этап Формулы-1",
              "Astana'da Türk Devletleri Teşkilatı toplantısı yapıldı"]


# Since Assad's fall, Russia's bases and Turkey's and Russia's dealings with the new Damascus
# are the topic's (topics.md); the new Syria's own news, and its trade, are not. Written for
# this test, none in the training data; the model before the kinds of
# models/fragments/zz_*.txt and the newgov concept scored the on-topic five 0.34, 0.17, 0.07,
# 0.19 and 0.25.
AFTER_ON = ["Russian warships leave Tartus as Damascus reviews naval base lease",
            "Şara, Ankara'da Erdoğan ile savunma işbirliğini görüştü",
            "Российские военные корабли покидают Тартус", "سفن حربية روسية تغادر ميناء طرطوس",
            "Шараа и Путин провели телефонный разговор",
            # ... and with the new government described, not named (its forms in `newgov` since
            # model 84272f7e37fb): 0.33, 0.38, 0.65 and 0.44 before them
            "Putin receives Syria's interim president in the Kremlin",
            "Putin, Suriye'nin geçiş dönemi cumhurbaşkanı ile Kremlin'de görüştü",
            "Новые власти Сирии ведут переговоры с Москвой о судьбе российских баз",
            "الرئيس السوري الانتقالي يلتقي بوتين في موسكو"]
AFTER_OFF = ["Syria's new government sets date for parliamentary vote",
             "Israeli drone strike kills two in Quneitra countryside",
             "Россия поставит в Сирию крупную партию пшеницы", "Suriye'de yeni banknotlar tedavüle girdi",
             "السوريون العائدون من لبنان يتجاوزون نصف مليون"]
# Told in plain words, without Idlib, Hmeimim or Tartus (models/fragments/zzz_*.txt); 0.36,
# 0.31, 0.31, 0.66 and 0.64 before them. The look-alikes name Russia and Syria or Turkey.
PLAIN_ON = ["Rusya, Suriye'deki üslerinden askeri teçhizat çekiyor",
            "Russia pulls aircraft and air defences out of its Syrian bases",
            "Падение Асада лишило Москву главного союзника на Ближнем Востоке",
            "طائرات روسية تقصف مناطق المعارضة شمال غربي سوريا",
            "Esad'ın düşüşü Moskova'nın Ortadoğu'daki etkisine darbe vurdu"]
PLAIN_OFF = ["Россия заблокировала в СБ ООН резолюцию о гуманитарной помощи Сирии",
             "Rebels in southern Syria hand over heavy weapons under Russian-brokered deal",
             "Россия откроет военно-морскую базу в Судане",
             "مقتل جنود أتراك بهجوم لحزب العمال الكردستاني شمال العراق",
             "Dera'da muhalifler Rusya'nın arabuluculuğuyla silah teslim etti",
             # Russian warplanes far from Syria (models/fragments/zzzz_xx.txt): 0.71 before.
             "Rus savaş uçakları Estonya hava sahasını ihlal etti"]
# The Russia-Ukraine war told in the Syrian war's words (the `ukraine` concept of
# models/concepts.toml): 0.66, 0.69, 0.50 and 0.49 before it. Calls that take Syria along stay on
# topic. Written for this test, none in the training data.
UKRAINE_OFF = ["غارات روسية على مستشفى في خاركيف تقتل 5 مدنيين",
               "Erdogan calls Putin after Russian missile hits Odesa",
               "Russian warplanes bomb residential areas in Kherson as offensive resumes",
               "Rus savaş uçakları Harkov'da sivil yerleşim yerlerini bombaladı",
               # The Black Sea grain deal, named without Ukraine: 0.64, and 0.70 under the
               # concept before the deal's names joined it.
               "Erdoğan ve Putin tahıl koridorunu görüştü"]
UKRAINE_ON = ["Erdogan and Putin discuss Syria's Idlib and Ukraine in phone call",
              "Путин и Эрдоган обсудили по телефону ситуацию в Идлибе и на Украине",
              "أردوغان وبوتين يبحثان الوضع في إدلب وأوكرانيا هاتفيا"]

# North-west Syria named as a region (the northwest concept's "north west syria", "suriyenin
# kuzeybatısı", "северо западу сирии", "الشمال الغربي السوري"): 0.54 and 0.43 before those forms
# joined it. Its look-alikes are the region's other news, and the north-west of Turkey and
# Russia, which the forms leave out ("northwest" alone: an AG News story from a city
# "northwest of Moscow" scored 0.94). Written for this test, none in the training data.
NORTHWEST_ON = ["Russian airstrike on rebel-held north-west Syria kills family of five",
                "Russian airstrike kills five in rebel-held region of north-west Syria",
                "Rus uçakları Suriye'nin kuzeybatısında muhalif bölgeleri vurdu",
                "غارات روسية تستهدف الشمال الغربي السوري"]
NORTHWEST_OFF = ["Heavy snow hits displacement camps in northwest Syria",
                 "US strike kills al-Qaeda leader in northwest Syria",
                 "Syrian army shells rebel-held villages in northwest Syria, monitor says",
                 "An industrial town northwest of Moscow fights a measles outbreak",
                 "Kuzeybatı Türkiye'de sel felaketi",
                 "На северо-западе Сирии выпал снег"]


@pytest.mark.parametrize(("on", "off"), [(HEADLINES_ON, HEADLINES_OFF), (QUAKE_ON, QUAKE_OFF),
                                          (ABROAD_ON, ABROAD_OFF), (ROUNDS_ON, ROUNDS_OFF),
                                          (AFTER_ON, AFTER_OFF), (PLAIN_ON, PLAIN_OFF),
                                          (UKRAINE_ON, UKRAINE_OFF), (NORTHWEST_ON, NORTHWEST_OFF)],
                         ids=["headlines", "earthquake", "fighters-abroad", "astana-rounds", "after-assad",
                              "plain-words", "ukraine", "north-west"])
def test_short_items_reach_the_shipped_threshold_only_when_on_topic(
        model: Classifier, shipped_threshold: float, on: list[str], off: list[str]) -> None:
    """A bare headline naming the topic's actors, a strike in the quake zone, talks on Syria
    that take Libya along, a round of the Astana talks, Russia's and Turkey's dealings with
    Syria after Assad, Russia's bases and strikes in Syria in plain words, calls on Idlib
    that take Ukraine along and strikes on north-west Syria named as a region are judged on
    topic at the threshold settings.toml ships; their look-alikes of the lists above are not."""
    scores = [s["turkey_russia_syria"].score for s in model.score(on + off)]
    assert all(s >= shipped_threshold for s in scores[:len(on)]), scores
    assert all(s < shipped_threshold for s in scores[len(on):]), scores


def test_concept_lexicon_travels_in_the_model(model: Classifier) -> None:
    """Scoring tags concepts from the lexicon stored in the model file, not from
    models/concepts.toml: the same file scores the same wherever it is copied."""
    lexicon = dict(model.features.spec.concepts)
    assert "erdogan*" in lexicon["turkey"] and "putin*" in lexicon["russia"]
    tagged = model.features.prepare("Erdoğan met Putin in Sochi")
    assert tagged.endswith("_c_russia_turkey") and "_c_astana_turkey" in tagged


def test_require_refuses_a_missing_topic(model: Classifier) -> None:
    model.require(["turkey_russia_syria"])
    with pytest.raises(ModelError) as err:
        model.require(["turkey_russia_syria", "mars_landing"])
    message = str(err.value)
    assert "topics.skops" in message and "lacks topic 'mars_landing'" in message
    assert "turkey_russia_syria" in message and "\n" not in message


def test_model_file_reads_as_skops_reads_it_without_importing_scikit_learn() -> None:
    ours = _read_state(MODEL)
    theirs = sio.load(MODEL, trusted=TRUSTED)
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        if isinstance(value, np.ndarray):
            assert ours[key].dtype == value.dtype and np.array_equal(ours[key], value), key
        else:
            assert ours[key] == value, key
    names = _read_state(MODEL, as_lists=("word_names", "char_names"))  # read a slice at a time
    for key in ("word_names", "char_names"):
        assert names[key] == theirs[key].tolist() and len(names[key]) > 8192, key
    code = ("import sys; from pathlib import Path; from monitor.model.classify import Classifier; "
            f"Classifier.load(Path({str(MODEL)!r})).score(['Turkish troops entered Idlib.']); "
            "print(sorted(m for m in ('sklearn', 'skops') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_load_refuses_missing_garbage_and_unsafe_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        Classifier.load(tmp_path / "none.skops")
    garbage = tmp_path / "garbage.skops"
    garbage.write_bytes(b"not a zip at all")
    with pytest.raises(ModelError, match="garbage.skops"):
        Classifier.load(garbage)
    unsafe = tmp_path / "unsafe.skops"
    sio.dump(LogisticRegression(), unsafe)
    with pytest.raises(ModelError, match="untrusted types"):
        Classifier.load(unsafe)
    wrong = tmp_path / "wrong.skops"
    sio.dump({"metadata": json.dumps({"format": "other"})}, wrong,
             compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(ModelError, match="not a valid topic model"):
        Classifier.load(wrong)


def test_a_lazy_model_reads_its_weights_on_first_use_and_scores_the_same(model: Classifier,
                                                                         tmp_path: Path) -> None:
    lazy = Classifier.load_lazily(MODEL)
    assert (lazy.topics, lazy.version, lazy.source) == (model.topics, model.version, MODEL)
    assert lazy.path is not None and lazy.path.read_bytes() == MODEL.read_bytes()  # its copy
    lazy.require(["turkey_russia_syria"])
    assert lazy.suggested_threshold("turkey_russia_syria") == model.suggested_threshold("turkey_russia_syria")
    assert "features" not in vars(lazy)  # metadata only, so far
    assert lazy.score([ON_TOPIC, OFF_TOPIC]) == model.score([ON_TOPIC, OFF_TOPIC])
    assert "features" in vars(lazy) and np.array_equal(lazy.coef, model.coef)
    assert lazy.source == MODEL  # still named as the settings name it
    with pytest.raises(AttributeError):
        lazy.no_such_attribute  # noqa: B018
    garbage = tmp_path / "garbage.skops"  # refused up front, as an eager load refuses it
    garbage.write_bytes(b"not a zip at all")
    with pytest.raises(ModelError, match="garbage.skops"):
        Classifier.load_lazily(garbage)
    wrong = tmp_path / "wrong.skops"
    sio.dump({"metadata": json.dumps({"format": "other"})}, wrong, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(ModelError, match="not a valid topic model"):
        Classifier.load_lazily(wrong)


def test_passages_are_overlapping_sentence_pairs() -> None:
    lay = layout(["One. Two. Three.", "Only one"])
    assert lay.sentences == ["One.", "Two.", "Three.", "Only one"]
    assert lay.starts.tolist() == [0, 2, 3]
    assert lay.passages.toarray().tolist() == [[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    assert np.asarray(lay.docs.sum(axis=1)).ravel().tolist() == [3, 1]


def test_run_score_prints_verdicts_and_terms(make_settings, tmp_path: Path) -> None:
    from monitor.cli import analysis

    loaded = settings.load(make_settings({}, threshold=0.6))
    article = tmp_path / "article.txt"
    article.write_text(ON_TOPIC, encoding="utf-8")
    text, code = analysis.run_score(loaded, str(article), as_json=True)
    out = json.loads(text)["topics"]["turkey_russia_syria"]
    assert code == 0 and out["verdict"] == "alert" and out["threshold"] == 0.6
    assert len(out["terms"]) == 5
    text, _ = analysis.run_score(loaded, str(article))
    assert "turkey_russia_syria" in text and "alert" in text
    with pytest.raises(InputError, match="missing.txt"):
        analysis.run_score(loaded, str(tmp_path / "missing.txt"))
