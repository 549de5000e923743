import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from qa.index.base import Index
from qa.index.bm25 import BM25Index, PostingsBitmap, QueryTerm, SetScores, top_k


def dense_scores(index, query):
    """Every sentence's score, as rank-bm25's get_scores gives them: `query` as
    words (a plain term each) or as QueryTerms."""
    terms = [t if isinstance(t, QueryTerm) else QueryTerm((t,)) for t in query]
    return index.scores_of(index.parts(terms), np.arange(index.N))


def random_corpus(n_sentences=3000, vocabulary=2000, seed=7):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocabulary)]
    weights = [1 / (i + 1) ** 1.1 for i in range(vocabulary)]  # Zipf-like
    return [rng.choices(words, weights, k=rng.randint(3, 25)) for _ in range(n_sentences)], words, rng


def test_scores_equal_rank_bm25_on_a_few_thousand_sentences():
    corpus, words, rng = random_corpus()
    reference = BM25Okapi(corpus)
    index = BM25Index(corpus)
    for _ in range(50):
        query = rng.sample(words[:300], rng.randint(1, 6)) + rng.sample(words, 1)
        expected = reference.get_scores(query)
        got = dense_scores(index, query)
        assert np.max(np.abs(expected - got)) <= 1e-9
        assert list(top_k(got, 10)) == list(np.lexsort((np.arange(len(expected)), -expected))[:10]) \
            or np.allclose(np.sort(expected)[::-1][:10], got[top_k(got, 10)])


def test_scores_equal_rank_bm25_on_the_seed_sentences(engine):
    corpus = [engine.analyzer.index_terms(s.text).terms for s in engine.sentences]
    index, reference = BM25Index(corpus), BM25Okapi(corpus)
    for question in ["formele melding", "wethouder Ivens afgetreden", "burgemeester Halsema"]:
        query = engine.analyzer.terms(question)
        assert np.array_equal(reference.get_scores(query), dense_scores(index, query))


def test_given_lengths_replace_the_term_counts_in_length_normalisation():
    # A sentence indexed under a compound's parts too scores as if it had its words only.
    # (x's idf is positive here, so it does not depend on the rest of the vocabulary)
    with_parts = BM25Index([["ab", "a", "b", "x"], ["y", "z"], ["x"], ["v"], ["w"]],
                           doc_lengths=[2, 2, 1, 1, 1])
    words_only = BM25Index([["ab", "x"], ["y", "z"], ["x"], ["v"], ["w"]])
    assert np.array_equal(dense_scores(with_parts, ["x"]), dense_scores(words_only, ["x"]))
    with pytest.raises(ValueError, match="3 sentences"):
        BM25Index([["a"], ["b"], ["c"]], doc_lengths=[1])


def test_synonym_set_counts_any_member_once_for_df():
    corpus = [["a", "x"], ["b", "x"], ["c"], ["d"], ["e"], ["f"]]
    index = BM25Index(corpus)
    (part,) = index.parts([QueryTerm(("a", "b"))])
    scores = dense_scores(index, [part.term])
    # df of {a, b} is 2: the idf is that of a term in 2 of 6 sentences.
    assert part.idf == pytest.approx(np.log(6 - 2 + 0.5) - np.log(2 + 0.5))
    assert list(part.sentences) == [0, 1]
    assert scores[0] == scores[1] > 0 and scores[2:].sum() == 0


def test_weight_scales_a_term_and_unknown_terms_score_nothing():
    corpus = [["a", "b"], ["b"], ["c"], ["d"]]
    index = BM25Index(corpus)
    full = dense_scores(index, [QueryTerm(("a",))])
    light = dense_scores(index, [QueryTerm(("a",), weight=0.5)])
    assert light[0] == pytest.approx(full[0] / 2)
    assert dense_scores(index, [QueryTerm(("zzz",))]).sum() == 0
    assert len(index.top(index.parts([QueryTerm(("zzz",))]))[0]) == 0


def test_top_k_orders_best_first_and_skips_zero():
    scores = np.array([0.0, 2.0, 5.0, 2.0, 0.0])
    assert list(top_k(scores, 10)) == [2, 1, 3]
    assert list(top_k(scores, 2)) == [2, 1]


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        BM25Index([["a"]], b=2)


