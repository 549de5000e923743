"""Stage 6 (docs/architecture.md): a BM25 index over sentences.

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

top() is MaxScore (Turtle and Flood 1995), exact: each part's largest score
bounds what it can add; the sentences of the rarest terms, scored in full,
give a floor under the k-th best score; the parts whose bounds together stay
under that floor cannot bring a sentence into the top on their own, so only
the other parts' sentences are scored, each in full. A synonym set of
frequent terms (its postings can be most of the collection) is not even
listed for that (SetScores): its df is counted on bitsets of its members'
postings and its scores are computed only where they are asked for.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .packing import pack_strings, unpack_strings


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
    column: int | None = None  # the index term, when the query term is a plain term
    # Sentences of the whole index holding the term, when `sentences` lists only
    # some of them (a cluster's part covers the sentences it was asked about).
    df: int | None = None

    @property
    def occurs(self) -> bool:
        """Some sentence of the index holds the term."""
        return (len(self.sentences) if self.df is None else self.df) > 0

    @property
    def size(self) -> int:
        """How many sentences `sentences` lists."""
        return len(self.sentences)

    def at(self, ids: np.ndarray) -> np.ndarray:
        """The scores of the sentences `ids` (ascending), 0 where the term is not listed."""
        out = np.zeros(len(ids))
        add_found(out, ids, self.sentences, self.scores)
        return out


@dataclass(frozen=True)
class PostingsBitmap:
    """A long term's postings as a bitmap (bit i: sentence i holds the term), with the number of
    set bits before each 64-bit word, so that a sentence's place in the postings (its rank) is
    a gather and a popcount: about 0.25 byte a sentence. MaxScore looks
    its candidates up in it, where a binary search in postings of half the sentences took 50
    times as long; a synonym set's df is its members' bitmaps OR-ed and counted (0.06 ms for
    four frequent terms at 1M, where a mask took 4 ms)."""

    words: np.ndarray  # uint64, little-endian bit order
    before: np.ndarray  # int64: set bits in the words before each

    @classmethod
    def of(cls, postings: np.ndarray, N: int) -> PostingsBitmap:
        mask = np.zeros(-(-max(N, 1) // 64) * 64, dtype=bool)
        mask[postings] = True
        words = np.packbits(mask, bitorder="little").view("<u8")
        counts = np.bitwise_count(words).astype(np.int64)
        return cls(words, np.cumsum(counts) - counts)

    @staticmethod
    def holds(words: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Whether each of `ids` has its bit set in `words`."""
        ids = np.asarray(ids, dtype=np.int64)
        return ((words[ids >> 6] >> (ids & 63).astype(np.uint64)) & np.uint64(1)).astype(bool)

    def find(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which of `ids` hold the term, their places in its postings)."""
        ids = np.asarray(ids, dtype=np.int64)
        word = self.words[ids >> 6]
        bit = (ids & 63).astype(np.uint64)
        held = ((word >> bit) & np.uint64(1)).astype(bool)
        below = word[held] & ((np.uint64(1) << bit[held]) - np.uint64(1))
        return held, self.before[ids[held] >> 6] + np.bitwise_count(below).astype(np.int64)


class SetScores:
    """The part of a synonym set whose members hold more than LONG_SHARE of the sentences
    together (a third of them is common for a set of frequent words): its df is counted on
    the members' bitmaps, and its scores are computed where they are asked for (at), or for
    all its sentences only when something reads `sentences` or `scores` (made once). Reads
    as a TermScores."""

    column = None

    def __init__(self, index: BM25Index, term: QueryTerm, columns: list[int], df: int):
        self.term, self.df, self.idf = term, df, index.idf_of(df) if df else 0.0
        self._index, self.columns = index, columns

    occurs = TermScores.occurs

    @property
    def size(self) -> int:
        return self.df

    @functools.cached_property
    def _listed(self) -> tuple[np.ndarray, np.ndarray]:
        sentences, tf = self._index.postings_of(self.columns)
        return sentences, self._index.set_scores(self.term, self.idf, sentences, tf)

    @property
    def sentences(self) -> np.ndarray:
        return self._listed[0]

    @property
    def scores(self) -> np.ndarray:
        return self._listed[1]

    def at(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        return self._index.set_scores(self.term, self.idf, ids, self._index.tf_at(self.columns, ids))

    def upper_bound(self) -> float:
        """No sentence scores more: the members' largest tfs summed, over the shortest sentence."""
        index = self._index
        tf = sum(index.largest(c)[1] for c in self.columns)
        return self.idf * (tf * (index.k1 + 1) / (tf + index.norm_min)) * self.term.weight


