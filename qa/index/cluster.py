"""Stage 6 (docs/architecture.md) on a search cluster: the sentence index kept in an OpenSearch or
Elasticsearch cluster instead of in this process (QA_SEARCH_URL).

What lives where:

* The cluster holds one document per sentence (`_id` "<source>/<n>", n its
  place in its source): source id, the source's content hash, n, sentence
  number, offsets, title, date, text, its length as BM25 counts it, and the
  index terms this service's own analysis gave it, in a whitespace-split field
  matched term for term, so that the Dutch analysis, compound parts and the
  translation synonym sets work as they do in process. Several shards with a
  replica each; a full build goes into a new index that the alias is then
  switched to, so readers never see half of one.
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

`ClusterIndex` offers what the engine reads of `index.BM25Index` (parts, top,
scores_of, covering, idf_of, doc_len, vocabulary), so the question reading,
ranking, abstention and answer extraction above it are the same code.
"""
from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..pipeline.engine import CANDIDATES
from ..sources.catalog import Catalog
from .bm25 import BM25Index, QueryTerm, TermScores, live_parts

log = logging.getLogger(__name__)
# The client logs each failed attempt with its traceback; ours says it once, in a line.
logging.getLogger("opensearch").setLevel(logging.ERROR)

# Raised for every way the cluster can fail a request: the API answers 503.
TRANSPORT_ERRORS: tuple[type[Exception], ...]
try:
    from opensearchpy import OpenSearch, helpers
    from opensearchpy.exceptions import ConnectionError as _ConnectionError
    from opensearchpy.exceptions import TransportError as _TransportError

    TRANSPORT_ERRORS = (_ConnectionError, _TransportError)
except ImportError:  # pragma: no cover - a dependency of the package
    OpenSearch = None
    TRANSPORT_ERRORS = ()

# Bump when the documents' layout or the analysis behind their terms changes:
# a cluster index made by another format is rebuilt.
FORMAT = "qa-sentences-1"
# Candidates Lucene's BM25 returns for BM25Okapi to rank, per candidate the
# engine ranks. Measured at 100k news-shaped sentences on 150 questions (bench
# figures in docs/performance.md): 2x and 1.5x both gave the in-process top 10 in 0.959
# of questions (recall of its top 10: 0.989, 0.987), 1x 0.945; the search took
# p50 28, 18 and 13 ms. The dev set and XQuAD-nl: the same answers at 1.5x.
OVERFETCH = 1.5
# A sync that finds more than this share of the sources changed builds a new
# index and switches the alias; fewer are replaced in place.
REBUILD_SHARE = 0.2
BULK_CHUNK = 2000  # sentences per _bulk request
# Up to this many sources are written from one pass over the postings; more
# (a rebuild) from a row-major copy of them.
ROWS_BY_RANGE_MAX = 50
TERMS_CACHE_MAX = 200_000  # sentences whose stored terms are kept between questions
RETRY_SYNC_S = 2.0  # after a failed sync, the next question tries again after this long


class SearchUnavailable(Exception):
    """The cluster did not answer (down, unreachable, or failing)."""


