"""Sources to an index, on every core (build_folder): reading and parsing
the files, splitting, tokenising and name statistics run in worker processes
on chunks of them, each chunk coming back as arrays (sentence offsets, word
numbers) with its own small list of words (Tokens). The parent numbers the
distinct words of all chunks and each worker analyses a share of them
(lemma, stem, compound parts: about 17 us a word, and every worker had met
most of an archive's words: at 1M sentences this took the ingest from 62 to
43 s); the words expand into index terms and the BM25 index is built in
vectorised passes. No Python object per sentence is made. One process goes
the same way (build, and build_folder below PARALLEL_MIN_CHARS).

Workers are forked, so they share the parent's loaded lemma list instead of
loading it. Measured at 1M sentences in docs/performance.md, Archives.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
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
    """A run of documents' sentences as index terms (_analysed)."""

    sentences: tuple[np.ndarray, ...]  # doc, index, start, end, kind (sentences.ARRAY_TYPES)
    term_ids: np.ndarray  # int32 into the build's terms, every sentence's terms one after the other
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


@dataclass
class Tokens:
    """What a worker returns for a run of documents before their words are analysed: each
    sentence's entries (its words, then its separable verbs joined, marked VERB), numbered in
    the run's own list of entries in the order they first occur."""

    sentences: tuple[np.ndarray, ...]  # doc, index, start, end, kind (sentences.ARRAY_TYPES)
    entries: list[str]
    entry_ids: np.ndarray  # int32 into entries, every sentence's one after the other
    entry_counts: np.ndarray  # int32, entries per sentence
    casing: Casing
    words: Counter = field(default_factory=Counter)


# Marks a joined separable verb among a sentence's entries (no token holds it): its index
# term is the verb's term alone, and it does not count as a word of the sentence.
VERB = "\x00"


# Set in the parent before forking: the workers read them, nothing is sent.
_analyzer: Analyzer | None = None
_max_bytes = MAX_SOURCE_BYTES
_count_words = True


def _tokenize_documents(documents: Sequence[Document], analyzer: Analyzer, count_words: bool) -> Tokens:
    """Split and tokenise documents (numbered from 0): each sentence's words and separable verbs."""
    doc, index, start, end, kind = [], [], [], [], []
    vocabulary: dict[str, int] = {}
    entry_ids: list[int] = []
    entry_counts, texts, tokens = [], [], []
    for d, document in enumerate(documents):
        text = document.text
        for n, (a, b, k) in enumerate(sentence_spans(document)):
            sentence = text[a:b]
            doc.append(d), index.append(n), start.append(a), end.append(b), kind.append(KINDS.index(k))
            words = tokenize(sentence)
            if count_words:
                tokens.extend(words)
            # (as Analyzer.index_terms: the words' terms, then the separable verbs' joined)
            verbs = [VERB + verb for verb in analyzer.separable_verbs(sentence).values()]
            entry_ids.extend([vocabulary.setdefault(t, len(vocabulary)) for t in words])
            entry_ids.extend([vocabulary.setdefault(v, len(vocabulary)) for v in verbs])
            entry_counts.append(len(words) + len(verbs))
            texts.append(sentence)
    words = Counter({t: n for t, n in Counter(tokens).items()
                     if t.isalpha() and len(t) >= MIN_WORD_LENGTH and not analyzer.is_stopword(t)})
    arrays = tuple(np.array(c, dtype=t)
                   for c, t in zip((doc, index, start, end, kind), ARRAY_TYPES, strict=True))
    return Tokens(arrays, list(vocabulary), np.array(entry_ids, dtype=np.int32),
                  np.array(entry_counts, dtype=np.int32), Casing(texts), words)


def _read_and_tokenize(files: Sequence[SourceFile]) -> tuple[list[Document], list[dict], Tokens]:
    """Read, split and tokenise some source files: their documents are numbered from 0."""
    documents, skipped = read_sources(files, _max_bytes)
    return documents, skipped, _tokenize_documents(documents, _analyzer, _count_words)


def _analyse_entries(entries: Sequence[str], analyzer: Analyzer | None = None) -> list[tuple[str, ...]]:
    """The index terms of each entry: a word's (Analyzer.word_terms), a joined separable
    verb's term (as Analyzer.index_terms gives them). `analyzer`: the forked one by default."""
    analyzer = analyzer or _analyzer
    return [(analyzer.term(e[1:]),) if e.startswith(VERB) else analyzer.word_terms(e) for e in entries]


