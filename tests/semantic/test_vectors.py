"""Compact sentence vectors: int8 codes and a scale per vector."""
import numpy as np
import pytest

from qa.semantic.vectors import BLOCK, SentenceVectors


def unit_vectors(n, d=512, seed=0):
    v = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_cosines_of_quantized_vectors_stay_within_two_thousandths():
    vectors, queries = unit_vectors(2000), unit_vectors(20, seed=1)
    packed = SentenceVectors.quantize(vectors)
    errors = np.array([np.abs(packed.similarities(q) - vectors @ q) for q in queries])
    assert errors.max() < 2e-3 and errors.mean() < 5e-4


def test_a_million_vectors_take_under_512_mib():
    assert 1_000_000 * (512 + 4) < 512 * 2**20


def test_similarities_are_computed_block_by_block_the_same(monkeypatch):
    packed = SentenceVectors.quantize(unit_vectors(100))
    whole = packed.similarities(unit_vectors(1, seed=2)[0])
    monkeypatch.setattr("qa.semantic.vectors.BLOCK", 7)
    assert np.allclose(packed.similarities(unit_vectors(1, seed=2)[0]), whole, atol=1e-6)
    assert BLOCK > 7


def test_rows_append_and_decode():
    vectors = unit_vectors(10)
    packed = SentenceVectors.quantize(vectors)
    joined = packed.rows(np.arange(10) < 4).append(packed.rows(np.arange(4, 10)))
    assert np.array_equal(joined.codes, packed.codes) and np.array_equal(joined.scales, packed.scales)
    assert np.abs(packed.decoded() - vectors).max() < 0.01
    empty = SentenceVectors.empty(512)
    assert len(empty) == 0 and empty.similarities(vectors[0]).shape == (0,)


def test_a_zero_vector_and_bad_shapes():
    packed = SentenceVectors.quantize(np.zeros((1, 4), dtype=np.float32))
    assert packed.similarities(np.ones(4)).tolist() == [0.0]
    with pytest.raises(ValueError):
        SentenceVectors(np.zeros((2, 4), dtype=np.float32), np.ones(2, dtype=np.float32))
    with pytest.raises(ValueError):
        SentenceVectors(np.zeros((2, 4), dtype=np.int8), np.ones(3, dtype=np.float32))
