"""Sources to an index, on every core (build_folder): reading and parsing
the files, splitting, analysis and name statistics run in worker processes
on chunks of them, each chunk coming back as arrays (sentence offsets, term
numbers) with its own small vocabulary; the parent joins the vocabularies and
builds the BM25 index from the arrays in one vectorised pass. No Python
object per sentence is made. (build does the same for documents already
read, in one process.)

Workers are forked, so they share the parent's loaded lemma list instead of
loading it; each keeps its own per-word cache (analysis.Analyzer.word_terms).
Measured at 1M sentences in docs/performance.md, Archives.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import settings
from ..language.analysis import Analyzer, tokenize
from ..language.neighbours import MIN_WORD_LENGTH
from ..language.sentences import ARRAY_TYPES, KINDS, SentenceTable, sentence_spans
from ..language.spans import Casing
from ..sources.documents import MAX_SOURCE_BYTES, Document, SourceFile, read_sources
from .bm25 import BM25Index

log = logging.getLogger(__name__)

# Below this much text one process does it all: forking and joining cost more.
PARALLEL_MIN_CHARS = 2 * 2**20
# Chunks per worker: several, so that a worker with long articles does not
# hold up the others at the end.
CHUNKS_PER_WORKER = 8


@dataclass
class Chunk:
    """What one worker returns for a run of documents."""

    sentences: tuple[np.ndarray, ...]  # doc, index, start, end, kind (sentences.ARRAY_TYPES)
    terms: list[str]  # this chunk's vocabulary
    term_ids: np.ndarray  # int32 into terms, every sentence's terms one after the other
    term_counts: np.ndarray  # int32, terms per sentence
    lengths: np.ndarray  # int32, words per sentence (BM25's length)
    casing: Casing
    words: Counter = field(default_factory=Counter)  # word counts for the encoder's vocabulary (or none)


@dataclass
class Built:
    sentences: SentenceTable
    index: BM25Index
    casing: Casing
    words: Counter  # every content word and how often it occurs
    timings_s: dict[str, float]
    # the index's input (BM25Index.from_term_ids), for updating another index with these sentences
    term_ids: np.ndarray
    term_counts: np.ndarray
    terms: list[str]
    doc_lengths: np.ndarray


# Set in the parent before forking: the workers read them, nothing is sent.
_analyzer: Analyzer | None = None
_max_bytes = MAX_SOURCE_BYTES
_count_words = True


def _analyse_documents(documents: Sequence[Document], first: int, stop: int,
                       analyzer: Analyzer, count_words: bool = True) -> Chunk:
    doc, index, start, end, kind = [], [], [], [], []
    vocabulary: dict[str, int] = {}
    term_ids: list[int] = []
    term_counts, lengths = [], []
    texts, tokens = [], []
    for d in range(first, stop):
        text = documents[d].text
        for n, (a, b, k) in enumerate(sentence_spans(documents[d])):
            sentence = text[a:b]
            doc.append(d), index.append(n), start.append(a), end.append(b), kind.append(KINDS.index(k))
            words = tokenize(sentence)
            if count_words:
                tokens.extend(words)
            analysed = analyzer.index_terms(sentence, words)
            term_ids.extend([vocabulary.setdefault(t, len(vocabulary)) for t in analysed.terms])
            term_counts.append(len(analysed.terms))
            lengths.append(analysed.length)
            texts.append(sentence)
    casing = Casing(texts)
    words = Counter({t: n for t, n in Counter(tokens).items()
                     if t.isalpha() and len(t) >= MIN_WORD_LENGTH and not analyzer.is_stopword(t)})
    return Chunk(tuple(np.array(c, dtype=t) for c, t in zip((doc, index, start, end, kind), ARRAY_TYPES,
                                                            strict=True)),
                 list(vocabulary), np.array(term_ids, dtype=np.int32), np.array(term_counts, dtype=np.int32),
                 np.array(lengths, dtype=np.int32), casing, words)


def _read_and_analyse(files: Sequence[SourceFile]) -> tuple[list[Document], list[dict], Chunk]:
    """Read and analyse some source files: their documents are numbered from 0."""
    documents, skipped = read_sources(files, _max_bytes)
    return documents, skipped, _analyse_documents(documents, 0, len(documents), _analyzer, _count_words)


def chunk_bounds(sizes: Sequence[int], chunks: int) -> list[tuple[int, int]]:
    """About `chunks` runs of consecutive items, of about the same total size each."""
    sizes = np.cumsum(sizes)
    if not len(sizes):
        return []
    cuts = np.searchsorted(sizes, np.linspace(0, sizes[-1], chunks + 1)[1:-1], side="right")
    edges = sorted({0, *cuts.tolist(), len(sizes)})
    return list(zip(edges[:-1], edges[1:], strict=True))


def default_workers() -> int:
    """QA_INGEST_WORKERS, else the cores this process may use."""
    configured = settings.value("QA_INGEST_WORKERS")
    if configured is not None:
        return max(1, configured)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def build(documents: Sequence[Document], analyzer: Analyzer) -> Built:
    """Split, analyse and index documents already read, in this process (a
    folder's sources go through build_folder, on every core)."""
    started = time.perf_counter()
    chunk = _analyse_documents(documents, 0, len(documents), analyzer)
    return _join([chunk], documents, 1, {"split and analyse": time.perf_counter() - started})


def build_folder(files: Sequence[SourceFile], analyzer: Analyzer, max_bytes: int = MAX_SOURCE_BYTES,
                 workers: int | None = None,
                 count_words: bool = True) -> tuple[list[Document], list[dict], Built]:
    """Read, split, analyse and index source files: (documents, skipped, built).
    The workers read the files too, so reading and parsing also run on every core.
    `count_words`: count the content words for the encoder's vocabulary
    (Built.words; about 3 s of CPU a worker at 1M sentences, for nothing
    without the encoder)."""
    global _analyzer, _max_bytes, _count_words
    workers = default_workers() if workers is None else workers
    started = time.perf_counter()
    _analyzer, _max_bytes, _count_words = analyzer, max_bytes, count_words
    try:
        if workers > 1 and sum(f.size for f in files) >= PARALLEL_MIN_CHARS and pool_is_safe():
            bounds = chunk_bounds([f.size for f in files], workers * CHUNKS_PER_WORKER)
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_read_and_analyse, [files[a:b] for a, b in bounds], chunksize=1)
        else:
            parts = [_read_and_analyse(files)]
    finally:
        _analyzer, _max_bytes, _count_words = None, MAX_SOURCE_BYTES, True
    documents, skipped, chunks = [], [], []
    for docs, skips, chunk in parts:
        # the chunk numbered its documents from 0: number them in the whole list
        chunk.sentences = (chunk.sentences[0] + np.int32(len(documents)), *chunk.sentences[1:])
        documents.extend(docs)
        skipped.extend(skips)
        chunks.append(chunk)
    timings = {"read, split and analyse": time.perf_counter() - started}
    return documents, skipped, _join(chunks, documents, workers, timings)


