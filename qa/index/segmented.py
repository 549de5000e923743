"""Stage 6 (docs/architecture.md) between two merges: the main BM25 index as it was saved, a small
segment of the sentences added since, and tombstones over the main's sentences whose article was
replaced or deleted, read as one index whose scores equal a rebuild's.

Sentences are numbered as a rebuild (BM25Index.updated) numbers them: the main's live sentences in
their order, then the segment's. Every score is computed with the statistics of the whole: N and
avgdl over the live sentences of both, a term's df in the main (its dead sentences taken off) plus
in the segment, and rank-bm25's mean idf over the terms some live sentence holds. The main's
precomputed weights were made with its own statistics; a new N changes each term's idf (one factor
per term) and a new avgdl each sentence's length normalisation by a factor between 1 and
avgdl/avgdl_main. So top() adds the main's weights times the idf factor, as BM25Index.top adds
them (frequent terms as dense columns), bounds each sentence's score from both sides by that factor,
and computes the exact score of the few sentences whose upper bound reaches the k-th best lower
bound: the result is the rebuild's, at the cost of an ordinary search. The segment's sentences are
few and scored exactly.

A part (TermScores) covers the segment's sentences holding the term; covering() extends it exactly
over the sentences asked about (the candidates and their neighbours, as for a search cluster's
parts), which is all the features and the citations read.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .bm25 import BM25Index, QueryTerm, TermScores, kth_best, okapi_idf, rarest_sentences
from .bm25 import scores_of as bm25_scores_of

# Relative slack on the bounds: the approximate sums and the exact scores are rounded differently.
ROUNDING = 1e-9


class Tombstones:
    """Sentences of the main index that are no more: sorted, disjoint [start, end) ranges (each a
    replaced or deleted article's sentences, which are consecutive)."""

    def __init__(self, ranges: Sequence[tuple[int, int]], N: int):
        ranges = sorted((int(a), int(b)) for a, b in ranges if b > a)
        self.N = N
        self.starts = np.array([a for a, _ in ranges], dtype=np.int64)
        self.ends = np.array([b for _, b in ranges], dtype=np.int64)
        self.dead_through = np.cumsum(self.ends - self.starts)  # dead sentences up to each range's end
        self.count = int(self.dead_through[-1]) if len(ranges) else 0
        # where each range starts among the live sentences
        self.live_starts = self.starts - np.r_[0, self.dead_through[:-1]] if len(ranges) else self.starts

    def __len__(self) -> int:
        return self.count

    def ids(self) -> np.ndarray:
        """The dead sentences, ascending."""
        if not self.count:
            return np.empty(0, dtype=np.int64)
        return np.concatenate([np.arange(a, b) for a, b in zip(self.starts.tolist(), self.ends.tolist(),
                                                              strict=True)])

    def live(self) -> np.ndarray:
        """A mask over the main's sentences: True where alive."""
        mask = np.ones(self.N, dtype=bool)
        for a, b in zip(self.starts.tolist(), self.ends.tolist(), strict=True):
            mask[a:b] = False
        return mask

    def dead(self, ids: np.ndarray) -> np.ndarray:
        """Whether each of `ids` (main numbering) is dead."""
        j = np.searchsorted(self.starts, ids, side="right") - 1
        return (j >= 0) & (ids < self.ends[np.maximum(j, 0)]) if self.count else np.zeros(len(ids), bool)

    def to_merged(self, ids: np.ndarray) -> np.ndarray:
        """Live main sentences' numbers among the live ones."""
        if not self.count:
            return ids
        j = np.searchsorted(self.starts, ids, side="right")
        return ids - np.r_[0, self.dead_through][j]

    def to_main(self, merged: np.ndarray) -> np.ndarray:
        """The main numbers of live sentences numbered among the live ones."""
        if not self.count:
            return merged
        j = np.searchsorted(self.live_starts, merged, side="right")
        return merged + np.r_[0, self.dead_through][j]


@dataclass(frozen=True)
class SegmentedTermScores(TermScores):
    """A query term's part: exact over `sentences` (the segment's holding it, and those covered),
    with what scoring it over the main index needs."""

    main_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # main numbering
    main_tf: np.ndarray = field(default_factory=lambda: np.empty(0))
    # a plain term's column in the main, the main's own weights of its sentences, and its idf there
    main_column: int | None = None
    main_weights: np.ndarray | None = None
    main_idf: float = 0.0


class Vocabulary(Mapping):
    """The terms some live sentence holds (a term only dead sentences held is not one): as a
    rebuild's vocabulary answers `in`; the values are not column numbers of one index."""

    def __init__(self, main: Mapping[str, int], main_gone: frozenset[str], segment: Mapping[str, int]):
        self._main, self._gone, self._segment = main, main_gone, segment

    def __contains__(self, term) -> bool:
        return term in self._segment or (term in self._main and term not in self._gone)

    def __getitem__(self, term: str) -> int:
        if term not in self:
            raise KeyError(term)
        return 1

    def __iter__(self) -> Iterator[str]:
        yield from (t for t in self._main if t not in self._gone)
        yield from (t for t in self._segment if t not in self._main or t in self._gone)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class SegmentedIndex:
    """The main index, its tombstones and a segment, as one base.Index (see the module's text)."""

    def __init__(self, main: BM25Index, tombstones: Tombstones, segment: BM25Index):
        """`segment`: the new sentences' index, with its own vocabulary (its statistics are not
        used: only its postings and lengths)."""
        self.main, self.tombstones, self.segment = main, tombstones, segment
        self.k1, self.b, self.epsilon = main.k1, main.b, main.epsilon
        self.live_main = main.N - len(tombstones)
        self.N = self.live_main + segment.N
        self._dead = tombstones.ids()
        self._dead_mask = None if not len(self._dead) else ~tombstones.live()
        main_len = main.doc_len if not len(self._dead) else main.doc_len[~self._dead_mask]
        self.doc_len = np.concatenate([main_len, segment.doc_len]).astype(np.float64, copy=False)
        self.avgdl = float(self.doc_len.sum() / self.N) if self.N else 0.0
        # each main term's df without its dead sentences
        self.main_df = main.df.astype(np.int64, copy=False)
        if len(self._dead):
            held = np.flatnonzero(self._dead_mask[main.tf.indices])
            columns = np.searchsorted(main.tf.indptr, held, side="right") - 1
            self.main_df = self.main_df - np.bincount(columns, minlength=len(main.terms))
        # the df of every term of the whole: the main's, with the segment's added where it has them
        in_main = np.array([main.vocabulary.get(t, -1) for t in segment.terms], dtype=np.int64)
        df = self.main_df.copy()
        df[in_main[in_main >= 0]] += segment.df[in_main >= 0]
        df = np.concatenate([df, segment.df[in_main < 0]])
        df = df[df > 0]
        idf = np.log(self.N - df + 0.5) - np.log(df + 0.5)
        self.average_idf = float(idf.sum() / len(idf)) if len(idf) else 0.0
        gone = frozenset(main.terms[c] for c in np.flatnonzero(self.main_df == 0).tolist())
        self.vocabulary = Vocabulary(main.vocabulary, gone, segment.vocabulary)
        # bounds on a main sentence's length normalisation factor: (tf + norm_main) / (tf + norm)
        ratio = self.avgdl / main.avgdl if main.avgdl and self.avgdl else 1.0
        self._low, self._high = min(1.0, ratio) * (1 - ROUNDING), max(1.0, ratio) * (1 + ROUNDING)

    def idf_of(self, df: int) -> float:
        return okapi_idf(self.N, df, self.epsilon, self.average_idf)

    def _norm(self, doc_len: np.ndarray) -> np.ndarray:
        # (BM25Index._setup's order of operations, so the floats are a rebuild's)
        return self.k1 * (1 - self.b + self.b * doc_len / self.avgdl)

    def _weights(self, idf: float, tf: np.ndarray, doc_len: np.ndarray, weight: float) -> np.ndarray:
        scores = idf * (tf * (self.k1 + 1) / (tf + self._norm(doc_len)))
        return scores * weight if weight != 1.0 else scores

    @staticmethod
    def _postings(index: BM25Index, members: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int | None]:
        """(sentences, tfs, column when one plain term) of `members` in `index`."""
        present = sorted({m for m in members if m in index.vocabulary})
        if len(present) == 1:
            c = index.vocabulary[present[0]]
            at = index._column(c)
            return index.tf.indices[at], index.tf.data[at], c
        ids, tf = index.postings(present)
        return ids, tf, None

    # -- what the pipeline reads (base.Index) -----------------------------------

    def parts(self, query: Sequence[QueryTerm]) -> list[TermScores]:
        return [self._part(term) for term in query]

    def _part(self, term: QueryTerm) -> SegmentedTermScores:
        main_ids, main_tf, column = self._postings(self.main, term.members)
        segment_ids, segment_tf, _ = self._postings(self.segment, term.members)
        if column is not None:
            live = int(self.main_df[column])
        else:
            dead = self._dead_mask[main_ids].sum() if self._dead_mask is not None else 0
            live = len(main_ids) - int(dead)
        df = live + len(segment_ids)
        idf = self.idf_of(df) if df else 0.0
        scores = self._weights(idf, segment_tf, self.segment.doc_len[segment_ids], term.weight)
        plain = column is not None
        return SegmentedTermScores(
            term, idf, segment_ids.astype(np.int64) + self.live_main, scores, None, df, main_ids, main_tf,
            column, self.main.weights[self.main._column(column)] if plain else None,
            float(self.main.idf[column]) if plain else 0.0)

    def _main_scores(self, part: SegmentedTermScores, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(those of `ids` that hold the term, their exact scores): main numbering, ascending."""
        at = np.searchsorted(part.main_ids, ids)
        at[at == len(part.main_ids)] = 0
        hit = part.main_ids[at] == ids if len(part.main_ids) else np.zeros(len(ids), dtype=bool)
        held = ids[hit]
        return held, self._weights(part.idf, part.main_tf[at[hit]], self.main.doc_len[held], part.term.weight)

    def covering(self, parts: Sequence[TermScores], sentences: np.ndarray) -> list[TermScores]:
        """The parts, exact over `sentences` too."""
        ids = np.unique(np.asarray(sentences, dtype=np.int64))
        ids = ids[(ids >= 0) & (ids < self.live_main)]
        main_ids = self.tombstones.to_main(ids)
        out = []
        for part in parts:
            held, scores = self._main_scores(part, main_ids)
            merged = np.concatenate([part.sentences, self.tombstones.to_merged(held)])
            all_scores = np.concatenate([part.scores, scores])
            merged, first = np.unique(merged, return_index=True)
            out.append(replace(part, sentences=merged, scores=all_scores[first]))
        return out

    scores_of = staticmethod(bm25_scores_of)

    def top(self, parts: Sequence[TermScores], k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The k best sentences and their scores, best first (ties by number): see the module's text."""
        if k < 1:
            raise ValueError("k must be at least 1")
        live = [p for p in parts if p.occurs]
        if not live:
            return np.empty(0, dtype=np.int64), np.empty(0)
        # the segment: exact
        new = np.zeros(self.segment.N)
        for part in live:
            segment = part.sentences >= self.live_main
            np.add.at(new, part.sentences[segment] - self.live_main, part.scores[segment])
        new_ids = np.flatnonzero(new > 0)
        ids, scores = self._main_top(live, k, kth_best(new[new_ids], k))
        ids = np.concatenate([self.tombstones.to_merged(ids), new_ids + self.live_main])
        scores = np.concatenate([scores, new[new_ids]])
        order = np.lexsort((ids, -scores))[:k]
        return ids[order], scores[order]

    def _main_top(self, parts: Sequence[SegmentedTermScores], k: int, floor: float
                  ) -> tuple[np.ndarray, np.ndarray]:
        """The main's live sentences that may be among the k best, with their exact scores (main
        numbering); `floor`: a score k sentences reach (0 if unknown)."""
        main = self.main
        held = [p for p in parts if len(p.main_ids)]
        if not held:
            return np.empty(0, dtype=np.int64), np.empty(0)
        total = np.zeros(main.N)
        scratch = None
        low, high = self._low, self._high
        for part in held:
            factor = part.idf / part.main_idf * part.term.weight if part.main_weights is not None \
                and part.main_idf > 0 and part.idf > 0 else None
            dense = main._dense.get(part.main_column) if factor is not None else None
            if dense is not None:
                scratch = np.empty(main.N) if scratch is None else scratch
                np.multiply(dense, factor, out=scratch)
                np.add(total, scratch, out=total)
            elif factor is not None:
                np.add.at(total, part.main_ids, part.main_weights * factor)
            else:  # a synonym set (or an idf that is no positive factor): exact, at its cost
                np.add.at(total, part.main_ids, self._weights(part.idf, part.main_tf,
                                                               main.doc_len[part.main_ids], part.term.weight))
                if part.idf <= 0:
                    low, high = min(low, 0.0), max(high, 1.0)  # (a negative contribution: no bound)
        total[self._dead] = 0.0
        if low <= 0:  # no bound to trust: every sentence that holds a term
            candidates = np.flatnonzero(total != 0)
        else:
            best = kth_best(total[rarest_sentences([p.main_ids for p in held], k, main.N)], k)
            floor = max(floor, low * best)
            candidates = np.flatnonzero(total >= floor / high) if floor > 0 else np.flatnonzero(total > 0)
        exact = np.zeros(len(candidates))
        for part in parts:
            if len(part.main_ids):
                at, scores = self._main_scores(part, candidates)
                exact[np.searchsorted(candidates, at)] += scores
        positive = exact > 0  # (as BM25Index.top: a sentence scoring nothing is no result)
        return candidates[positive], exact[positive]