# Terms in more than this share of the sentences are also kept as dense columns.
DENSE_SHARE = 1 / 8
# Postings longer than this share of the sentences are summed in a dense vector rather than
# sorted; a synonym set's members holding more than it together are scored lazily (SetScores),
# and a term holding more than it is looked up through a bitmap (PostingsBitmap, made at first use).
LONG_SHARE = 1 / 32
# MaxScore's bounds are compared with a margin: the scores are sums of floats.
BOUND_MARGIN = 1e-9
# MaxScore scores its candidates one by one (looked up in each part's bitmap or postings): up to
# this share of the sentences that is cheaper than scoring every sentence.
CANDIDATES_SHARE = 1 / 8
# MaxScore's floor comes from at most this many sentences.
FLOOR_SAMPLE = 16_384


class BM25Index:
    """BM25Okapi over sentences given as lists of index terms."""

    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75,
                 epsilon: float = 0.25, doc_lengths: Sequence[int] | None = None):
        """`doc_lengths`: the length each sentence counts with in BM25's
        length normalisation, when it is not its number of terms (terms
        added for a word's parts do not make a sentence longer)."""
        vocabulary: dict[str, int] = {}
        lengths = np.fromiter((len(terms) for terms in corpus), dtype=np.int64, count=len(corpus))
        if doc_lengths is not None and len(doc_lengths) != len(corpus):
            raise ValueError(f"doc_lengths has {len(doc_lengths)} entries for {len(corpus)} sentences")
        # One pass in Python to number the terms; the counting is vectorised.
        term_ids = np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for terms in corpus for t in terms),
                               dtype=np.int64, count=int(lengths.sum()))
        self._count(term_ids, lengths, list(vocabulary), doc_lengths, k1, b, epsilon)

    @classmethod
    def from_term_ids(cls, term_ids: np.ndarray, term_counts: np.ndarray, terms: list[str],
                      k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25,
                      doc_lengths: np.ndarray | None = None) -> BM25Index:
        """The index of sentences given as numbers into `terms`: every
        sentence's term numbers one after the other (`term_ids`), and how many
        each sentence has (`term_counts`)."""
        if int(np.sum(term_counts)) != len(term_ids):
            raise ValueError(f"term_counts add up to {int(np.sum(term_counts))}, not {len(term_ids)} terms")
        if doc_lengths is not None and len(doc_lengths) != len(term_counts):
            raise ValueError(f"doc_lengths has {len(doc_lengths)} entries for {len(term_counts)} sentences")
        index = cls.__new__(cls)
        index._count(np.asarray(term_ids, dtype=np.int64), np.asarray(term_counts, dtype=np.int64), terms,
                     doc_lengths, k1, b, epsilon)
        return index

    def updated(self, keep: np.ndarray, term_ids: np.ndarray, term_counts: np.ndarray, terms: list[str],
                doc_lengths: np.ndarray) -> BM25Index:
        """A new index of the sentences `keep` (a mask over this index's
        sentences, which keep their order) followed by new ones given as in
        from_term_ids (numbers into `terms`, their own vocabulary). Costs a few
        passes over the postings, not a rebuild: re-indexing an article of a
        large archive. Terms left in no sentence are dropped, so the result
        scores as from_term_ids over the same sentences would (up to the
        rounding of the mean idf, which sums the idfs in another order)."""
        keep = np.asarray(keep, dtype=bool)
        if len(keep) != self.N:
            raise ValueError(f"keep has {len(keep)} entries for {self.N} sentences")
        # The kept postings, with their sentences renumbered.
        renumber = np.cumsum(keep) - 1
        column = np.repeat(np.arange(len(self.terms), dtype=np.int64), self.df)
        kept = keep[self.tf.indices]
        old_column, old_row, old_tf = column[kept], renumber[self.tf.indices[kept]], self.tf.data[kept]
        # The new sentences' postings, numbered after the kept ones, by column.
        vocabulary = dict(self.vocabulary)  # term -> column, in column order
        mapping = np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in terms), dtype=np.int64,
                              count=len(terms))
        all_terms = list(vocabulary)  # the old terms, then the new ones
        n_kept = int(keep.sum())
        new = sparse.csc_matrix(
            (np.ones(len(term_ids)), (np.repeat(np.arange(len(term_counts), dtype=np.int64), term_counts),
                                      mapping[term_ids] if len(term_ids) else np.empty(0, dtype=np.int64))),
            shape=(len(term_counts), len(all_terms)))
        new.sum_duplicates()
        new_column = np.repeat(np.arange(len(all_terms), dtype=np.int64), np.diff(new.indptr))
        # Merge column by column: a column's kept postings, then its new ones
        # (whose sentence numbers are all higher), so no sort is needed.
        old_counts = np.bincount(old_column, minlength=len(all_terms))
        new_counts = np.diff(new.indptr)
        indptr = np.zeros(len(all_terms) + 1, dtype=np.int64)
        np.cumsum(old_counts + new_counts, out=indptr[1:])
        old_start = np.r_[0, np.cumsum(old_counts)[:-1]]
        old_at = indptr[old_column] + (np.arange(len(old_column)) - old_start[old_column])
        new_at = indptr[new_column] + old_counts[new_column] + \
            (np.arange(len(new_column)) - new.indptr[new_column])
        rows = np.empty(indptr[-1], dtype=np.int32)
        data = np.empty(indptr[-1])
        rows[old_at], data[old_at] = old_row, old_tf
        rows[new_at], data[new_at] = new.indices + n_kept, new.data
        # Terms no sentence holds any more are dropped.
        used = (old_counts + new_counts) > 0
        counts = (old_counts + new_counts)[used]
        tf = sparse.csc_matrix((data, rows, np.r_[0, np.cumsum(counts)]),
                               shape=(n_kept + len(term_counts), int(used.sum())))
        index = BM25Index.__new__(BM25Index)
        doc_len = np.concatenate([self.doc_len[keep], np.asarray(doc_lengths, dtype=np.float64)])
        index._setup([t for t, u in zip(all_terms, used.tolist(), strict=True) if u], tf, doc_len,
                     self.k1, self.b, self.epsilon)
        return index

    def _count(self, term_ids: np.ndarray, lengths: np.ndarray, terms: list[str],
               doc_lengths: Sequence[int] | None, k1: float, b: float, epsilon: float) -> None:
        sentence_ids = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        tf = sparse.csc_matrix((np.ones(len(term_ids)), (sentence_ids, term_ids)),
                               shape=(len(lengths), len(terms)))
        tf.sum_duplicates()  # duplicate (sentence, term) pairs are summed: that is the tf
        doc_len = lengths if doc_lengths is None else np.asarray(doc_lengths)
        self._setup(terms, tf, doc_len.astype(np.float64), k1, b, epsilon)

    def _setup(self, terms: list[str], tf: sparse.csc_matrix, doc_len: np.ndarray,
               k1: float, b: float, epsilon: float, saved: dict | None = None) -> None:
        """`saved`: the idf, mean idf and weights of an index saved with these
        postings (arrays()), which need not be computed again."""
        if k1 < 0 or not 0 <= b <= 1 or epsilon < 0:
            raise ValueError("need k1 >= 0, 0 <= b <= 1 and epsilon >= 0")
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self.N = tf.shape[0]
        self.terms = terms
        self.vocabulary = {t: i for i, t in enumerate(terms)}
        self.tf = tf
        self.tf.indices = self.tf.indices.astype(np.int32, copy=False)
        self.doc_len = doc_len
        self.avgdl = float(doc_len.sum() / self.N) if self.N else 0.0
        self.df = np.diff(self.tf.indptr)
        # rank-bm25's idf: ln(N - df + 0.5) - ln(df + 0.5), and terms whose idf
        # would be negative get epsilon * mean idf instead.
        # math.log and a Python sum in vocabulary order, as rank-bm25 does, so
        # the floats are the same.
        if saved is not None:
            self.idf, self.average_idf = saved["idf"], float(saved["average_idf"])
        else:
            idf = np.array([math.log(self.N - df + 0.5) - math.log(df + 0.5) for df in self.df.tolist()])
            self.average_idf = float(sum(idf.tolist()) / len(idf)) if len(idf) else 0.0
            self.idf = np.where(idf < 0, self.epsilon * self.average_idf, idf)
        # The length normalisation of each sentence, computed once.
        self._norm = self.k1 * (1 - self.b + self.b * self.doc_len / self.avgdl) if self.N else self.doc_len
        # Each (term, sentence) pair's BM25 weight, computed once in rank-bm25's
        # order of operations, so a plain term's scores are a slice of this.
        if saved is not None:
            self.weights = saved["weights"]
        else:
            column_idf = np.repeat(self.idf, self.df)
            tf_data = self.tf.data
            self.weights = column_idf * (tf_data * (self.k1 + 1) / (tf_data + self._norm[self.tf.indices]))
        # Frequent terms also as dense columns: adding one is a streaming
        # vector add, several times faster than scattering its postings.
        frequent = np.flatnonzero(self.df > self.N * DENSE_SHARE)
        dense = None if saved is None else saved.get("dense")
        if dense is not None and np.array_equal(dense[0], frequent) and \
                dense[1].shape == (len(frequent), self.N):
            self._dense = dict(zip(frequent.tolist(), dense[1], strict=True))  # (rows of the mapped file)
        else:
            self._dense = {}
            for c in frequent.tolist():
                column = np.zeros(self.N)
                column[self.tf.indices[self._column(c)]] = self.weights[self._column(c)]
                self._dense[c] = column
        self._bitmaps: dict[int, PostingsBitmap] = {}  # long terms', made when first used
        self._largest: dict[int, tuple[float, float]] = {}  # long terms' largest weight and tf
        self.norm_min = float(self._norm.min()) if self.N else 0.0

    def largest(self, c: int) -> tuple[float, float]:
        """(the largest weight, the largest tf) of term c's postings: MaxScore's bounds. A long
        term's are kept once found (a pass over up to N postings); a short term's are found anew
        (kept for every term: 3.7 MB a process at 1M news sentences, 231,060 terms)."""
        found = self._largest.get(c)
        if found is None:
            at = self._column(c)
            found = (0.0, 0.0) if not self.df[c] else \
                (float(self.weights[at].max()), float(self.tf.data[at].max()))
            if self._is_long(c):
                self._largest[c] = found
        return found

    def _bitmap(self, c: int) -> PostingsBitmap:
        bitmap = self._bitmaps.get(c)
        if bitmap is None:
            bitmap = self._bitmaps[c] = PostingsBitmap.of(self.tf.indices[self._column(c)], self.N)
        return bitmap

    def _is_long(self, c: int) -> bool:
        return self.df[c] > self.N * LONG_SHARE

    # -- persistence: numpy arrays only, loaded with allow_pickle=False --------

    def arrays(self) -> dict[str, np.ndarray]:
        return {**{"terms_" + k: v for k, v in pack_strings(self.terms).items()},
                "tf_data": self.tf.data.astype(np.float32),
                "tf_indices": self.tf.indices, "tf_indptr": self.tf.indptr.astype(np.int64),
                "doc_len": self.doc_len, "params": np.array([self.k1, self.b, self.epsilon]),
                # derived, saved so that loading need not compute them (a second at 1M sentences; the
                # dense columns 0.4 s, and mapped from the file they are shared by the workers)
                "idf": self.idf, "average_idf": np.array(self.average_idf), "weights": self.weights,
                "dense_columns": np.array(sorted(self._dense), dtype=np.int64),
                "dense_weights": np.stack([self._dense[c] for c in sorted(self._dense)]) if self._dense
                else np.zeros((0, self.N))}

    @classmethod
    def from_arrays(cls, arrays) -> BM25Index:
        index = cls.__new__(cls)
        terms = unpack_strings(arrays["terms_bytes"], arrays["terms_offsets"])
        doc_len = arrays["doc_len"].astype(np.float64)
        tf = sparse.csc_matrix(
            (arrays["tf_data"].astype(np.float64), arrays["tf_indices"], arrays["tf_indptr"]),
            shape=(len(doc_len), len(terms)))
        k1, b, epsilon = (float(x) for x in arrays["params"])
        saved = {k: arrays[k] for k in ("idf", "average_idf", "weights")} if "weights" in arrays else None
        if saved is not None and (len(saved["idf"]) != len(terms) or len(saved["weights"]) != tf.nnz):
            raise ValueError("the saved idf or weights do not fit the postings")
        if saved is not None and "dense_weights" in arrays:  # (an index saved before has none: made)
            saved["dense"] = (arrays["dense_columns"], arrays["dense_weights"])
        index._setup(terms, tf, doc_len, k1, b, epsilon, saved)
        return index

    # -- scoring ---------------------------------------------------------------

    def idf_of(self, df: int) -> float:
        return okapi_idf(self.N, df, self.epsilon, self.average_idf)

    def _column(self, c: int) -> slice:
        return slice(self.tf.indptr[c], self.tf.indptr[c + 1])

    def postings(self, members: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(sentence ids, summed term frequencies) of the sentences holding any member."""
        return self.postings_of(self._columns_of(members))

    def _columns_of(self, members: Sequence[str]) -> list[int]:
        return sorted({self.vocabulary[m] for m in members if m in self.vocabulary})

    def postings_of(self, columns: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """postings() of the terms numbered `columns` (ascending, distinct)."""
        if not columns:
            return np.empty(0, dtype=np.int64), np.empty(0)
        if len(columns) == 1:
            at = self._column(columns[0])
            return self.tf.indices[at].astype(np.int64), self.tf.data[at]
        if self._long(columns):
            # Long postings: summing into a dense vector beats sorting them
            # (tfs are small integers, so the order of addition does not matter).
            dense = np.zeros(self.N)
            for c in columns:
                np.add.at(dense, self.tf.indices[self._column(c)], self.tf.data[self._column(c)])
            # (of a boolean mask: flatnonzero of the floats themselves took 4 ms at 1M, of the mask 0.5)
            ids = np.flatnonzero(dense > 0)
            return ids, dense[ids]
        ids = np.concatenate([self.tf.indices[self._column(c)] for c in columns])
        tfs = np.concatenate([self.tf.data[self._column(c)] for c in columns])
        unique, inverse = np.unique(ids, return_inverse=True)
        return unique.astype(np.int64), np.bincount(inverse, weights=tfs)

    def _long(self, columns: Sequence[int]) -> bool:
        return sum(int(self.df[c]) for c in columns) > self.N * LONG_SHARE

    def union_size(self, columns: list[int]) -> int:
        """How many sentences hold any of the terms `columns`: the long ones' bitsets OR-ed and
        counted (0.06 ms for four frequent terms at 1M, where a mask took 4 ms), then the short
        ones' sentences outside them."""
        long = [c for c in columns if self._is_long(c)]
        short = [c for c in columns if not self._is_long(c)]
        count, words = 0, None
        if long:
            words = self._bitmap(long[0]).words.copy()
            for c in long[1:]:
                np.bitwise_or(words, self._bitmap(c).words, out=words)
            count = int(np.bitwise_count(words).sum())
        if short:
            ids = np.concatenate([self.tf.indices[self._column(c)] for c in short]).astype(np.int64)
            if words is not None:
                ids = ids[~PostingsBitmap.holds(words, ids)]
            count += len(union([ids], self.N))
        return count

    def tf_at(self, columns: list[int], ids: np.ndarray) -> np.ndarray:
        """The summed term frequencies of the terms `columns` in the sentences `ids` (ascending)."""
        tf = np.zeros(len(ids))
        for c in columns:
            if self._is_long(c):
                held, at = self._bitmap(c).find(ids)
                tf[held] += self.tf.data[self.tf.indptr[c] + at]
                continue
            add_found(tf, ids, self.tf.indices[self._column(c)], self.tf.data[self._column(c)])
        return tf

    def set_scores(self, term: QueryTerm, idf: float, sentences: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """A synonym set's scores of `sentences`, whose summed tfs are `tf`: tfs are summed before
        BM25's saturation, so they are computed here (0 where tf is 0)."""
        # idf * (tf * (k1 + 1) / (tf + norm)), in place: a set's postings can be a third of
        # the sentences, and each temporary array costs (the same floats: + and * commute)
        denominator = self._norm[sentences]
        denominator += tf
        scores = tf * (self.k1 + 1)
        scores /= denominator
        scores *= idf
        if term.weight != 1.0:
            scores *= term.weight
        return scores

    def score_term(self, term: QueryTerm) -> TermScores | SetScores:
        columns = self._columns_of(term.members)
        if len(columns) == 1:
            # A plain term: its precomputed column.
            c = columns[0]
            at = self._column(c)
            sentences, scores = self.tf.indices[at], self.weights[at]  # views, no copy
            if term.weight != 1.0:
                scores = scores * term.weight  # (a view of the index's weights: not in place)
            return TermScores(term, float(self.idf[c]), sentences, scores, c)
        if len(columns) > 1 and self._long(columns):
            return SetScores(self, term, columns, self.union_size(columns))
        sentences, tf = self.postings_of(columns)
        idf = self.idf_of(len(sentences)) if len(sentences) else 0.0
        return TermScores(term, idf, sentences, self.set_scores(term, idf, sentences, tf))

    def scores_of(self, parts: Sequence[TermScores], sentences: np.ndarray) -> np.ndarray:
        """Scores of some sentences (ascending ids) from their terms' parts,
        summed in query order as top() sums them, so the floats are identical
        (a part's 0 where it is absent adds nothing). A long term's are read
        from its dense column."""
        total = np.zeros(len(sentences))
        for part in parts:
            if not part.size or not len(sentences):
                continue
            c = part.column
            if c is not None and part.size == self.df[c] and self._is_long(c):
                total += self._column_scores(c, sentences, part.term.weight)
            else:
                total += part.at(sentences)
        return total

    def _column_scores(self, c: int, ids: np.ndarray, weight: float) -> np.ndarray:
        """A long plain term's scores of the sentences `ids` (0 where it is absent): its
        dense column's, or its weights found through its bitmap."""
        dense = self._dense.get(c)
        if dense is not None:
            scores = dense[ids]
        else:
            held, at = self._bitmap(c).find(ids)
            scores = np.zeros(len(ids))
            scores[held] = self.weights[self.tf.indptr[c] + at]
        return scores * weight if weight != 1.0 else scores

    def parts(self, query: Sequence[QueryTerm]) -> list[TermScores]:
        return [self.score_term(t) for t in query]

    def covering(self, parts: Sequence[TermScores], sentences: np.ndarray) -> list[TermScores]:
        """The parts, complete over `sentences`: here they are complete already
        (a cluster's parts are not: cluster.ClusterIndex.covering)."""
        return list(parts)

    def top(self, parts: Sequence[TermScores], k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The k best sentences and their scores, for query terms already looked up (parts()):
        by MaxScore where its floor leaves few sentences to score (see the module's doc), else
        by scoring every sentence (every_sentence). The same sentences and floats either way."""
        live = live_parts(parts, k)
        if not live:
            return np.empty(0, dtype=np.int64), np.empty(0)
        candidates = self._max_score_candidates(live, k)
        if candidates is None:
            return self.every_sentence(live, k)
        scores = self.scores_of(live, candidates)
        scored = scores > 0
        candidates, scores = candidates[scored], scores[scored]
        if len(candidates) > k:  # (a sort of 50,000 candidates took 3.9 ms, this first 0.13)
            tied = scores >= scores[np.argpartition(-scores, k - 1)[:k]].min()
            candidates, scores = candidates[tied], scores[tied]
        order = np.lexsort((candidates, -scores))[:k]
        return candidates[order].astype(np.int64), scores[order]

    def _max_score_candidates(self, live: Sequence[TermScores], k: int) -> np.ndarray | None:
        """The sentences that can be among the k best, as MaxScore finds them: those of the parts
        left after leaving out parts whose bounds add up to less than the floor (the k-th best
        score of the rarest terms' sentences): a sentence in none of the parts kept scores less.
        None when that would list more than CANDIDATES_SHARE of the sentences (most of the
        query's terms frequent): every_sentence is cheaper then."""
        limit = self.N * CANDIDATES_SHARE
        if any(p.term.weight < 0 for p in live):
            return None
        # The floor: the k-th best of some sentences, those of the rarest terms (at most
        # FLOOR_SAMPLE of them: any sentences give a floor, and past that it cost more than it saved)
        rare = np.empty(0, dtype=np.int64)
        for part in sorted(live, key=lambda p: p.size):  # (a term repeated with another weight: once)
            room = FLOOR_SAMPLE - len(rare)
            if room <= 0 or isinstance(part, SetScores) and part.size > room:
                break
            rare = union([rare, part.sentences[:room]], self.N)
            if len(rare) >= k:
                break
        floor = kth_best(self.scores_of(live, rare), k)
        if floor <= 0:
            return None
        # The parts left out may together add less than the floor: the longest first (MaxScore
        # leaves out the smallest bounds first; here a set of frequent terms has the largest).
        reach, essential = 0.0, []
        for part in sorted(live, key=lambda p: -p.size):
            bound = self._upper_bound(part)
            if (reach + bound) * (1 + BOUND_MARGIN) < floor:
                reach += bound
            else:
                essential.append(part)
        if not essential or sum(p.size for p in essential) > limit:  # (none: the floats' doing)
            return None
        candidates = union([p.sentences for p in essential], self.N)
        # what the parts kept give a candidate, and at most `reach` from the others, must reach
        # the floor (bench.py's structured queries at 1M: 2.73M candidates in all down to 2.09M)
        partial = self.scores_of(essential, candidates)
        return candidates[(partial + reach) * (1 + BOUND_MARGIN) >= floor]

    def _upper_bound(self, part: TermScores | SetScores) -> float:
        """No sentence gets more from `part`."""
        if isinstance(part, SetScores):
            return part.upper_bound()
        if part.column is not None and part.size == self.df[part.column]:
            return self.largest(part.column)[0] * part.term.weight
        return float(part.scores.max()) if part.size else 0.0

    def every_sentence(self, live: Sequence[TermScores], k: int) -> tuple[np.ndarray, np.ndarray]:
        """top() by scoring every sentence that holds a term.

        Scores are accumulated in query order (so the floats equal
        scores_of()'s and rank-bm25's): frequent terms as dense columns, whose
        addition is a streaming vector add, the others by their postings.
        Choosing the top k from N mostly-zero floats is the other cost (and
        numpy's argpartition is erratic on such vectors), so a floor is taken
        first: the k-th best score among the sentences of the rarest terms
        bounds the k-th best overall from below, and only sentences at or
        above it are ranked.
        """
        total = np.zeros(self.N)
        for part in live:
            dense = self._dense.get(part.column) if part.term.weight == 1.0 else None
            if dense is not None:
                np.add(total, dense, out=total)
            else:
                np.add.at(total, part.sentences, part.scores)
        floor = kth_best(total[rarest_sentences([p.sentences for p in live], k, self.N)], k)
        candidates = np.flatnonzero(total >= floor) if floor > 0 else np.flatnonzero(total > 0)
        scores = total[candidates]
        if len(candidates) > k:
            top = np.argpartition(-scores, k - 1)[:k]
            tied = scores >= scores[top].min()
            candidates, scores = candidates[tied], scores[tied]
        order = np.lexsort((candidates, -scores))[:k]
        return candidates[order].astype(np.int64), scores[order]


def scores_of(parts: Sequence[TermScores], sentences: np.ndarray) -> np.ndarray:
    """BM25Index.scores_of for parts that need no index (each part's own at())."""
    total = np.zeros(len(sentences))
    for part in parts:
        if part.size and len(sentences):
            total += part.at(sentences)
    return total


def union(postings: Sequence[np.ndarray], N: int) -> np.ndarray:
    """The sentence ids in any of `postings`, ascending (int64): sorted, or from a mask when they
    are many (numpy 2's np.unique hashes, 3.5 ms for 50,000 ids)."""
    listed = sum(len(p) for p in postings)
    if listed > N // 64:
        mask = np.zeros(N, dtype=bool)
        for ids in postings:
            mask[ids] = True
        return np.flatnonzero(mask)
    ids = np.sort(np.concatenate([np.asarray(p, dtype=np.int64) for p in postings])) if postings else \
        np.empty(0, dtype=np.int64)
    return ids[np.concatenate([[True], ids[1:] != ids[:-1]])] if len(ids) else ids


def add_found(out: np.ndarray, ids: np.ndarray, postings: np.ndarray, values: np.ndarray) -> None:
    """out[i] += values[j] where ids[i] == postings[j] (postings ascending, distinct): the shorter
    looked up in the longer (postings in ids only when ids are ascending and distinct)."""
    if not len(postings) or not len(ids):
        return
    if len(ids) <= len(postings) or np.any(ids[1:] <= ids[:-1]):
        at = np.searchsorted(postings, _as_ids(ids, postings))
        at[at == len(postings)] = 0
        hit = postings[at] == ids
        out[hit] += values[at[hit]]
    else:
        at = np.searchsorted(ids, postings)
        at[at == len(ids)] = 0
        hit = ids[at] == postings
        out[at[hit]] += values[hit]


def _as_ids(ids: np.ndarray, postings: np.ndarray) -> np.ndarray:
    """`ids` in the postings' integer type: searchsorted would otherwise convert the postings
    (a few milliseconds for a frequent term's at 1M sentences)."""
    if ids.dtype == postings.dtype or not len(ids) or ids[-1] > np.iinfo(postings.dtype).max:
        return ids
    return ids.astype(postings.dtype)


def okapi_idf(N: int, df: int, epsilon: float, average_idf: float) -> float:
    """rank-bm25's idf of a term in `df` of `N` sentences, floored at epsilon
    times the mean idf where it would be negative (see BM25Index._setup)."""
    idf = math.log(N - df + 0.5) - math.log(df + 0.5)
    return epsilon * average_idf if idf < 0 else idf


def live_parts(parts: Sequence[TermScores], k: int) -> list[TermScores]:
    """What a top() ranks: the parts with sentences (k checked first)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    return [p for p in parts if p.size]


def rarest_sentences(postings: Sequence[np.ndarray], k: int, N: int) -> np.ndarray:
    """At least k sentences (where there are): those of the rarest term (of the
    terms' `postings`, sentence ids), then of the next rarest, and so on. Their
    k-th best score is a floor for the k-th best overall."""
    chosen, count = [], 0
    for ids in sorted(postings, key=len):
        chosen.append(ids)
        count += len(ids)
        if count >= k:
            break
    if len(chosen) == 1:
        return chosen[0]
    if count < 4096:
        return np.unique(np.concatenate(chosen))
    union = np.zeros(N, dtype=bool)  # long postings: a mask is cheaper than sorting
    for ids in chosen:
        union[ids] = True
    return np.flatnonzero(union)


def kth_best(scores: np.ndarray, k: int) -> float:
    if len(scores) < k:
        return 0.0
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best positive scores, best first; ties by sentence order."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > k:
        keep = np.argpartition(-scores[candidates], k - 1)[:k]
        cutoff = scores[candidates[keep]].min()
        candidates = candidates[scores[candidates] >= cutoff]
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:k]
