"""The fast n-gram counter agrees with scikit-learn's CountVectorizer on the same vocabulary."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from sklearn.feature_extraction.text import CountVectorizer

from monitor.model import counting
from monitor.model.counting import Counter, char_grams, word_grams
from monitor.model.features import FeatureSpec, normalise, row_norms
from monitor.model.layout import sentences
from tests.articles import OFF_TOPIC, ON_TOPIC
from tests.conftest import MODEL

TEXTS = [f"{title}\n{text}" for title, text in ON_TOPIC + OFF_TOPIC] + [
    "Turkish-backed rebels, Russian (military) police: a-b c.d e_f 42 x",
    "Erdoğan's aides met Putin's; Şanlıurfa — Kobanî!", "", "   ", "a b",
]


def _sentences() -> list[str]:
    return [normalise(s) for text in TEXTS for s in sentences(text)]


def _reference(sents: list[str]) -> tuple[CountVectorizer, CountVectorizer]:
    """scikit-learn's own counting, with vocabularies learnt from half the sentences (so
    the other half has unknown words, pairs of known words that are not in the vocabulary,
    and known pairs)."""
    words = CountVectorizer(lowercase=False, ngram_range=(1, 2)).fit(sents[::2])
    chars = CountVectorizer(analyzer=lambda t: [g for w in t.split() for g in char_grams(w, 3, 5)])
    return words, chars.fit(sents[::2])


@pytest.mark.parametrize("cache", [200_000, 7])  # 7: the memo starts afresh mid-way
def test_counts_equal_scikit_learn(monkeypatch, cache: int) -> None:
    monkeypatch.setattr(counting, "CACHE", cache)
    sents = _sentences()
    words, chars = _reference(sents)
    counter = Counter(dict(words.vocabulary_), (1, 2), dict(chars.vocabulary_), (3, 5))
    for batch in (sents[:5], sents, sents[3:9], []):  # words seen before and new ones
        got_words, got_chars = counter.count(batch)
        # duplicates are left as separate entries of 1; a dense view sums them
        assert np.array_equal(got_words.toarray(), words.transform(batch).toarray())
        assert np.array_equal(got_chars.toarray(), chars.transform(batch).toarray())


def test_a_pair_is_counted_only_within_a_sentence_and_between_adjacent_tokens() -> None:
    vocab = {"russian": 0, "troops": 1, "russian troops": 2}
    counter = Counter(vocab, (1, 2), {}, (3, 5))
    got, chars = counter.count(["russian troops", "russian xyzzy troops", "russian", "troops"])
    assert got.toarray().tolist() == [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 1, 0]]
    assert chars.shape == (4, 0)


def test_word_grams_are_scikit_learns_within_one_sentence() -> None:
    analyse = CountVectorizer(lowercase=False, ngram_range=(1, 2)).build_analyzer()
    for sent in _sentences():
        assert sorted(word_grams(sent, 1, 2)) == sorted(analyse(sent))
    # training gives the vocabulary learner a document as its sentences, one a line
    learn = FeatureSpec().word_vectorizer().build_analyzer()
    assert learn("turkish troops\nthe idlib") == ["turkish", "troops", "turkish troops",
                                                  "the", "idlib", "the idlib"]


def test_word_ngrams_other_than_one_or_two_are_refused() -> None:
    with pytest.raises(ValueError, match="word n-grams"):
        Counter({"a b c": 0}, (1, 3), {}, (3, 5))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=6),
              elements=st.sampled_from([0.0, 0.0, 1.0, 2.5, 3.0])))
def test_row_lengths_match_dense_norms_with_empty_rows_anywhere(dense: np.ndarray) -> None:
    # Rows are summed per run of entries (np.add.reduceat), which mishandles empty rows
    # unless guarded: first, middle and last empty rows, and no entries at all.
    x = sp.csr_matrix(dense)
    assert np.allclose(row_norms(x), np.linalg.norm(dense, axis=1))


def test_scoring_margins_equal_the_training_features_product() -> None:
    # Scoring divides each row's product by its length instead of building the normalised
    # matrix (Features.margins); training builds it (Features.blocks). Same numbers.
    from monitor.model.classify import Classifier
    from monitor.model.layout import layout

    clf = Classifier.load(MODEL)
    texts = [*TEXTS[:6], "", "Idlib", "x"]
    lay = layout(texts)
    words, doc, pas = clf.features.margins(lay, clf._block_coef)
    blocks = clf.features.blocks(lay)
    assert np.allclose(doc, sum(x @ w for (x, _), w in zip(blocks, clf._block_coef, strict=True)))
    assert np.allclose(pas, sum(p @ w for (_, p), w in zip(blocks, clf._block_coef, strict=True)))
    assert (words != blocks[0][0]).nnz == 0


def test_the_memo_of_long_words_stays_bounded_and_changes_no_count() -> None:
    # A feed's words are as long as it makes them. 20,000-character words of the topic's
    # letters held ~38,000 ids each, and the memo started afresh only after 50,000 words:
    # ~8 GB. Now it starts afresh past CACHE_CHARS or CACHE_IDS as well.
    from monitor.model.classify import Classifier

    counter = Classifier.load(MODEL).features.counter
    fresh = Classifier.load(MODEL).features.counter
    rng = np.random.default_rng(0)
    parts = np.array(["idlib", "russia", "turkey", "syria", "ankara"])
    most = 0
    for i in range(150):
        word = "".join(rng.choice(parts, 4000))[:20_000]
        batch = [f"headline {i}", f"{word} and troops"]
        got = counter.count(batch)
        most = max(most, counter._char_ids.used + counter._token_ids.used)
        if i % 50 == 0:  # the memo's counts are a fresh counter's
            want = fresh.count(batch)
            fresh._forget()
            assert all((g != w).nnz == 0 for g, w in zip(got, want, strict=True))
    # ~16 MB of ids, and one such item's (~40,000) added after the check
    assert most <= 4_000_000 + 60_000
    assert sum(map(len, counter._words)) <= 2_000_000 + 20_100
