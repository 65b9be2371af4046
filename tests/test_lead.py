"""A long text's lead blended into its score (monitor/model/lead.py; texts written here)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from monitor.errors import ModelError
from monitor.model.classify import Classifier
from monitor.model.features import calibrated, length_of
from monitor.model.layout import layout
from monitor.model.lead import LEAD_WORDS, Lead, blend, lead_count, lead_of
from monitor.model.modelfile import read_state

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "topics.skops"

HEADLINE = "Russian jets pound rebel-held Idlib as Turkey sends reinforcements"
LEAD = ("Russian and Syrian government warplanes struck towns across Idlib province on Tuesday, "
        "rescuers said, as Turkish army convoys crossed the border to reinforce observation posts "
        "that Ankara says it will not abandon. Moscow said its aircraft hit militants who had "
        "shelled its Hmeimim air base.")
BACKGROUND = ("Aid groups say the province holds about three million people, many of them displaced "
              "more than once. Winter temperatures have fallen below freezing in the camps. The United "
              "Nations has appealed for more funding for shelter, food and medical care. Schools in "
              "several districts have closed. Prices of bread and fuel have risen sharply this month.")
ARTICLE = f"{HEADLINE}\n{LEAD}\n{BACKGROUND}"


@pytest.fixture(scope="module")
def model() -> Classifier:
    return Classifier.load(MODEL)


def unblended(model: Classifier, texts: list[str]) -> np.ndarray:
    return calibrated(model.margins(texts)[1], length_of(texts), model.calib)


def test_the_lead_is_the_first_sentences_holding_enough_words() -> None:
    assert lead_of(ARTICLE) == "\n".join([HEADLINE, *LEAD.replace(". ", ".\n").split("\n")])
    assert len(lead_of(ARTICLE).split()) >= LEAD_WORDS
    assert lead_of(f"{HEADLINE}\n{LEAD}") is None  # a feed item: its lead is all of it
    assert lead_of(HEADLINE) is None and lead_of("") is None
    long_first = " ".join(["word"] * 80) + ". Second sentence. Third sentence."
    assert lead_of(long_first) == " ".join(["word"] * 80) + ".\nSecond sentence."  # two at least
    assert lead_count(["a b c", "d e f", "g"], 6) == 2 and lead_count(["a b c", "d e f"], 6) == 0


def test_a_lead_is_one_more_document_of_its_texts_sentences() -> None:
    lay = layout([HEADLINE, ARTICLE, "Only one"], LEAD_WORDS)
    assert lay.leads.tolist() == [1]
    assert lay.sentences == layout([HEADLINE, ARTICLE, "Only one"]).sentences  # counted once
    docs = lay.docs.toarray()
    assert docs.shape == (4, len(lay.sentences))
    n = len(lead_of(ARTICLE).split("\n"))
    assert docs[3].tolist() == [0] + [1] * n + [0] * (len(lay.sentences) - n - 1)
    assert lay.starts.tolist()[-2:][1] - lay.starts.tolist()[-2] == n - 1  # its own passages


def test_blend_moves_only_the_given_rows_up_more_than_down() -> None:
    probs = np.array([[0.2, 0.4], [0.9, 0.1], [0.5, 0.5]])
    lead = Lead(raise_=0.5, lower=0.25)
    out = blend(probs, [0, 2], np.array([[1.0, 0.0], [0.0, 1.0]]), lead)
    assert out == pytest.approx(np.array([[0.6, 0.3], [0.9, 0.1], [0.375, 0.75]]))
    assert probs[0, 0] == 0.2  # not changed in place
    assert blend(probs, [], np.empty((0, 2)), lead) == pytest.approx(probs)


def test_the_shipped_model_blends_a_long_text_with_its_lead(model: Classifier) -> None:
    assert model.lead == Lead() and 0 < model.lead.lower < model.lead.raise_ < 1
    texts = [ARTICLE, f"{HEADLINE}\n{LEAD}", HEADLINE]
    scored = np.array([[s[t].score for t in model.topics] for s in model.score(texts)])
    plain = unblended(model, texts)
    lead = unblended(model, [lead_of(ARTICLE)])[0]
    gap = lead - plain[0]
    assert scored[0] == pytest.approx(plain[0] + np.where(gap > 0, model.lead.raise_, model.lead.lower) * gap)
    assert scored[1:] == pytest.approx(plain[1:])  # as long as their leads: scored as before
    assert not np.allclose(scored[0], plain[0])


def test_a_model_trained_before_leads_counted_scores_without_them(model: Classifier) -> None:
    meta = {k: v for k, v in model.metadata.items() if k != "lead"}
    old = Classifier(model.features, model.coef, model.intercept, model.calib, meta)
    assert old.lead is None and old.lead_parts(ARTICLE) is None
    scored = [s["turkey_russia_syria"].score for s in old.score([ARTICLE])]
    t = model.topics.index("turkey_russia_syria")
    assert scored == pytest.approx([unblended(model, [ARTICLE])[0, t]])


@pytest.mark.parametrize("lead", [{"raise": 1.5, "lower": 0.2, "words": 50},
                                  {"raise": 0.5, "lower": -0.1, "words": 50},
                                  {"raise": 0.5, "lower": 0.2, "words": 0},
                                  {"raise": "much", "lower": 0.2, "words": 50}, {"raise": 0.5}, "half"])
def test_a_model_file_with_a_bad_lead_is_refused(tmp_path: Path, lead: object) -> None:
    state = read_state(MODEL)
    meta = json.loads(str(state["metadata"]))
    state["metadata"] = json.dumps(meta | {"lead": lead})
    bad = tmp_path / "bad.skops"
    sio.dump(state, bad, compression=zipfile.ZIP_DEFLATED)
    for load in (Classifier.load, Classifier.load_lazily):
        with pytest.raises(ModelError, match=r"bad\.skops: not a valid topic model: .*"):
            load(bad)


def test_monitor_score_says_what_the_lead_did(make_settings, tmp_path: Path, model: Classifier) -> None:
    from monitor import settings
    from monitor.cli import analysis

    loaded = settings.load(make_settings({}, threshold=0.58))
    article, item = tmp_path / "article.txt", tmp_path / "item.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    item.write_text(f"{HEADLINE}\n{LEAD}", encoding="utf-8")
    out = json.loads(analysis.run_score(loaded, str(article), as_json=True)[0])["topics"]["turkey_russia_syria"]
    t = model.topics.index("turkey_russia_syria")
    lead, whole = unblended(model, [lead_of(ARTICLE), ARTICLE])[:, t]
    assert out["lead"] == {"score": round(lead, 4), "whole_alone": round(whole, 4),
                           "sentences": len(lead_of(ARTICLE).splitlines())}
    assert min(lead, whole) - 1e-4 <= out["score"] <= max(lead, whole) + 1e-4  # rounded to 4 places
    text, _ = analysis.run_score(loaded, str(article))
    assert f"lead (first {out['lead']['sentences']} sentences) {lead:.3f}, the whole text alone {whole:.3f}" in text
    short = json.loads(analysis.run_score(loaded, str(item), as_json=True)[0])["topics"]["turkey_russia_syria"]
    assert "lead" not in short and "lead (first" not in analysis.run_score(loaded, str(item))[0]


DILUTED = ("Dozens dead as warplanes pound rebel-held north Syria\n"
           "Syrian and Russian warplanes launched a wave of air strikes on rebel-held areas of Idlib "
           "province on Tuesday, killing dozens of people, a monitor said.\n"
           "The siege of eastern Aleppo has lasted for months and aid agencies say food is running out. "
           "Islamic State still holds Raqqa in the east, where the United States leads a coalition "
           "against the group. Talks in Geneva have stalled for weeks. The opposition says it will not "
           "negotiate under bombardment. The United Nations says more than 300,000 people have been "
           "killed since 2011. Half the population has fled their homes. Winter is approaching and fuel "
           "prices have soared. Aid convoys have been blocked at checkpoints for weeks.")


def test_a_lead_that_raised_the_score_is_named_first_among_the_terms(model: Classifier) -> None:
    t = model.topics.index("turkey_russia_syria")
    lead, whole = unblended(model, [lead_of(DILUTED), DILUTED])[:, t]
    assert lead >= whole + 0.05  # the wire copy's subject is in its lead, diluted after it
    scored = model.score([DILUTED, ARTICLE, HEADLINE])
    terms = scored[0]["turkey_russia_syria"].terms
    assert terms[0] == f"[lead {lead:.2f}]" and len(terms) == 5 and "[lead" not in " ".join(terms[1:])
    for other in scored[1:]:  # a lead no stronger than its text, or no lead of its own
        assert not any(term.startswith("[lead") for term in other["turkey_russia_syria"].terms)
    assert model.score([DILUTED], explain=False)[0]["turkey_russia_syria"].terms == ()
