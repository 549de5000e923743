"""What the stages after the index read of it: the seam between the index
(bm25.BM25Index in this process, cluster.ClusterIndex on a search cluster)
and the question pipeline, which is the same code over either."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from .bm25 import QueryTerm, TermScores


@runtime_checkable
class Index(Protocol):
    """A BM25 index over the sentences, numbered as the sentence table numbers them."""

    doc_len: np.ndarray  # each sentence's length as BM25 counts it (its words, not the compound parts)
    vocabulary: Mapping[str, int]  # the index terms (of this process's analysis)

    def parts(self, query: Sequence[QueryTerm]) -> list[TermScores]:
        """Each query term's part (its sentences and their scores), in query order."""
        ...

    def covering(self, parts: Sequence[TermScores], sentences: np.ndarray) -> list[TermScores]:
        """The parts, complete over `sentences` too."""
        ...

    def top(self, parts: Sequence[TermScores], k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The k best sentences and their scores, best first."""
        ...

    def scores_of(self, parts: Sequence[TermScores], sentences: np.ndarray) -> np.ndarray:
        """The scores of some sentences (ascending ids)."""
        ...

    def idf_of(self, df: int) -> float:
        """The idf of a term in `df` sentences."""
        ...