def test_top_returns_the_same_top_k_as_dense_scoring():
    corpus, words, rng = random_corpus(n_sentences=4000)
    reference = BM25Okapi(corpus)
    index = BM25Index(corpus)
    for _ in range(60):
        query = rng.sample(words[:50], rng.randint(1, 4)) + rng.sample(words, rng.randint(0, 3))
        expected = reference.get_scores(query)
        ids, scores = index.top(index.parts([QueryTerm((t,)) for t in query]), k=10)
        assert list(ids) == list(top_k(expected, 10))
        assert np.array_equal(scores, expected[ids])


def test_top_with_synonym_sets_and_weights_matches_the_scores_of_every_sentence():
    corpus, words, rng = random_corpus(n_sentences=2000)
    index = BM25Index(corpus)
    for _ in range(30):
        query = [QueryTerm(tuple(rng.sample(words[:200], 3))), QueryTerm((rng.choice(words),), weight=0.3),
                 QueryTerm((rng.choice(words[:20]),))]
        dense = dense_scores(index, query)
        ids, scores = index.top(index.parts(query), k=5)
        assert list(ids) == list(top_k(dense, 5)) and np.array_equal(scores, dense[ids])


def test_saved_index_loads_with_the_same_scores(tmp_path):
    corpus, words, rng = random_corpus(n_sentences=500)
    index = BM25Index(corpus)
    np.savez(tmp_path / "index.npz", **index.arrays())
    with np.load(tmp_path / "index.npz", allow_pickle=False) as arrays:
        loaded = BM25Index.from_arrays(arrays)
        # an index saved without its dense columns (before they were saved) makes them
        older = BM25Index.from_arrays({k: arrays[k] for k in arrays.files if not k.startswith("dense_")})
    query = rng.sample(words[:100], 4)
    assert np.array_equal(dense_scores(index, query), dense_scores(loaded, query))
    assert loaded.terms == index.terms and loaded.N == index.N
    assert index._dense and sorted(loaded._dense) == sorted(older._dense) == sorted(index._dense)
    for c, column in index._dense.items():
        assert np.array_equal(loaded._dense[c], column) and np.array_equal(older._dense[c], column)
    frequent = [QueryTerm((index.terms[c],)) for c in index._dense]
    assert np.array_equal(loaded.top(loaded.parts(frequent), 10)[1], index.top(index.parts(frequent), 10)[1])


def test_an_updated_index_scores_as_one_built_from_scratch():
    corpus = [["wethouder", "treedt", "af"], ["burgemeester", "zegt", "niets"], ["wethouder", "weg"],
              ["raad", "debat", "wethouder"], ["raad", "zegt", "af"]]
    index = BM25Index(corpus)
    keep = np.array([True, False, True, True, False])
    added = [["nieuw", "debat", "wethouder", "wethouder"], ["raad", "nieuw"]]
    terms = sorted({t for s in added for t in s})
    ids = np.array([terms.index(t) for s in added for t in s])
    updated = index.updated(keep, ids, np.array([len(s) for s in added]), terms, np.array([4, 2]))
    scratch = BM25Index([s for s, k in zip(corpus, keep, strict=True) if k] + added)
    assert updated.N == scratch.N == 5
    assert sorted(updated.terms) == sorted(scratch.terms)  # "burgemeester", "zegt", "niets" are gone
    for query in (["wethouder"], ["raad", "nieuw"], ["af", "debat"], ["zegt"], ["nieuw", "wethouder", "weg"]):
        np.testing.assert_allclose(dense_scores(updated, query), dense_scores(scratch, query), rtol=1e-12)


def test_the_in_process_index_is_what_the_pipeline_reads():
    """Every member of the Index protocol (the cluster's index: test_cluster.py)."""
    assert isinstance(BM25Index([["a", "b"], ["b"]]), Index)


# MaxScore, lazily scored synonym sets and the long terms' dense columns (bm25.py's module doc).

def independent_scores(corpus, index, term):
    """A term's score in every sentence, from the corpus itself: members' tfs summed, rank-bm25's idf
    of the sentences holding any member, the weight applied last."""
    members = set(term.members)
    tf = np.array([sum(w in members for w in s) for s in corpus], dtype=np.float64)
    df = int(np.count_nonzero(tf))
    idf = index.idf_of(df) if df else 0.0
    lengths = np.array([len(s) for s in corpus], dtype=np.float64)
    norm = index.k1 * (1 - index.b + index.b * lengths / index.avgdl)
    return idf * (tf * (index.k1 + 1) / (tf + norm)) * term.weight


