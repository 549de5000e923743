"""Stage 6 (docs/architecture.md) on a search cluster: the sentence index kept in an OpenSearch or
Elasticsearch cluster instead of in this process (QA_SEARCH_URL). Its layout and how it is kept
equal to the sources: cluster_sync.py.

What lives where:

* The cluster holds one document per sentence, with the index terms this
  service's own analysis gave it (cluster_sync.py).
* Per question the cluster is asked, in one `_msearch`, for N and the total
  of the sentence lengths, each query term's document frequency (a synonym
  set's: sentences holding any member) and the candidates: Lucene's BM25 over
  a bool/should of each term's dis_max of its synonyms, boosted by the term's
  weight. The candidates come back with their stored terms, and their scores
  are computed here as BM25Okapi (rank-bm25's idf, k1 and b) from those terms
  and the cluster's N, df and average length: the fitted ranking and
  abstention models read BM25Okapi's scale, and Lucene's differs (its idf is
  ln(1 + (N - df + 0.5) / (df + 0.5)), never negative; it drops the
  (k1 + 1) factor; lengths are stored in one lossy byte), so Lucene's score
  chooses the candidates and BM25Okapi ranks them.
* The service keeps what it cites: the sources' text and sentence table
  (read from the folders as without a cluster), the sentence vectors and the
  per-sentence lengths and vocabulary its analysis made.

`ClusterIndex` is an `base.Index` as `bm25.BM25Index` is, so the question
reading, ranking, abstention and answer extraction above it are the same code.
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..language.sentences import SentenceTable
from ..sources.catalog import Catalog
from ..sources.documents import Document
from .bm25 import BM25Index, QueryTerm, TermScores, live_parts, okapi_idf
from .bm25 import scores_of as bm25_scores_of
from .cluster_sync import (
    TRANSPORT_ERRORS,
    ClusterSettings,
    Connection,
    SearchUnavailable,
    SourceSync,
    SyncReport,
)

log = logging.getLogger(__name__)

__all__ = ["ClusterIndex", "ClusterSettings", "SearchUnavailable", "SyncReport", "candidate_query",
           "connect_index"]

# Candidates Lucene's BM25 returns for BM25Okapi to rank, per candidate the
# engine ranks. Measured at 100k news-shaped sentences on 150 questions (bench
# figures in docs/performance.md): 2x and 1.5x both gave the in-process top 10 in 0.959
# of questions (recall of its top 10: 0.989, 0.987), 1x 0.945; the search took
# p50 28, 18 and 13 ms. The dev set and XQuAD-nl: the same answers at 1.5x.
OVERFETCH = 1.5
TERMS_CACHE_MAX = 200_000  # sentences whose stored terms are kept between questions
RETRY_SYNC_S = 2.0  # after a failed sync, the next question tries again after this long


@dataclass(frozen=True)
class ClusterTermScores(TermScores):
    """A query term's part over the sentences the cluster was asked about (the
    candidates and their neighbours), with the mean length to score more."""

    avgdl: float = 0.0


class ClusterIndex:
    """The index the pipeline reads, answered by the cluster (see the module's text)."""

    def __init__(self, local: BM25Index, sentences: SentenceTable, documents: Mapping[str, Document],
                 doc_ranges: Mapping[str, tuple[int, int]], settings: ClusterSettings, candidates: int):
        """`local`: the in-process index of the same sentences, whose postings
        the cluster's documents are written from and whose lengths and
        vocabulary are read here; `doc_ranges`: each document's [first, end)
        of the sentences; `candidates`: how many sentences the pipeline ranks
        (the cluster is asked for OVERFETCH times as many)."""
        self.settings = settings
        self.k1, self.b, self.epsilon = local.k1, local.b, local.epsilon
        # the mean idf behind rank-bm25's floor for terms in over half the sentences: the local
        # analysis's (the cluster cannot give a mean over its vocabulary cheaply)
        self.average_idf = local.average_idf
        self.doc_len = local.doc_len
        self.vocabulary = local.vocabulary
        self.N = local.N
        self._size = int(OVERFETCH * candidates)
        self._table = sentences
        self._range = doc_ranges
        self._terms: OrderedDict[int, Counter] = OrderedDict()  # stored terms of sentences seen, by id
        self._lock_of: tuple[int, threading.Lock] | None = None
        self.synced: SyncReport | None = None
        self._sync_failed_at = -math.inf
        self.connection = Connection(settings)
        self.catalog = Catalog(self.connection)
        self._sources = SourceSync(self.connection, local, sentences, documents, doc_ranges, self.catalog)

    # -- keeping the cluster's index equal to the sources ---------------------

    def _sync_lock(self) -> threading.Lock:
        """One sync at a time, with a lock made in this process: one made before
        gunicorn forks its gevent workers is an OS lock, on which a greenlet
        would block the worker while the one holding it waits for the cluster."""
        if self._lock_of is None or self._lock_of[0] != os.getpid():
            self._lock_of = (os.getpid(), threading.Lock())
        return self._lock_of[1]

    def sync(self, force_rebuild: bool = False) -> SyncReport:
        """Bring the cluster's index to these sources (cluster_sync.SourceSync.run).
        A failure is remembered: questions get a 503 at once for RETRY_SYNC_S,
        then the next one tries again (ensure_synced)."""
        with self._sync_lock():
            return self._sync(force_rebuild)

    def _sync(self, force_rebuild: bool) -> SyncReport:
        try:
            self.synced = self._sources.run(force_rebuild)
        except SearchUnavailable:
            self._sync_failed_at = time.monotonic()
            raise
        return self.synced

    def ensure_synced(self) -> None:
        if self.synced is not None:
            return
        if time.monotonic() - self._sync_failed_at < RETRY_SYNC_S:  # (not every question waits for it)
            raise SearchUnavailable("the search cluster did not answer (index not ready)")
        with self._sync_lock():
            if self.synced is not None:  # another request of this process did it meanwhile
                return
            self._sync(force_rebuild=False)

    def health(self) -> dict:
        """The cluster's health as /healthz reports it. A process whose sync failed (the cluster was
        down when it started or followed a change) syncs here once the cluster answers again: its
        readiness must not wait for a question to land on it, nor for RETRY_SYNC_S."""
        try:
            h = self.connection.client.cluster.health(request_timeout=self.settings.timeout)
        except TRANSPORT_ERRORS as exc:
            return {"status": "unreachable", "index": self.settings.index, "synced": self.synced is not None,
                    "error": type(exc).__name__}
        body = {"status": h["status"], "index": self.settings.index, "nodes": h["number_of_nodes"],
                "unassigned_shards": h["unassigned_shards"]}
        if self.synced is None and h["status"] != "red":
            try:
                with self._sync_lock():
                    if self.synced is None:  # (a question of this process may have synced meanwhile)
                        self._sync(force_rebuild=False)
            except SearchUnavailable as exc:
                body["error"] = str(exc)
        return {**body, "synced": self.synced is not None}

    # -- what the pipeline reads (base.Index) -----------------------------------

    def idf_of(self, df: int, N: int | None = None) -> float:
        return okapi_idf(self.N if N is None else N, df, self.epsilon, self.average_idf)

    def parts(self, query: Sequence[QueryTerm], retried: bool = False) -> list[TermScores]:
        """Each query term's part over the cluster's candidates, in query order."""
        if not query:
            return []
        self.ensure_synced()
        alias = self.settings.index
        # one search for N, the total length and every term's df (a filters aggregation), one for candidates
        df_filters = {f"t{n}": {"terms": {"terms": list(dict.fromkeys(term.members))}}
                      for n, term in enumerate(query)}
        statistics = {"size": 0, "track_total_hits": True,
                      "aggs": {"dl": {"sum": {"field": "dl"}}, "df": {"filters": {"filters": df_filters}}}}
        candidates = {"size": self._size, "query": candidate_query(query),
                      "track_total_hits": False, "_source": ["source", "n", "terms"]}
        body = [{"index": alias}, statistics, {"index": alias}, candidates]
        found = self.connection.call("search", self.connection.client.msearch, body=body)["responses"]
        for response in found:
            if "error" in response:
                kind = response["error"].get("type") if isinstance(response["error"], dict) else "error"
                if kind == "index_not_found_exception" and not retried:
                    # a new, empty cluster (or the index deleted): build it again, then ask again
                    self.synced = None
                    return self.parts(query, retried=True)
                raise SearchUnavailable(f"the search cluster failed a search: {kind}")
        N = int(found[0]["hits"]["total"]["value"])
        avgdl = float(found[0]["aggregations"]["dl"]["value"]) / N if N else 0.0
        self.N = N
        buckets = found[0]["aggregations"]["df"]["buckets"]
        dfs = [int(buckets[f"t{n}"]["doc_count"]) for n in range(len(query))]
        ids = self._remember(found[-1]["hits"]["hits"])
        idfs = [self.idf_of(df, N) if df else 0.0 for df in dfs]
        parts = [ClusterTermScores(term, idf, np.empty(0, dtype=np.int64), np.empty(0), None, df, avgdl)
                 for term, idf, df in zip(query, idfs, dfs, strict=True)]
        return self._over(parts, ids)

    def covering(self, parts: Sequence[TermScores], ids: np.ndarray) -> list[TermScores]:
        """The parts, over `ids` too (their stored terms fetched if not known)."""
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(self._table))]
        missing = [int(i) for i in ids.tolist() if int(i) not in self._terms]
        if missing and parts:
            docs = [{"_id": self._doc_id(i)} for i in missing]
            got = self.connection.call("get", self.connection.client.mget, index=self.settings.index,
                                       body={"docs": docs}, _source_includes=["source", "n", "terms"])
            self._remember([d for d in got["docs"] if d.get("found")])
        known = np.union1d(ids, np.concatenate([p.sentences for p in parts]) if parts else ids)
        return self._over(parts, known)

    def top(self, parts: Sequence[TermScores], k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The k best of the sentences the cluster returned (and their neighbours), by BM25Okapi."""
        live = live_parts(parts, k)
        if not live:
            return np.empty(0, dtype=np.int64), np.empty(0)
        ids = np.unique(np.concatenate([p.sentences for p in live]))
        scores = self.scores_of(live, ids)
        order = np.lexsort((ids, -scores))[:k]
        return ids[order], scores[order]

    scores_of = staticmethod(bm25_scores_of)

    # -- helpers ----------------------------------------------------------------

    def _doc_id(self, i: int) -> str:
        s = self._table[i]
        return f"{s.doc_id}/{i - self._range[s.doc_id][0]}"

    def _remember(self, hits: Sequence[dict]) -> np.ndarray:
        """Keep the stored terms of `hits`; their sentence ids here (a sentence
        of a source this replica has not read yet is left out)."""
        ids = []
        for hit in hits:
            source = hit["_source"]
            first, end = self._range.get(source["source"], (0, 0))
            i = first + int(source["n"])
            if i >= end:
                continue
            ids.append(i)
            if i not in self._terms:
                if len(self._terms) >= TERMS_CACHE_MAX:
                    self._terms.popitem(last=False)
                self._terms[i] = Counter(source["terms"].split())
        return np.unique(np.array(ids, dtype=np.int64))

    def _over(self, parts: Sequence[TermScores], ids: np.ndarray) -> list[TermScores]:
        """Each part's sentences and scores among `ids`, as BM25Okapi scores them."""
        out = []
        norm = None
        for part in parts:
            if norm is None:
                norm = self.k1 * (1 - self.b + self.b * self.doc_len[ids] / part.avgdl) if part.avgdl \
                    else np.ones(len(ids))
            members = set(part.term.members)
            tf = np.array([sum(self._terms[i].get(m, 0) for m in members) if i in self._terms else 0
                           for i in ids.tolist()], dtype=np.float64)
            holding = tf > 0
            scores = part.idf * (tf[holding] * (self.k1 + 1) / (tf[holding] + norm[holding]))
            if part.term.weight != 1.0:
                scores = scores * part.term.weight
            out.append(replace(part, sentences=ids[holding], scores=scores))
        return out


def candidate_query(query: Sequence[QueryTerm]) -> dict:
    """Lucene's query for the candidates: a bool/should over the query terms,
    each a dis_max of its synonyms (its best-matching translation counts),
    boosted by the term's weight (terms from earlier turns count less)."""
    should = []
    for term in query:
        members = list(dict.fromkeys(term.members))
        if len(members) == 1:
            should.append({"term": {"terms": {"value": members[0], "boost": term.weight}}})
        else:
            should.append({"dis_max": {"queries": [{"term": {"terms": m}} for m in members],
                                       "boost": term.weight}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def connect_index(local: BM25Index, sentences: SentenceTable, documents: Mapping[str, Document],
                  doc_ranges: Mapping[str, tuple[int, int]], settings: ClusterSettings, candidates: int,
                  sync: bool = True) -> ClusterIndex:
    """The index of these sentences served by the cluster (arguments as
    ClusterIndex's), the cluster brought up to date with the sources first
    (a failure is logged, and tried again at a question after RETRY_SYNC_S,
    which meanwhile gets a 503)."""
    index = ClusterIndex(local, sentences, documents, doc_ranges, settings, candidates)
    if sync:
        try:
            index.sync()
        except SearchUnavailable as exc:
            log.error("search cluster %s: %s; questions get a 503 until it answers", settings.urls, exc)
    return index