def _analysed(runs: Sequence[Tokens], analyse: Callable[[list[list[str]]], list[list[tuple[str, ...]]]],
              shares: int) -> tuple[list[Chunk], list[str]]:
    """The runs' sentences as chunks of index terms numbered in one vocabulary, in the order the
    terms first occur (as Analyzer.index_terms would give them sentence by sentence), and that
    vocabulary: the distinct entries numbered, split into `shares` for `analyse` (a pool's map,
    or one process's), the runs expanded."""
    entries: dict[str, int] = {}
    mappings = [np.fromiter((entries.setdefault(e, len(entries)) for e in run.entries), dtype=np.int64,
                            count=len(run.entries)) for run in runs]
    distinct = list(entries)
    del entries
    split = [distinct[a:b] for a, b in chunk_bounds([1] * len(distinct), shares)]
    analysed = [terms for share in analyse(split) for terms in share]
    # Entries first occur in this order, and a term first occurs where the first entry holding it does.
    vocabulary: dict[str, int] = {}
    counts = np.fromiter((len(t) for t in analysed), dtype=np.int64, count=len(analysed))
    flat = np.fromiter((vocabulary.setdefault(term, len(vocabulary)) for terms in analysed for term in terms),
                       dtype=np.int64, count=int(counts.sum()))
    starts = np.cumsum(counts) - counts
    is_word = np.fromiter((not e.startswith(VERB) for e in distinct), dtype=bool, count=len(distinct))
    counted = (counts > 0) & is_word  # a word with terms (no stopword) counts in BM25's length
    chunks = []
    for run, mapping in zip(runs, mappings, strict=True):
        ids = mapping[run.entry_ids] if len(run.entry_ids) else np.empty(0, dtype=np.int64)
        per_entry = counts[ids]
        total = int(per_entry.sum())
        # each occurrence's terms: its entry's run in `flat`
        offsets = np.arange(total) - np.repeat(np.cumsum(per_entry) - per_entry, per_entry)
        term_ids = flat[np.repeat(starts[ids], per_entry) + offsets]
        n = len(run.entry_counts)
        sentence = np.repeat(np.arange(n), run.entry_counts)
        chunks.append(Chunk(run.sentences, term_ids.astype(np.int32),
                            np.bincount(sentence, weights=per_entry, minlength=n).astype(np.int32),
                            np.bincount(sentence, weights=counted[ids], minlength=n).astype(np.int32),
                            run.casing, run.words))
    return chunks, list(vocabulary)


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
    chunks, terms = _analysed([_tokenize_documents(documents, analyzer, True)],
                              lambda shares: [_analyse_entries(share, analyzer) for share in shares], 1)
    return _join(chunks, terms, documents, 1, {"split and analyse": time.perf_counter() - started})


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
                parts = pool.map(_read_and_tokenize, [files[a:b] for a, b in bounds], chunksize=1)
                runs = [run for _, _, run in parts]
                chunks, terms = _analysed(runs, lambda split: pool.map(_analyse_entries, split, chunksize=1),
                                          workers)
        else:
            parts = [_read_and_tokenize(files)]
            chunks, terms = _analysed([parts[0][2]], lambda shares: [_analyse_entries(s) for s in shares], 1)
    finally:
        _analyzer, _max_bytes, _count_words = None, MAX_SOURCE_BYTES, True
    documents, skipped = [], []
    for (docs, skips, _), chunk in zip(parts, chunks, strict=True):
        # the chunk numbered its documents from 0: number them in the whole list
        chunk.sentences = (chunk.sentences[0] + np.int32(len(documents)), *chunk.sentences[1:])
        documents.extend(docs)
        skipped.extend(skips)
    timings = {"read, split and analyse": time.perf_counter() - started}
    return documents, skipped, _join(chunks, terms, documents, workers, timings)


def pool_is_safe() -> bool:
    """Whether a forked pool can be waited on here. Not in a gevent worker:
    the pool's result and task handlers are threads, which gevent's patching
    makes greenlets of this process, and the wait for their results never lets
    them run (an add to a 3 MB collection hung its worker until gunicorn killed it)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    monkey = sys.modules.get("gevent.monkey")
    return monkey is None or not monkey.is_module_patched("threading")


def _join(chunks: Sequence[Chunk], terms: list[str], documents: Sequence[Document], workers: int,
          timings: dict[str, float]) -> Built:
    """One index of the chunks, whose term ids number into `terms`: their arrays concatenated."""
    started = time.perf_counter()
    term_ids = [chunk.term_ids.astype(np.int64) for chunk in chunks]
    columns = [np.concatenate([c.sentences[i] for c in chunks]) if chunks else np.empty(0, dtype=t)
               for i, t in enumerate(ARRAY_TYPES)]
    sentences = SentenceTable(documents, *columns)
    all_term_ids = np.concatenate(term_ids) if term_ids else np.empty(0, dtype=np.int64)
    term_counts = np.concatenate([c.term_counts for c in chunks]) if chunks else np.empty(0, dtype=np.int32)
    doc_lengths = np.concatenate([c.lengths for c in chunks]) if chunks else np.empty(0, dtype=np.int32)
    index = BM25Index.from_term_ids(all_term_ids, term_counts, terms, doc_lengths=doc_lengths)
    casing, words = Casing(), Counter()
    for chunk in chunks:
        casing.update(chunk.casing)
        words.update(chunk.words)
    timings = {**timings, "index": time.perf_counter() - started}
    log.info("%d sentences of %d documents: %s (%d workers)", len(sentences), len(documents),
             ", ".join(f"{stage} {s:.1f} s" for stage, s in timings.items()), workers)
    return Built(sentences, index, casing, words, timings, all_term_ids, term_counts, terms, doc_lengths)