def pool_is_safe() -> bool:
    """Whether a forked pool can be waited on here. Not in a gevent worker:
    the pool's result and task handlers are threads, which gevent's patching
    makes greenlets of this process, and the wait for their results never lets
    them run (an add to a 3 MB collection hung its worker until gunicorn killed it)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    monkey = sys.modules.get("gevent.monkey")
    return monkey is None or not monkey.is_module_patched("threading")


def _join(chunks: Sequence[Chunk], documents: Sequence[Document], workers: int,
          timings: dict[str, float]) -> Built:
    """One index of the chunks: their vocabularies joined, their arrays concatenated."""
    started = time.perf_counter()
    vocabulary: dict[str, int] = {}
    term_ids = []
    for chunk in chunks:
        mapping = np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in chunk.terms),
                              dtype=np.int64, count=len(chunk.terms))
        term_ids.append(mapping[chunk.term_ids] if len(chunk.term_ids) else np.empty(0, dtype=np.int64))
    columns = [np.concatenate([c.sentences[i] for c in chunks]) if chunks else np.empty(0, dtype=t)
               for i, t in enumerate(ARRAY_TYPES)]
    sentences = SentenceTable(documents, *columns)
    all_term_ids = np.concatenate(term_ids) if term_ids else np.empty(0, dtype=np.int64)
    term_counts = np.concatenate([c.term_counts for c in chunks]) if chunks else np.empty(0, dtype=np.int32)
    doc_lengths = np.concatenate([c.lengths for c in chunks]) if chunks else np.empty(0, dtype=np.int32)
    terms = list(vocabulary)
    index = BM25Index.from_term_ids(all_term_ids, term_counts, terms, doc_lengths=doc_lengths)
    casing, words = Casing(), Counter()
    for chunk in chunks:
        casing.update(chunk.casing)
        words.update(chunk.words)
    timings = {**timings, "index": time.perf_counter() - started}
    log.info("%d sentences of %d documents: %s (%d workers)", len(sentences), len(documents),
             ", ".join(f"{stage} {s:.1f} s" for stage, s in timings.items()), workers)
    return Built(sentences, index, casing, words, timings, all_term_ids, term_counts, terms, doc_lengths)