def test_a_set_of_frequent_terms_is_counted_on_bitsets_and_scored_where_asked():
    corpus, words, rng = random_corpus(n_sentences=3000)
    index = BM25Index(corpus)
    frequent = QueryTerm(tuple(words[:4]), weight=0.7)  # together in most sentences
    rare = QueryTerm(tuple(words[1500:1504]))
    mixed = QueryTerm((words[0], words[1600], words[1700]))  # one long member, two short ones
    long_part, short_part, mixed_part = index.parts([frequent, rare, mixed])
    assert isinstance(long_part, SetScores) and isinstance(mixed_part, SetScores)
    assert not isinstance(short_part, SetScores)  # the other side of LONG_SHARE: listed at once
    for term, part in ((frequent, long_part), (rare, short_part), (mixed, mixed_part)):
        expected = independent_scores(corpus, index, term)
        assert part.df is None or part.df == np.count_nonzero(expected)
        ids = np.array(sorted(rng.sample(range(index.N), 400)))
        assert np.allclose(part.at(ids), expected[ids], rtol=0, atol=1e-12)
        assert np.array_equal(part.sentences, np.flatnonzero(expected))
        assert np.array_equal(part.at(np.asarray(part.sentences)), part.scores)  # the same floats


def test_max_score_finds_every_sentence_s_top_on_both_sides_of_its_limits():
    corpus, words, rng = random_corpus(n_sentences=4000)
    index = BM25Index(corpus)
    paths = []
    for _ in range(120):
        query = [QueryTerm(tuple(rng.sample(words[:40], 4))),
                 QueryTerm(tuple(rng.sample(words[:400], rng.randint(1, 3)))),
                 QueryTerm((rng.choice(words),), weight=0.3),
                 QueryTerm((rng.choice(words[:rng.choice([20, 2000])]),))]
        parts = index.parts(query)
        live = [p for p in parts if p.size]
        paths.append(index._max_score_candidates(live, 10) is not None)
        ids, scores = index.top(parts, k=10)
        every_ids, every_scores = index.every_sentence(live, 10)
        assert np.array_equal(ids, every_ids) and np.array_equal(scores, every_scores)
        reference = sum(independent_scores(corpus, index, t) for t in query)
        assert list(ids) == list(top_k(reference, 10)) or np.allclose(scores, reference[ids], atol=1e-9)
    assert any(paths) and not all(paths)  # MaxScore's candidates, and every sentence scored


def test_a_bitmap_finds_each_sentence_s_place_in_the_postings():
    rng = np.random.default_rng(3)
    for N in (1, 63, 64, 65, 1000, 4099):
        postings = np.sort(rng.choice(N, size=rng.integers(1, N + 1), replace=False))
        bitmap = PostingsBitmap.of(postings, N)
        ids = np.arange(N)
        held, at = bitmap.find(ids)
        assert np.array_equal(ids[held], postings) and np.array_equal(at, np.arange(len(postings)))
        assert np.array_equal(PostingsBitmap.holds(bitmap.words, ids), held)


def test_a_long_term_repeated_in_a_sentence_keeps_its_tf():
    corpus = [["x"] * 300 + ["y"], ["x", "y"], ["y"]] + [["z", "y"]] * 40
    index = BM25Index(corpus)
    assert index._is_long(index.vocabulary["x"])  # read through its bitmap
    part = index.parts([QueryTerm(("x", "z"))])[0]
    expected = independent_scores(corpus, index, QueryTerm(("x", "z")))
    assert np.allclose(part.at(np.arange(index.N)), expected, rtol=0, atol=1e-12)
    assert index.union_size([index.vocabulary["x"], index.vocabulary["z"]]) == 42


def test_scores_of_sentences_in_any_order_and_repeated():
    corpus, words, rng = random_corpus(n_sentences=3000)
    index = BM25Index(corpus)
    query = [QueryTerm(tuple(words[:4])), QueryTerm((words[900],)), QueryTerm((words[2],), weight=0.3)]
    parts = index.parts(query)
    every = index.scores_of(parts, np.arange(index.N))
    for ids in (np.array([5, 5, 3, 2999, 0, 3]), rng.sample(range(index.N), 2500), np.arange(index.N)[::-1]):
        ids = np.asarray(ids)
        assert np.array_equal(index.scores_of(parts, ids), every[ids])
