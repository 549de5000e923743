"""Stage 4: a BM25 index over sentences.

Scores follow rank-bm25's BM25Okapi exactly (same k1, b, epsilon, idf with
the epsilon floor, float64 arithmetic in the same order), which a test checks.
Two additions that BM25Okapi lacks, both reducing to it in the plain case:

* a query term may be a *synonym set* (Pirkola's structured query): its
  members' term frequencies are summed per sentence and its document
  frequency counts the sentences holding any member; a set of one term is an
  ordinary BM25 term;
* each query term carries a weight (1.0 is plain BM25), so that terms taken
  from earlier turns of a conversation count less than the question's own.

The term frequencies live in a sparse sentence x term matrix (CSC), so a query
touches only its own terms' postings.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class QueryTerm:
    """One query term: a synonym set of index terms, with a weight."""

    members: tuple[str, ...]
    weight: float = 1.0
    label: str = ""  # what the user wrote, for debugging output
    # False for a word we could not translate: its absence from the sources
    # says nothing about whether they answer the question.
    known: bool = True


@dataclass(frozen=True)
class TermScores:
    """The contribution of one query term to the sentences that contain it."""

    term: QueryTerm
    idf: float
    sentences: np.ndarray  # sentence ids, ascending
    scores: np.ndarray  # weight * BM25 contribution, same order


class BM25Index:
    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75,
                 epsilon: float = 0.25):
        if k1 < 0 or not 0 <= b <= 1 or epsilon < 0:
            raise ValueError("need k1 >= 0, 0 <= b <= 1 and epsilon >= 0")
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self.N = len(corpus)
        self.vocabulary: dict[str, int] = {}
        rows, cols = [], []
        for sentence_id, terms in enumerate(corpus):
            for term in terms:
                rows.append(sentence_id)
                cols.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
        ones = np.ones(len(rows), dtype=np.float64)
        # Duplicate (row, col) pairs are summed on conversion: that is the tf.
        self.tf = sparse.csc_matrix((ones, (rows, cols)), shape=(self.N, len(self.vocabulary)))
        self.tf.sum_duplicates()
        self.doc_len = np.array([len(terms) for terms in corpus], dtype=np.float64)
        self.avgdl = float(self.doc_len.sum() / self.N) if self.N else 0.0
        self.df = np.diff(self.tf.indptr)
        # rank-bm25's idf: ln(N - df + 0.5) - ln(df + 0.5), and terms whose idf
        # would be negative get epsilon * mean idf instead.
        idf = np.array([math.log(self.N - df + 0.5) - math.log(df + 0.5) for df in self.df])
        self.average_idf = float(sum(idf.tolist()) / len(idf)) if len(idf) else 0.0
        self.idf = np.where(idf < 0, self.epsilon * self.average_idf, idf)
        # The length normalisation of each sentence, computed once.
        self._norm = self.k1 * (1 - self.b + self.b * self.doc_len / self.avgdl) if self.N else self.doc_len

    def idf_of(self, df: int) -> float:
        idf = math.log(self.N - df + 0.5) - math.log(df + 0.5)
        return self.epsilon * self.average_idf if idf < 0 else idf

    def postings(self, members: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(sentence ids, summed term frequencies) of the sentences holding any member."""
        columns = sorted({self.vocabulary[m] for m in members if m in self.vocabulary})
        if not columns:
            return np.empty(0, dtype=np.int64), np.empty(0)
        if len(columns) == 1:
            c = columns[0]
            lo, hi = self.tf.indptr[c], self.tf.indptr[c + 1]
            return self.tf.indices[lo:hi].astype(np.int64), self.tf.data[lo:hi]
        ids = np.concatenate([self.tf.indices[self.tf.indptr[c]:self.tf.indptr[c + 1]] for c in columns])
        tfs = np.concatenate([self.tf.data[self.tf.indptr[c]:self.tf.indptr[c + 1]] for c in columns])
        unique, inverse = np.unique(ids, return_inverse=True)
        return unique.astype(np.int64), np.bincount(inverse, weights=tfs)

    def score_term(self, term: QueryTerm) -> TermScores:
        sentences, tf = self.postings(term.members)
        if len(term.members) == 1 and term.members[0] in self.vocabulary:
            idf = float(self.idf[self.vocabulary[term.members[0]]])
        else:
            idf = self.idf_of(len(sentences)) if len(sentences) else 0.0
        scores = idf * (tf * (self.k1 + 1) / (tf + self._norm[sentences]))
        if term.weight != 1.0:
            scores = scores * term.weight
        return TermScores(term, idf, sentences, scores)

    def score(self, query: Sequence[QueryTerm]) -> tuple[np.ndarray, list[TermScores]]:
        """Dense scores over all sentences, and each query term's part."""
        total = np.zeros(self.N)
        parts = []
        for term in query:
            part = self.score_term(term)
            total[part.sentences] += part.scores
            parts.append(part)
        return total, parts

    def get_scores(self, terms: Sequence[str]) -> np.ndarray:
        """rank-bm25's interface: one plain term per query word."""
        return self.score([QueryTerm((t,)) for t in terms])[0]


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best positive scores, best first; ties by sentence order."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > k:
        keep = np.argpartition(-scores[candidates], k - 1)[:k]
        cutoff = scores[candidates[keep]].min()
        candidates = candidates[scores[candidates] >= cutoff]
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:k]
