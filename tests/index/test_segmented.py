"""The main index, tombstones and a segment read as one index: its numbering, statistics and scores
are a rebuild's over the same sentences (kept ones in order, then the new), for adds, replaces
and deletes."""
import random

import numpy as np
import pytest

from qa.index.base import Index
from qa.index.bm25 import DENSE_SHARE, BM25Index, QueryTerm
from qa.index.segmented import SegmentedIndex, Tombstones


def articles(n, rng, words, weights, prefix="d"):
    """n articles of 3-12 sentences of 3-20 Zipf-drawn words."""
    return {f"{prefix}{i}": [rng.choices(words, weights, k=rng.randint(3, 20))
                             for _ in range(rng.randint(3, 12))] for i in range(n)}


def segmented(main_docs, removed, new_docs):
    """(the SegmentedIndex of main_docs with `removed` ids tombstoned and new_docs added, the rebuild)."""
    order = list(main_docs)
    sentences = [s for d in order for s in main_docs[d]]
    main = BM25Index(sentences)
    ranges, first = [], 0
    for d in order:
        if d in removed:
            ranges.append((first, first + len(main_docs[d])))
        first += len(main_docs[d])
    new = [s for d in new_docs.values() for s in d]
    index = SegmentedIndex(main, Tombstones(ranges, main.N), BM25Index(new))
    kept = [s for d in order if d not in removed for s in main_docs[d]]
    return index, BM25Index(kept + new)


def queries(rng, words, n=60):
    """Plain terms, synonym sets and weighted terms, frequent and rare words, and words no one has."""
    out = []
    for _ in range(n):
        query = []
        for _ in range(rng.randint(1, 5)):
            kind = rng.random()
            if kind < 0.6:
                query.append(QueryTerm((rng.choice(words),)))
            elif kind < 0.8:
                query.append(QueryTerm(tuple(rng.sample(words, rng.randint(2, 4)))))
            elif kind < 0.95:
                query.append(QueryTerm((rng.choice(words[:20]),), weight=0.5))
            else:
                query.append(QueryTerm(("unheard-of",)))
        out.append(query)
    return out


