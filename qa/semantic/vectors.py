"""Sentence vectors stored compactly: each unit vector as 8-bit integers and
one scale (vector ≈ codes × scale), 516 bytes a sentence instead of 2,048 for
float32, so a million take 492 MiB. The scale is each vector's own largest
component / 127, which keeps the rounding error of a cosine at 0.0003 on
average and under 0.002 (tests/semantic/test_vectors.py); measured on every question set of `make evaluate`,
the figures moved by at most 0.01 (docs/performance.md).

A similarity is computed block by block (int8 widened into one small float32
buffer a block at a time), so no float copy of all the vectors is ever made:
over 100,000 vectors 10 ms, against 8 ms for float32 vectors (a fresh array
per block instead of the one buffer took 110 ms: page faults).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Rows widened to float32 at a time: 4,096 × 512 floats is 8 MiB, which stays in cache
# (measured 256 to 32,768: 4,096 was fastest).
BLOCK = 4096


@dataclass(frozen=True)
class SentenceVectors:
    codes: np.ndarray  # int8, one row per sentence
    scales: np.ndarray  # float32, one per sentence
    # What made them: "" the encoder; else the name of the static model (static.py) that made
    # some of them (the rest the encoder's: both lie in the encoder's space).
    source: str = ""

    def __post_init__(self):
        if self.codes.ndim != 2 or self.codes.dtype != np.int8:
            raise ValueError(
                f"codes must be a 2-d int8 array, not {self.codes.dtype} of shape {self.codes.shape}"
            )
        if self.scales.shape != (len(self.codes),):
            raise ValueError(f"{len(self.scales)} scales for {len(self.codes)} vectors")

    @classmethod
    def quantize(cls, vectors: np.ndarray) -> SentenceVectors:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-d, not of shape {vectors.shape}")
        largest = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0, dtype=np.float32)
        scales = np.where(largest > 0, largest / 127, 1).astype(np.float32)
        codes = np.rint(vectors / scales[:, None]).astype(np.int8)
        return cls(codes, scales)

    @classmethod
    def empty(cls, dimensions: int) -> SentenceVectors:
        return cls(np.zeros((0, dimensions), dtype=np.int8), np.zeros(0, dtype=np.float32))

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def dimensions(self) -> int:
        return self.codes.shape[1]

    def rows(self, which: np.ndarray) -> SentenceVectors:
        """The vectors of some sentences (indices or a mask)."""
        return SentenceVectors(self.codes[which], self.scales[which], self.source)

    def append(self, other: SentenceVectors) -> SentenceVectors:
        return SentenceVectors(
            np.concatenate([self.codes, other.codes]), np.concatenate([self.scales, other.scales]),
            other.source or self.source,
        )

    def decoded(self, which=slice(None)) -> np.ndarray:
        """float32 vectors of some sentences (all by default)."""
        return self.codes[which].astype(np.float32) * self.scales[which, None]

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """The dot product of every sentence's vector with `vector` (a cosine
        when that is a unit vector too)."""
        vector = np.asarray(vector, dtype=np.float32)
        out = np.empty(len(self), dtype=np.float32)
        buffer = np.empty((min(BLOCK, len(self)), self.dimensions), dtype=np.float32)
        for start in range(0, len(self), BLOCK):
            codes = self.codes[start:start + BLOCK]
            widened = buffer[:len(codes)]
            np.copyto(widened, codes)
            out[start:start + len(codes)] = (widened @ vector) * self.scales[start:start + len(codes)]
        return out


@dataclass(frozen=True)
class JoinedVectors:
    """Read as one SentenceVectors: the vectors of some rows of a large set (the main index's live
    sentences, `rows`, all when None), then a small set's (a segment's new sentences). Nothing of
    the large set is copied."""

    main: SentenceVectors
    rows_of_main: np.ndarray | None
    added: SentenceVectors

    def __len__(self) -> int:
        return (len(self.main) if self.rows_of_main is None else len(self.rows_of_main)) + len(self.added)

    @property
    def dimensions(self) -> int:
        return self.main.dimensions

    @property
    def source(self) -> str:
        """The static model that made the vectors ("": the encoder); the added ones are
        made in the main's space (static.vectors_like)."""
        return self.main.source

    def _split(self, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(positions of `which` in the large set, their rows there, the small set's rows)."""
        which = np.arange(len(self))[which] if not isinstance(which, np.ndarray) or which.dtype == bool \
            else np.asarray(which, dtype=np.int64)
        first = len(self) - len(self.added)
        old = which < first
        rows = which[old] if self.rows_of_main is None else self.rows_of_main[which[old]]
        return old, rows, which[~old] - first

    def rows(self, which) -> SentenceVectors:
        old, main_rows, added_rows = self._split(which)
        codes = np.empty((len(old), self.dimensions), dtype=np.int8)
        scales = np.empty(len(old), dtype=np.float32)
        codes[old], scales[old] = self.main.codes[main_rows], self.main.scales[main_rows]
        codes[~old], scales[~old] = self.added.codes[added_rows], self.added.scales[added_rows]
        return SentenceVectors(codes, scales, self.source)

    def decoded(self, which=slice(None)) -> np.ndarray:
        return self.rows(which).decoded()

    @property
    def codes(self) -> np.ndarray:
        """Every vector's codes, copied into one array (not what serving reads: rows() does)."""
        return self.rows(np.arange(len(self))).codes

    @property
    def scales(self) -> np.ndarray:
        return self.rows(np.arange(len(self))).scales

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        main = self.main.similarities(vector)
        if self.rows_of_main is not None:
            main = main[self.rows_of_main]
        return np.concatenate([main, self.added.similarities(vector)])

    def append(self, other: SentenceVectors) -> JoinedVectors:
        return JoinedVectors(self.main, self.rows_of_main, self.added.append(other))
