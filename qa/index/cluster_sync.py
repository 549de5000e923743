"""The search cluster's sentence index kept equal to the sources (QA_SEARCH_URL):
its settings, the connection, the layout of a sentence document, and the
bulk sync. The questions it answers: cluster.py.

The cluster holds one document per sentence (`_id` "<source>/<n>", n its
place in its source): source id, the source's content hash, n, sentence
number, offsets, title, date, text, its length as BM25 counts it, and the
index terms this service's own analysis gave it, in a whitespace-split field
matched term for term, so that the Dutch analysis, compound parts and the
translation synonym sets work as they do in process. Several shards with a
replica each; a full build goes into a new index that the alias is then
switched to, so readers never see half of one.
"""
from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..language.sentences import SentenceTable
from ..settings import default
from ..sources.catalog import Catalog
from ..sources.documents import Document
from .bm25 import BM25Index

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
# A sync that finds more than this share of the sources changed builds a new
# index and switches the alias; fewer are replaced in place.
REBUILD_SHARE = 0.2
BULK_CHUNK = 2000  # sentences per _bulk request
# Up to this many sources are written from one pass over the postings; more
# (a rebuild) from a row-major copy of them.
ROWS_BY_RANGE_MAX = 50


class SearchUnavailable(Exception):
    """The cluster did not answer (down, unreachable, or failing)."""


@dataclass(frozen=True)
class ClusterSettings:
    """Where the cluster is and how its index is laid out; the defaults are the settings table's."""

    urls: tuple[str, ...]
    index: str = default("QA_SEARCH_INDEX")  # the alias readers use
    shards: int = default("QA_SEARCH_SHARDS")
    replicas: int = default("QA_SEARCH_REPLICAS")
    timeout: float = default("QA_SEARCH_TIMEOUT")  # s per attempt; a question makes at most two requests
    retries: int = 2  # on another node, after a node failed

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


def source_hash(document: Document) -> str:
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


class Connection:
    """The cluster's client, made in this process, and its failures as SearchUnavailable."""

    def __init__(self, settings: ClusterSettings):
        self.settings = settings
        self._client = None
        self._client_pid: int | None = None

    @property
    def client(self):
        """A client made in this process: gunicorn's workers must not share the
        master's open connections."""
        if self._client_pid != os.getpid():
            self._client, self._client_pid = connect(self.settings), os.getpid()
        return self._client

    def call(self, what: str, fn, *args, **kwargs):
        """fn(*args, **kwargs), a request of the client; SearchUnavailable if
        the cluster fails it (`what` names the request in the message)."""
        try:
            return fn(*args, **kwargs)
        except TRANSPORT_ERRORS as exc:
            log.warning("search cluster: %s failed: %s", what, exc)
            status = getattr(exc, "status_code", None)
            refused = isinstance(status, int) and 400 <= status < 500
            verb = "refused a request" if refused else "did not answer"
            raise SearchUnavailable(f"the search cluster {verb} ({what})") from exc

    def bulk(self, index: str, actions: Iterator[dict], missing_ok: bool = False) -> int:
        try:
            ok, errors = helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, raise_on_error=False,
                                      request_timeout=max(30.0, self.settings.timeout))
        except TRANSPORT_ERRORS as exc:
            raise SearchUnavailable("the search cluster did not answer (bulk indexing)") from exc
        failed = [e for e in errors if not (missing_ok and next(iter(e.values())).get("status") == 404)]
        if failed:
            raise SearchUnavailable(f"the search cluster refused {len(failed)} sentences: {failed[0]}")
        return ok


class SourceSync:
    """Brings the cluster's index (the alias of the settings) to the sources:
    their sentences, written from the in-process index's postings."""

    def __init__(self, connection: Connection, local: BM25Index, sentences: SentenceTable,
                 documents: Mapping[str, Document], doc_ranges: Mapping[str, tuple[int, int]],
                 catalog: Catalog):
        self.connection = connection
        self._local = local  # the postings the sentences' terms are written from
        self._table = sentences
        self._documents = documents  # id -> Document
        self._range = doc_ranges  # id -> [first, end) of its sentences, in sentence order
        self._catalog = catalog

    def run(self, force_rebuild: bool = False) -> SyncReport:
        """Nothing when the cluster holds the sources already, in place when a
        few changed, else a new index and an alias switch. Safe to run from
        several replicas at once (the documents' ids are deterministic; a
        switch is atomic)."""
        started = time.perf_counter()
        shared = self._catalog.listing()
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
        if report.sentences or report.removed:
            log.info("search cluster %s: %s, %d sources written, %d removed, %d sentences in %.2f s",
                     self.connection.settings.index, "rebuilt" if report.rebuilt else "updated", report.added,
                     report.removed, report.sentences, report.seconds)
        return report

    def _remote_sources(self) -> dict[str, tuple[str, int]] | None:
        """source -> (hash, sentences) of what the alias holds; None when there
        is no such index or it has another format."""
        call, client, alias = self.connection.call, self.connection.client, self.connection.settings.index
        if not call("alias lookup", client.indices.exists, index=alias):
            return None
        found = call("mapping", client.indices.get_mapping, index=alias)
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
            page = call("source listing", client.search, index=alias, body=body)
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
        call, client, alias = self.connection.call, self.connection.client, self.connection.settings.index
        name = f"{alias}-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.perf_counter_ns() % 10**6}"
        body = {"settings": index_settings(self.connection.settings), "mappings": mappings()}
        call("index creation", client.indices.create, index=name, body=body)
        written = self.connection.bulk(name, self._actions(name, [s for s in self._range if s in sources]))
        call("refresh", client.indices.refresh, index=name)
        old = []
        if call("alias lookup", client.indices.exists_alias, name=alias):
            old = list(call("alias lookup", client.indices.get_alias, name=alias))
        elif call("index lookup", client.indices.exists, index=alias):
            # an index (not an alias) by that name: it must go before the alias can be made
            call("index removal", client.indices.delete, index=alias)
        actions = [{"remove": {"index": o, "alias": alias}} for o in old] + \
            [{"add": {"index": name, "alias": alias}}]
        call("alias switch", client.indices.update_aliases, body={"actions": actions})
        for o in old:
            call("old index removal", client.indices.delete, index=o, ignore_unavailable=True)
        return written

    def _replace(self, fresh: Sequence[str], stale: dict[str, int]) -> int:
        """Write the sources `fresh`; delete the sentences of `stale` (source ->
        sentences held) beyond what was written over."""
        alias = self.connection.settings.index
        written = self.connection.bulk(alias, self._actions(alias, fresh))
        deletions = [{"_op_type": "delete", "_index": alias, "_id": f"{source}/{n}"}
                     for source, held in stale.items() for n in range(self._sentences_in(source), held)]
        if deletions:
            self.connection.bulk(alias, iter(deletions), missing_ok=True)
        if written or deletions:
            self.connection.call("refresh", self.connection.client.indices.refresh, index=alias)
        return written

    def _actions(self, index: str, sources: Sequence[str]) -> Iterator[dict]:
        table, doc_len = self._table, self._local.doc_len
        terms_of = terms_of_rows(self._local, rows=None if len(sources) > ROWS_BY_RANGE_MAX else
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
                    "dl": float(doc_len[first + n]), "terms": terms_of(first + n)}}

    def _sentences_in(self, source: str) -> int:
        first, end = self._range.get(source, (0, 0))
        return end - first


def terms_of_rows(index: BM25Index, rows: Sequence[tuple[int, int]] | None):
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