@dataclass(frozen=True)
class ClusterSettings:
    # The defaults are the settings table's (imported here: this module is being split).
    from ..settings import default as _default

    urls: tuple[str, ...]
    index: str = _default("QA_SEARCH_INDEX")  # the alias readers use
    shards: int = _default("QA_SEARCH_SHARDS")
    replicas: int = _default("QA_SEARCH_REPLICAS")
    timeout: float = _default("QA_SEARCH_TIMEOUT")  # s per attempt; a question makes at most two requests
    retries: int = 2  # on another node, after a node failed
    del _default

    @classmethod
    def from_url(cls, url: str, **overrides) -> ClusterSettings:
        urls = tuple(u.strip() for u in url.split(",") if u.strip())
        if not urls:
            raise ValueError("QA_SEARCH_URL: give one or more http(s)://host:port, comma-separated")
        for u in urls:
            if not u.startswith(("http://", "https://")):
                raise ValueError(f"QA_SEARCH_URL: {u!r} is not an http:// or https:// URL")
        return cls(urls, **{k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class ClusterTermScores(TermScores):
    """A query term's part over the sentences the cluster was asked about (the
    candidates and their neighbours), with the statistics to score more."""

    N: int = 0
    avgdl: float = 0.0


@dataclass(frozen=True)
class SyncReport:
    rebuilt: bool
    added: int  # sources written
    removed: int  # sources deleted
    sentences: int  # sentence documents written
    seconds: float


def mappings() -> dict:
    """The explicit layout of a sentence document (dynamic fields refused)."""
    stored = {"type": "keyword", "index": False, "doc_values": False}
    return {
        "dynamic": "strict",
        "_meta": {"format": FORMAT},
        "properties": {
            "source": {"type": "keyword"},
            "hash": {"type": "keyword"},
            "n": {"type": "integer"},
            "sentence": {"type": "integer", "index": False},
            "start": {"type": "integer", "index": False},
            "end": {"type": "integer", "index": False},
            "title": stored,
            "date": stored,
            "text": {"type": "text", "index": False},
            "dl": {"type": "float"},
            "terms": {"type": "text", "analyzer": "index_terms", "similarity": "bm25okapi"},
        },
    }


def index_settings(settings: ClusterSettings) -> dict:
    return {
        "number_of_shards": settings.shards,
        "number_of_replicas": settings.replicas,
        # BM25Okapi's k1 and b for the candidates' Lucene scores (the idf stays Lucene's)
        "similarity": {"bm25okapi": {"type": "BM25", "k1": 1.5, "b": 0.75}},
        # the terms are this service's analysis already: split on spaces, nothing else
        "analysis": {"analyzer": {"index_terms": {"type": "custom", "tokenizer": "whitespace"}}},
    }


def source_hash(document) -> str:
    """What a source's sentence documents depend on."""
    digest = hashlib.sha256(FORMAT.encode())
    for part in (document.id, document.title, document.date or "", document.text):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()[:32]


def connect(settings: ClusterSettings):
    if OpenSearch is None:  # pragma: no cover
        raise SearchUnavailable("opensearch-py is not installed")
    return OpenSearch(hosts=list(settings.urls), timeout=settings.timeout, max_retries=settings.retries,
                      retry_on_timeout=True, retry_on_status=(502, 503, 504), http_compress=False)


class ClusterIndex:
    """The engine's index, answered by the cluster (see the module's text)."""

    def __init__(self, engine, settings: ClusterSettings):
        local: BM25Index = engine.index
        self.settings = settings
        self.k1, self.b, self.epsilon = local.k1, local.b, local.epsilon
        # the mean idf behind rank-bm25's floor for terms in over half the sentences: the local
        # analysis's (the cluster cannot give a mean over its vocabulary cheaply)
        self.average_idf = local.average_idf
        self.doc_len = local.doc_len
        self.vocabulary = local.vocabulary
        self.N = local.N
        self._table = engine.sentences
        self._documents = engine.documents  # id -> Document
        self._range = engine.doc_ranges  # id -> [first, end) of its sentences, in sentence order
        self._local = local  # the postings the sentences' terms are written from
        self._terms: OrderedDict[int, Counter] = OrderedDict()  # stored terms of sentences seen, by id
        self._client = None
        self._client_pid: int | None = None
        self._lock_of: tuple[int, threading.Lock] | None = None
        self.synced: SyncReport | None = None
        self._sync_failed_at = -math.inf
        self.catalog = Catalog(self)

    # -- the connection -----------------------------------------------------

    def _sync_lock(self) -> threading.Lock:
        """One sync at a time, with a lock made in this process: one made before
        gunicorn forks its gevent workers is an OS lock, on which a greenlet
        would block the worker while the one holding it waits for the cluster."""
        if self._lock_of is None or self._lock_of[0] != os.getpid():
            self._lock_of = (os.getpid(), threading.Lock())
        return self._lock_of[1]

    @property
    def client(self):
        """A client made in this process: gunicorn's workers must not share the
        master's open connections."""
        if self._client_pid != os.getpid():
            self._client, self._client_pid = connect(self.settings), os.getpid()
        return self._client

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TRANSPORT_ERRORS as exc:
            log.warning("search cluster: %s failed: %s", what, exc)
            status = getattr(exc, "status_code", None)
            refused = isinstance(status, int) and 400 <= status < 500
            verb = "refused a request" if refused else "did not answer"
            raise SearchUnavailable(f"the search cluster {verb} ({what})") from exc

    def health(self) -> dict:
        """The cluster's health as /healthz reports it."""
        body = {"status": "unreachable", "index": self.settings.index, "synced": self.synced is not None}
        try:
            h = self.client.cluster.health(request_timeout=self.settings.timeout)
        except TRANSPORT_ERRORS as exc:
            return {**body, "error": type(exc).__name__}
        return {**body, "status": h["status"], "nodes": h["number_of_nodes"],
                "unassigned_shards": h["unassigned_shards"]}

    # -- keeping the cluster's index equal to the sources ---------------------

    def sync(self, force_rebuild: bool = False) -> SyncReport:
        """Bring the cluster's index to this engine's sources: nothing when it
        holds them already, in place when a few changed, else a new index and
        an alias switch. Safe to run from several replicas at once (the
        documents' ids are deterministic; a switch is atomic)."""
        with self._sync_lock():
            return self._sync(force_rebuild)

    def _sync(self, force_rebuild: bool) -> SyncReport:
        started = time.perf_counter()
        shared = self.catalog.listing()
        # a source another replica added or deleted, of which this one has another copy as yet: its own
        local = {d.id: source_hash(d) for d in self._documents.values() if shared.get(d.id, d.text) == d.text}
        theirs = {s for s, text in shared.items() if self._text_of(s) != text}
        remote = None if force_rebuild else self._remote_sources()
        if remote is None:
            written = self._rebuild(local)
            report = SyncReport(True, len(local), 0, written, time.perf_counter() - started)
        else:
            stale = {s for s, (h, _) in remote.items() if local.get(s) != h and s not in theirs}
            fresh = [s for s, h in local.items() if remote.get(s, (None, 0))[0] != h]
            if len(stale) + len(fresh) > REBUILD_SHARE * max(len(local), 1) and len(local) > 10:
                written = self._rebuild(local)
                report = SyncReport(True, len(local), len(remote), written, time.perf_counter() - started)
            else:
                written = self._replace(fresh, {s: remote[s][1] for s in stale})
                report = SyncReport(False, len(fresh), len(stale - set(fresh)), written,
                                    time.perf_counter() - started)
        self.synced = report
        if report.sentences or report.removed:
            log.info("search cluster %s: %s, %d sources written, %d removed, %d sentences in %.2f s",
                     self.settings.index, "rebuilt" if report.rebuilt else "updated", report.added,
                     report.removed, report.sentences, report.seconds)
        return report

    def ensure_synced(self) -> None:
        if self.synced is not None:
            return
        if time.monotonic() - self._sync_failed_at < RETRY_SYNC_S:  # (not every question waits for it)
            raise SearchUnavailable("the search cluster did not answer (index not ready)")
        with self._sync_lock():
            if self.synced is not None:  # another request of this process did it meanwhile
                return
            try:
                self._sync(force_rebuild=False)
            except SearchUnavailable:
                self._sync_failed_at = time.monotonic()
                raise

    def _remote_sources(self) -> dict[str, tuple[str, int]] | None:
        """source -> (hash, sentences) of what the alias holds; None when there
        is no such index or it has another format."""
        client = self.client
        alias = self.settings.index
        if not self._call("alias lookup", client.indices.exists, index=alias):
            return None
        found = self._call("mapping", client.indices.get_mapping, index=alias)
        if any(m["mappings"].get("_meta", {}).get("format") != FORMAT for m in found.values()):
            return None
        out: dict[str, tuple[str, int]] = {}
        after = None
        while True:
            composite = {"size": 1000, "sources": [{"source": {"terms": {"field": "source"}}},
                                                   {"hash": {"terms": {"field": "hash"}}}]}
            if after:
                composite["after"] = after
            body = {"size": 0, "aggs": {"sources": {"composite": composite}}}
            page = self._call("source listing", client.search, index=alias, body=body)
            page = page["aggregations"]["sources"]
            for bucket in page["buckets"]:
                key = bucket["key"]
                if key["source"] in out:  # two hashes of one source: a sync was cut short; redo it
                    out[key["source"]] = ("", max(out[key["source"]][1], bucket["doc_count"]))
                else:
                    out[key["source"]] = (key["hash"], bucket["doc_count"])
            after = page.get("after_key")
            if not page["buckets"] or not after:
                return out

    def _text_of(self, source_id: str) -> str | None:
        document = self._documents.get(source_id)
        return None if document is None else document.text

    def _rebuild(self, sources: dict[str, str]) -> int:
        client, alias = self.client, self.settings.index
        name = f"{alias}-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.perf_counter_ns() % 10**6}"
        body = {"settings": index_settings(self.settings), "mappings": mappings()}
        self._call("index creation", client.indices.create, index=name, body=body)
        written = self._bulk(name, self._actions(name, [s for s in self._range if s in sources]))
        self._call("refresh", client.indices.refresh, index=name)
        old = []
        if self._call("alias lookup", client.indices.exists_alias, name=alias):
            old = list(self._call("alias lookup", client.indices.get_alias, name=alias))
        elif self._call("index lookup", client.indices.exists, index=alias):
            # an index (not an alias) by that name: it must go before the alias can be made
            self._call("index removal", client.indices.delete, index=alias)
        actions = [{"remove": {"index": o, "alias": alias}} for o in old] + \
            [{"add": {"index": name, "alias": alias}}]
        self._call("alias switch", client.indices.update_aliases, body={"actions": actions})
        for o in old:
            self._call("old index removal", client.indices.delete, index=o, ignore_unavailable=True)
        return written

    def _replace(self, fresh: Sequence[str], stale: dict[str, int]) -> int:
        """Write the sources `fresh`; delete the sentences of `stale` (source ->
        sentences held) beyond what was written over."""
        alias = self.settings.index
        written = self._bulk(alias, self._actions(alias, fresh))
        deletions = [{"_op_type": "delete", "_index": alias, "_id": f"{source}/{n}"}
                     for source, held in stale.items() for n in range(self._sentences_in(source), held)]
        if deletions:
            self._bulk(alias, iter(deletions), missing_ok=True)
        if written or deletions:
            self._call("refresh", self.client.indices.refresh, index=alias)
        return written

    def _actions(self, index: str, sources: Sequence[str]) -> Iterator[dict]:
        table = self._table
        terms_of = _terms_of_rows(self._local, rows=None if len(sources) > ROWS_BY_RANGE_MAX else
                                  [self._range[s] for s in sources if s in self._range])
        for source in sources:
            if source not in self._range:  # a source without sentences
                continue
            document, (first, end) = self._documents[source], self._range[source]
            digest = source_hash(document)
            for n in range(end - first):
                s = table[first + n]
                yield {"_index": index, "_id": f"{source}/{n}", "_source": {
                    "source": source, "hash": digest, "n": n, "sentence": int(s.index), "start": int(s.start),
                    "end": int(s.end), "title": document.title, "date": document.date, "text": s.text,
                    "dl": float(self.doc_len[first + n]), "terms": terms_of(first + n)}}

    def _bulk(self, index: str, actions: Iterator[dict], missing_ok: bool = False) -> int:
        try:
            ok, errors = helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, raise_on_error=False,
                                      request_timeout=max(30.0, self.settings.timeout))
        except TRANSPORT_ERRORS as exc:
            raise SearchUnavailable("the search cluster did not answer (bulk indexing)") from exc
        failed = [e for e in errors if not (missing_ok and next(iter(e.values())).get("status") == 404)]
        if failed:
            raise SearchUnavailable(f"the search cluster refused {len(failed)} sentences: {failed[0]}")
        return ok

    # -- what the engine reads ------------------------------------------------

    def idf_of(self, df: int, N: int | None = None) -> float:
        N = self.N if N is None else N
        idf = math.log(N - df + 0.5) - math.log(df + 0.5)
        return self.epsilon * self.average_idf if idf < 0 else idf

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
        candidates = {"size": int(OVERFETCH * CANDIDATES), "query": candidate_query(query),
                      "track_total_hits": False, "_source": ["source", "n", "terms"]}
        body = [{"index": alias}, statistics, {"index": alias}, candidates]
        found = self._call("search", self.client.msearch, body=body)["responses"]
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
        parts = [ClusterTermScores(term, idf, np.empty(0, dtype=np.int64), np.empty(0), None, df, N, avgdl)
                 for term, idf, df in zip(query, idfs, dfs, strict=True)]
        return self._over(parts, ids)

    def covering(self, parts: Sequence[TermScores], ids: np.ndarray) -> list[TermScores]:
        """The parts, over `ids` too (their stored terms fetched if not known)."""
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(self._table))]
        missing = [int(i) for i in ids.tolist() if int(i) not in self._terms]
        if missing and parts:
            docs = [{"_id": self._doc_id(i)} for i in missing]
            got = self._call("get", self.client.mget, index=self.settings.index, body={"docs": docs},
                             _source_includes=["source", "n", "terms"])
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

    scores_of = staticmethod(BM25Index.scores_of)

    # -- helpers ----------------------------------------------------------------

    def _sentences_in(self, source: str) -> int:
        first, end = self._range.get(source, (0, 0))
        return end - first

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