def assert_same(index, rebuilt, query, k=10):
    parts, expected_parts = index.parts(query), rebuilt.parts(query)
    for part, expected in zip(parts, expected_parts, strict=True):
        assert part.occurs == expected.occurs
        assert part.df == len(expected.sentences)
        assert part.idf == pytest.approx(expected.idf, rel=1e-12, abs=1e-12)
    ids, scores = index.top(parts, k)
    expected_ids, expected_scores = rebuilt.top(expected_parts, k)
    assert np.allclose(scores, expected_scores, rtol=1e-12, atol=1e-12)
    # the same sentences, where no two scores tie at the cut
    assert list(ids) == list(expected_ids) or np.allclose(scores[-1:], scores[-2:-1])
    everyone = np.arange(index.N)
    covered = index.covering(parts, everyone)
    assert np.allclose(index.scores_of(covered, everyone), rebuilt.scores_of(expected_parts, everyone),
                       rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("change", ["add", "replace", "delete", "all three"])
def test_scores_and_numbering_equal_a_rebuild(change):
    rng = random.Random(11)
    words = [f"w{i}" for i in range(600)]
    weights = [1 / (i + 1) ** 1.05 for i in range(len(words))]
    main_docs = articles(300, rng, words, weights)
    removed, new_docs = set(), {}
    if change in ("add", "all three"):
        new_docs.update(articles(4, rng, words, weights, prefix="n"))
        new_docs["n0"][0] += ["only-in-the-new-article"]  # a term of the new article alone
        new_docs["n1"] += [[words[300], words[300], words[5]]] * 30  # a term whose df grows 30-fold
    if change in ("replace", "all three"):
        for d in ("d3", "d150", "d299"):
            removed.add(d)
            new_docs[d + "'"] = [s + ["replaced"] for s in main_docs[d][:2]]
    if change in ("delete", "all three"):
        removed |= {"d0", "d7", "d8", "d200"}
    index, rebuilt = segmented(main_docs, removed, new_docs)
    assert isinstance(index, Index)
    assert index.N == rebuilt.N and np.array_equal(index.doc_len, rebuilt.doc_len)
    assert index.avgdl == rebuilt.avgdl
    assert index.average_idf == pytest.approx(rebuilt.average_idf, rel=1e-12)
    assert index.idf_of(3) == pytest.approx(rebuilt.idf_of(3), rel=1e-12)
    assert any(len(c) for c in rebuilt._dense.values())  # frequent terms take the dense path
    for term in [*words, "only-in-the-new-article", "replaced", "unheard-of"]:
        assert (term in index.vocabulary) == (term in rebuilt.vocabulary), term
    for query in queries(rng, words):
        assert_same(index, rebuilt, query)
    assert_same(index, rebuilt, [QueryTerm(("only-in-the-new-article",))])
    assert_same(index, rebuilt, [QueryTerm((words[300],)), QueryTerm((words[0],))], k=50)
    assert_same(index, rebuilt, [QueryTerm((words[0],)), QueryTerm((words[1],))], k=1000)


def test_a_term_only_deleted_sentences_held_is_gone():
    docs = {"a": [["x", "common"], ["common"]], "b": [["common", "y"]], "c": [["common", "z"]]}
    index, rebuilt = segmented(docs, {"a"}, {})
    assert "x" not in index.vocabulary and "x" in BM25Index([["x"]]).vocabulary
    assert index.top(index.parts([QueryTerm(("x",))]))[0].size == 0
    assert_same(index, rebuilt, [QueryTerm(("common",)), QueryTerm(("x", "y"))])


def test_negative_idfs_and_a_tiny_collection():
    # terms in over half the sentences take rank-bm25's floor (epsilon times the mean idf), which
    # the change moves for every term; in a tiny collection the mean may be negative too
    docs = {"a": [["x", "y"], ["x"]], "b": [["x", "y", "z"]], "c": [["x", "z"], ["y"]]}
    for removed, new in [({"b"}, {"n": [["x"], ["x", "q"]]}), ({"a", "c"}, {}), (set(), {"n": [["y"]] * 5})]:
        index, rebuilt = segmented(docs, removed, new)
        for query in ([QueryTerm(("x",))], [QueryTerm(("y",)), QueryTerm(("x",))], [QueryTerm(("x", "z"))],
                      [QueryTerm(("q",)), QueryTerm(("y",), weight=0.5)]):
            assert_same(index, rebuilt, query, k=3)


def test_the_bounds_let_the_main_weights_choose_at_a_larger_size():
    # a collection where most of the top comes from the main's precomputed weights: the answer is
    # still exactly the rebuild's, dense columns and all
    rng = random.Random(5)
    words = [f"w{i}" for i in range(3000)]
    weights = [1 / (i + 1) ** 1.1 for i in range(len(words))]
    main_docs = articles(2000, rng, words, weights)
    index, rebuilt = segmented(main_docs, {"d10", "d11"}, articles(2, rng, words, weights, prefix="n"))
    assert max(len(c) for c in index.main._dense.values()) == index.main.N
    assert index.main.df.max() > DENSE_SHARE * index.main.N
    for query in queries(rng, words[:200], n=40):
        assert_same(index, rebuilt, query, k=100)


def test_tombstones_number_the_live_sentences():
    tombstones = Tombstones([(7, 9), (2, 4)], 12)
    live = np.flatnonzero(tombstones.live())
    assert live.tolist() == [0, 1, 4, 5, 6, 9, 10, 11] and len(tombstones) == 4
    assert tombstones.ids().tolist() == [2, 3, 7, 8]
    assert tombstones.to_merged(live).tolist() == list(range(8))
    assert tombstones.to_main(np.arange(8)).tolist() == live.tolist()
    assert tombstones.dead(np.arange(12)).tolist() == [not x for x in tombstones.live().tolist()]