def _terms_of_rows(index: BM25Index, rows: Sequence[tuple[int, int]] | None):
    """A function giving sentence i's index terms (each as often as it occurs),
    space-separated, from the postings: for the sentences of `rows` (ranges)
    found by one pass over the postings, or (None) for all, by a row-major copy."""
    terms = index.terms
    if rows is None:
        matrix = index.tf.tocsr()
        by_row = {}
    else:
        wanted = np.zeros(index.N, dtype=bool)
        for first, end in rows:
            wanted[first:end] = True
        at = np.flatnonzero(wanted[index.tf.indices])
        columns = np.searchsorted(index.tf.indptr, at, side="right") - 1
        by_row = {}
        found = zip(index.tf.indices[at].tolist(), columns.tolist(), index.tf.data[at].tolist(), strict=True)
        for row, column, tf in found:
            by_row.setdefault(row, []).extend([terms[column]] * int(tf))

    def terms_of(i: int) -> str:
        if rows is not None:
            return " ".join(by_row.get(i, ()))
        at = slice(matrix.indptr[i], matrix.indptr[i + 1])
        return " ".join(t for c, f in zip(matrix.indices[at].tolist(), matrix.data[at].tolist(), strict=True)
                        for t in [terms[c]] * int(f))
    return terms_of


def attach(engine, settings: ClusterSettings, sync: bool = True):
    """Serve `engine` from the cluster: its index replaced by a ClusterIndex,
    the cluster brought up to date with its sources (a failure is logged, and
    tried again at the next question, which meanwhile gets a 503)."""
    cluster_index = ClusterIndex(engine, settings)
    engine.index = cluster_index
    if sync:
        try:
            cluster_index.sync()
        except SearchUnavailable as exc:
            cluster_index._sync_failed_at = time.monotonic()
            log.error("search cluster %s: %s; questions get a 503 until it answers", settings.urls, exc)
    return engine
