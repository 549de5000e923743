"""The question-answering engine, usable without Flask: sources in, cited
answers out. It wires the stages together in the order data flows:
sources -> sentences -> analysis -> index (a Corpus) -> question -> ranking
(ranking.py) -> passages, short answer and whether to answer (decision.py).
It owns what changes while serving: the sentence vectors made in the
background, and the saved index."""
from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ..index import ingest, saving, snapshot
from ..index import segment as segments
from ..index.base import Index
from ..index.segment import Segment
from ..language import spans as answers
from ..language.analysis import Analyzer
from ..language.identification import language_identifier
from ..language.neighbours import Neighbours, Vocabulary
from ..language.translation import DEFAULT_DICT_DIR, Translator
from ..semantic import background, static, static_background
from ..semantic.encoders import PassageEncoder, SentenceEncoder
from ..semantic.vectors import SentenceVectors
from ..sources.documents import MAX_SOURCE_BYTES, Document, SourceFile, content_key, list_folders
from ..timeline.events import Timeline
from . import decision, disagreement, features
from .corpus import Corpus, document_ranges
from .model import Models, model_file, sigmoid
from .ranking import Ranker, Ranking
from .result import Result, passage_of

# An index backend: (local index, sentences, documents, doc_ranges) -> the index the
# corpus is served from (index.cluster.connect_index: a search cluster's).
IndexBackend = Callable[..., Index]

log = logging.getLogger(__name__)

K_MIN, K_MAX, K_DEFAULT = 1, 20, 5
# A saved index is updated (the changed files read into a segment, the rest kept) when at
# most this share of the files changed, and rebuilt otherwise: past half, the
# kept postings are most of a rebuild's work.
UPDATE_MAX_SHARE = 0.5
# Changes are kept in a segment beside the saved index (index/segment.py) until it holds this
# many sentences (added, and those of replaced or deleted articles); then it is merged into the
# index by a process of its own (QA_SEGMENT_MAX_SENTENCES in the service). A change's cost grows
# with the segment (at 1M sentences one more article took the writer 0.15 s and another worker
# 0.14 s with 17 sentences in the segment, 0.35 and 0.19 s with 20,449); a merge at 1M takes some
# 15 s in the background and each worker's load of the merged index 2-3 s (in a thread).
SEGMENT_MAX_SENTENCES = 20_000
# Above this many sentences the encoder scores BM25's candidates only: a
# search of all int8 vectors takes about 10 ms per 100,000 (vectors.py).
SEMANTIC_SEARCH_MAX = 200_000
# Up to this many sentences every sentence's multilingual-e5 vector is made when the
# engine is built (about 50 ms a news sentence: the seeds' 126 take 6 s, 500 would take
# 25 s), so that no question waits for them; above it a question's candidates are
# encoded when first read (1.6 s for the first question on the seeds) and kept
# (semantic.PASSAGE_CACHE_MAX).
PASSAGE_WARM_MAX = 500
# Below this many sentences the vectors are made before serving even when
# they could be made in the background: 2,000 take 3 to 6 s to encode, and
# the first answers are then the encoder's too.
BACKGROUND_MIN_SENTENCES = 2000
# How often (s) a worker waiting for vectors looks whether they are in place.
VECTORS_POLL_S = 1.0
# When more sentences than this need vectors at once (a new index, or a large change), they get
# static vectors (semantic/static.py: a weighted mean of the encoder's word vectors, mapped into its
# sentence space) instead of the encoder's, which would take more than 15 minutes past about 200,000
# sentences on 2 cores (docs/performance.md). QA_STATIC_VECTORS_ABOVE in the service.
STATIC_VECTORS_ABOVE = 200_000


def _cache_dir(index_path: str | Path | None) -> Path | None:
    """Where the language resources' derived tables are kept: beside the saved index."""
    return Path(index_path).parent / "cache" if index_path else None


def _segment_lock(index_path: str | Path | None) -> contextlib.AbstractContextManager:
    """One writer of the saved segment at a time, across processes (inside the index's lock
    where both are taken)."""
    return snapshot.writing(segments.path_of(index_path)) if index_path else contextlib.nullcontext()


def _saved_state(index_path: str | Path | None, settings: str, base: snapshot.Saved | None,
                 base_segment: Segment | None, base_seen: tuple[int, int, int] | None
                 ) -> tuple[snapshot.Saved | None, Segment | None, tuple[int, int, int] | None]:
    """(the main index, the segment of changes since, the saved segment's identity) as saved at
    `index_path`, with `base` and `base_segment` (what an engine serves) taken for what is the
    same (only what another process saved since is read); without a saved index, the base's."""
    usable = base if base is not None and base.settings == settings else None
    if not index_path:
        return usable, base_segment if usable is not None else None, None
    seen = snapshot.identity(segments.path_of(index_path))
    saved = base_segment if usable is not None and seen == base_seen else \
        segments.load(segments.path_of(index_path)) if seen is not None else None
    if usable is not None and saved is not None and saved.base == usable.fingerprint:
        return usable, saved, seen  # (the main need not be looked at: the segment applies to it)
    fingerprint = snapshot.fingerprint_of(index_path)
    main = usable if usable is not None and fingerprint == usable.fingerprint else \
        snapshot.load_folder(index_path, settings)  # (None, and the reason logged, when not there)
    if main is None:  # no saved index (a first start, or it was removed, or is unreadable): the base's
        return usable, base_segment if usable is not None else None, seen
    if saved is not None and saved.base != main.fingerprint:
        saved = None  # (a segment of another index: the listing says what changed)
    return main, saved, seen


def _differences(known: dict[str, tuple[int, int]], listing: dict[str, tuple[int, int]]
                 ) -> dict[str, tuple[int, int] | None]:
    """The files listed otherwise than `known`: name -> (size, mtime_ns) now, None when gone."""
    return {name: listing.get(name) for name in {*known, *listing} if known.get(name) != listing.get(name)}


def _vectors(encoder: SentenceEncoder, sentences, main: snapshot.Saved,
             index_path: str | Path | None) -> SentenceVectors | None:
    """The vectors of a segment's few sentences, in the space of the main index's (the encoder's,
    or the static model's that made them)."""
    return static.vectors_like(main.prepared.vectors, [s.text for s in sentences], encoder, index_path)


def _read_into(segment: Segment, main: snapshot.Saved, stats: dict[str, tuple[int, int] | None],
               fresh: Sequence[SourceFile], max_bytes: int, workers: int | None,
               encoder: SentenceEncoder | None, index_path: str | Path | None) -> Segment:
    """The segment with the files `stats` names as they are now (`fresh`: those there, read now;
    with `encoder`, when the main index has vectors, the vectors of their sentences are made too:
    else when the main's arrive)."""
    read = ingest.build_folder(fresh, Analyzer("nl"), max_bytes, workers, count_words=False)
    vectors = None if encoder is None or main.prepared.vectors is None else \
        _vectors(encoder, read[2].sentences, main, index_path)
    return segments.changed(segment, main, stats, read, vectors)


def _save_segment(index_path: str | Path | None, segment: Segment) -> tuple[int, int, int] | None:
    """Save the segment beside the index (call inside _segment_lock); its identity, None without
    a saved index. When it cannot be written, the identity of what is there (this process keeps
    its change and does not take that for a newer one; the others find the change by listing
    the folders)."""
    if not index_path:
        return None
    path = segments.path_of(index_path)
    try:
        segments.save(path, segment)
    except OSError as exc:
        log.warning("could not save the changes to %s: %s", path, exc)
    return snapshot.identity(path)


def _load_language_data(cache_dir: str | Path | None = None, semantic: bool = False) -> None:
    """Load what the language identifier, the lemma list and dateparser read
    on first use (module-level caches: once per process); the identifier's
    model from its uncompressed copy in `cache_dir`, when given. `semantic`:
    the sentence encoder's weights too (its first encoding reads them: 1 s)."""
    language_identifier(cache_dir)
    Analyzer("nl").index_terms("Zij trad af.")  # the Dutch lemma list, shared by every Analyzer
    answers.find_dates("begin dit jaar, 1 januari 2021", "2021-01", "en")
    if semantic and (encoder := _encoder()) is not None:
        encoder.encode(["warm up"])


# Built once per process and shared by its engines: an engine rebuilt when the
# sources change (store.Sources) took 0.8-1 s more to load the encoder again.
@lru_cache(maxsize=1)
def _encoder() -> SentenceEncoder | None:
    return SentenceEncoder.load()


@lru_cache(maxsize=1)
def _passage_encoder() -> PassageEncoder | None:
    return PassageEncoder.load()


@lru_cache(maxsize=4)
def _translator(dict_dir: str, cache_dir: Path | None) -> Translator | None:
    return Translator.from_freedict(dict_dir, Analyzer("nl"), cache_dir)


def _collection_paused(make: Callable) -> Callable:
    """`make` with the cyclic garbage collector paused: loading or building an index makes
    millions of objects and no cycles, and each full collection meanwhile walked them all
    (Engine.from_folder on a saved index of 1M sentences: 2.35 -> 1.96 s, medians of six runs)."""
    @functools.wraps(make)
    def paused(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return make(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()
    return paused


class _Stopwatch:
    """Milliseconds spent in each stage of a question, for debug output and the benchmark."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = (now - self._last) * 1000
        self._last = now


class Engine:
    def __init__(self, documents: Sequence[Document], skipped: Sequence[dict] = (),
                 dict_dir: str | Path | None = DEFAULT_DICT_DIR, semantic: bool = True,
                 models: Models | None = None, prepared: snapshot.Prepared | None = None,
                 cache_dir: str | Path | None = None, index_backend: IndexBackend | None = None,
                 static_above: int | None = None, index_path: str | Path | None = None,
                 warm_up: bool = True):
        """Index `documents` (from_folder also saves and loads the index).
        `models`: the fitted ranking and abstention models (default: the
        package's, written by `make train`, fitted for an engine with or without
        the encoder and the dictionaries, as this one is). `prepared`: the
        index of `documents`, already built or loaded (see from_folder).
        `cache_dir`: where to keep what the language resources derive at start.
        `index_backend(local, sentences, documents, doc_ranges)`: the index to
        serve from, made from the in-process one (default: that one).
        `static_above`: more sentences than this without vectors get static ones
        (default STATIC_VECTORS_ABOVE). `index_path`: the saved index, beside
        which a static model is kept. `warm_up`: load the language data and the
        encoder now (not for an engine that follows a change: the one before it
        did)."""
        self._made_with = (dict_dir, semantic, models, cache_dir, index_backend, static_above, index_path)
        self.documents = {d.id: d for d in documents}
        self.skipped = list(skipped)
        self.analyzer = Analyzer("nl")
        self.translator = _translator(str(dict_dir), cache_dir) if dict_dir else None
        self._models_given = models is not None
        self.models = models  # the package's are chosen in _use_vectors: with or without the encoder's
        self.encoder = _encoder() if semantic else None
        self.passage_encoder = _passage_encoder() if semantic else None
        self._pending: tuple[Path, str] | None = None  # (saved index, fingerprint) whose vectors are awaited
        self.saver: int | None = None  # the process writing the index (from_folder's background_save)
        self.folder_digest: str | None = None  # from_folder's: the fingerprint of the files it read
        self.origin: snapshot.Saved | None = None  # from_folder's: the main index it was built from
        self.segment: Segment | None = None  # from_folder's: the changes since `origin` (the next base too)
        self.shadowed: list[dict] = []  # from_folder's: the files skipped as shadowed by another's name
        self.index_path = None if index_path is None else Path(index_path)  # where the index is saved
        self.static_above = STATIC_VECTORS_ABOVE if static_above is None else static_above
        self.static_model: static.StaticModel | None = None  # the one that made the vectors, if static
        self.max_source_bytes = MAX_SOURCE_BYTES
        self.segment_max = SEGMENT_MAX_SENTENCES
        self.merger: subprocess.Popen | None = None  # the process merging the segment into the index
        self._segment_seen: tuple[int, int, int] | None = None  # the saved segment's identity, as followed
        self.semantic_search_max = SEMANTIC_SEARCH_MAX  # QA_SEMANTIC_SEARCH_MAX in the service
        if prepared is None:
            prepared = snapshot.prepare(documents, self.analyzer, self.encoder)
        local = prepared.index
        ranges = document_ranges(prepared.sentences)
        index = local if index_backend is None else \
            index_backend(local, prepared.sentences, self.documents, ranges)
        self.corpus = Corpus(prepared.sentences, self.documents, index, prepared.casing, self.analyzer,
                             ranges)
        self._use_vectors(prepared)
        if warm_up:
            self._warm_up(cache_dir)
        log.info("indexed %d sentences from %d sources (%d skipped)",
                 len(self.sentences), len(self.documents), len(self.skipped))

    @property
    def sentences(self):
        return self.corpus.sentences

    @property
    def index(self):
        """The index served from: the in-process one, or the backend's (a search cluster)."""
        return self.corpus.index

    def _complete_vectors(self, prepared: snapshot.Prepared, words: Counter | None) -> None:
        """The encoder's vectors of the sentences that have none yet (those
        after len(prepared.vectors)), and of the vocabulary's words (from the
        `words` counted, or the sentences) if there is no vocabulary yet."""
        table = prepared.sentences
        have = 0 if prepared.vectors is None else len(prepared.vectors)
        texts = [table[i].text for i in range(have, len(table))]
        words_encoder = self.encoder
        if len(texts) > self.static_above:  # static vectors: a model of the whole collection
            model = static_background.distil(static.Texts(table), self.encoder, self.index_path)
            new, words_encoder = model.sentence_vectors(texts), static.WordEncoder(model, self.encoder)
        elif self.static_model is not None:  # the few new sentences of a static index: the same model
            new = self.static_model.sentence_vectors(texts, self.encoder)
        else:
            new = SentenceVectors.quantize(self.encoder.encode(texts))
        prepared.vectors = new if prepared.vectors is None else prepared.vectors.append(new)
        if prepared.vocabulary is None:
            prepared.vocabulary = Vocabulary.from_counts(words, words_encoder) if words is not None else \
                Vocabulary.build((s.text for s in table), self.analyzer, words_encoder)
        self._use_vectors(prepared)

    def _use_vectors(self, prepared: snapshot.Prepared) -> None:
        self._prepared = prepared  # its index stays the in-process one when a cluster serves
        self.vectors = prepared.vectors
        self._use_static_model()
        self.neighbours = None
        if self.encoder is not None and prepared.vocabulary is not None:
            self.neighbours = Neighbours(prepared.vocabulary, self.encoder, self.analyzer,
                                         prepared.index.vocabulary.__contains__)
        if not self._models_given:  # the encoder's models only once there are vectors to use them on
            # the encoders' models need both: USE's vectors and multilingual-e5
            semantic = self.vectors is not None and self.passage_encoder is not None
            self.models = Models.load(model_file(semantic, self.translator is not None))
        if self.vectors is not None and self.passage_encoder is not None and \
                len(prepared.sentences) <= PASSAGE_WARM_MAX:
            self.passage_encoder.sentence_vectors([s.text for s in prepared.sentences])

    def _use_static_model(self) -> None:
        """The static model that made the vectors (found by the name they carry), and the
        question encoder to search them with: the sum of a question's static vector and
        its encoder vector for static vectors (static.QuestionEncoder), else the encoder."""
        source = "" if self.vectors is None else self.vectors.source
        self.static_model = static.find(source, self.index_path) if source and self.encoder else None
        if source and self.encoder and self.static_model is None:
            log.warning("the static model %s of the sentence vectors is not at %s: questions are "
                        "encoded by the encoder alone", source, static.model_path(self.index_path or "?"))
        self._question_encoder = self.encoder if self.static_model is None else \
            static.QuestionEncoder(self.static_model, self.encoder)

    def _vectors_from(self, index_path: str | Path, fingerprint: str, start: bool = True) -> None:
        """Start the background encoding of the index saved at `index_path`
        (unless `start` is False: someone else does) and look for its vectors
        from now on (poll_vectors)."""
        self._pending = (Path(index_path), fingerprint)
        self._index_seen = snapshot.identity(index_path)
        self._last_poll = time.monotonic()
        if start:
            self._start_vectors(index_path)

    def _start_vectors(self, index_path: str | Path, parent: int | None = None) -> None:
        """The background process that makes the vectors of the index saved at
        `index_path`: static ones above static_above sentences (static_background.py)."""
        if len(self.sentences) > self.static_above:
            static_background.start(index_path, parent)
        else:
            background.start(index_path, parent)

    def poll_vectors(self) -> None:
        """Take the sentence vectors when the background encoding has written
        them into the saved index (looked for at most every VECTORS_POLL_S)."""
        if self._pending is None or time.monotonic() - self._last_poll < VECTORS_POLL_S:
            return
        self._last_poll = time.monotonic()
        path, fingerprint = self._pending
        seen = snapshot.identity(path)
        if seen == self._index_seen:
            return
        self._index_seen = seen
        try:
            found = snapshot.load_vectors(path, fingerprint)
        except snapshot.READ_ERRORS as exc:
            log.warning("could not read the sentence vectors from %s: %s", path, exc)
            return
        if found is None:
            return
        vectors, vocabulary = found
        main, segment = self.origin, self.segment
        if main is None or len(vectors) != len(main.prepared.sentences):
            return
        main.prepared = replace(main.prepared, vectors=vectors, vocabulary=vocabulary)
        if segment is not None and (segment.removed or len(segment.sentences)):
            if segment.vectors is None and self.encoder is not None:
                segment.vectors = _vectors(self.encoder, segment.sentences, main, path)  # (few: made here)
            vectors = segments.joined_vectors(main, segment)
        self._use_vectors(replace(self._prepared, vectors=vectors, vocabulary=vocabulary))
        self._pending = None
        log.info("the sentence vectors are in place: the encoder takes part in ranking")

    def vector_progress(self) -> dict | None:
        """{"done", "total"} sentence vectors; None without the encoder."""
        if self.encoder is None:
            return None
        total = len(self.sentences)
        if self._pending is None:
            return {"done": total if self.vectors is not None else 0, "total": total}
        progress = background.read_progress(self._pending[0]) or {}
        done = progress.get("done", 0) if progress.get("fingerprint") == self._pending[1] else 0
        return {"done": min(done, total - 1) if total else 0, "total": total}

    def _warm_up(self, cache_dir: str | Path | None) -> None:
        """The language identifier, the lemma list, the encoder and dateparser
        load their data on first use (about 1 s together): pay that at start,
        before gunicorn forks, not on a user's first question."""
        _load_language_data(cache_dir, semantic=self.encoder is not None)

    @classmethod
    @_collection_paused
    def from_folder(cls, folder: str | Path | Sequence[str | Path],
                    dict_dir: str | Path | None = DEFAULT_DICT_DIR, semantic: bool = True,
                    index_path: str | Path | None = None, max_source_bytes: int = MAX_SOURCE_BYTES,
                    models: Models | None = None,
                    background_vectors: bool = False, background_save: bool = False,
                    base: snapshot.Saved | None = None, ingest_workers: int | None = None,
                    index_backend: IndexBackend | None = None, base_segment: Segment | None = None,
                    segment_max: int = SEGMENT_MAX_SENTENCES, static_above: int | None = None) -> Engine:
        """The engine of a folder of sources. With `index_path`, a restart with
        unchanged files (names, sizes, modification times) loads the saved
        index and the documents in it without reading a source (and the saved
        segment of the changes since, index/segment.py); a restart after a few
        changes reads only the changed files, into the segment; otherwise the
        files are read, split and analysed on every core and the index saved.
        `base`, `base_segment`: what the engine served until now was built from
        (its `origin` and `segment`); without a saved index, a few changed files
        go into a segment over it instead of a rebuild. `ingest_workers`:
        processes that read and analyse (default: every core; 1 in a serving
        process, whose worker must not wait on a pool).
        `background_vectors` (with `index_path`): the sentences' vectors, when
        there are none yet, are made by a separate process (background.py)
        while this engine answers without them. `background_save`: a new or
        updated index is written by a forked copy of this process, so that the
        engine is ready as soon as the index is built (2.6-4 s at 1M sentences).
        `segment_max`: the segment's size (sentences) from which it is merged
        into the index (SEGMENT_MAX_SENTENCES). `index_backend`, `static_above`:
        see __init__."""
        # the language data (and the encoder) load while a saved index does (numpy's copies and
        # the models' decompression let the other thread run): restart at 1M 4.2 -> 2.9 s
        language_data = threading.Thread(target=_load_language_data, args=(_cache_dir(index_path), semantic),
                                         daemon=True)
        language_data.start()
        folders = [folder] if isinstance(folder, str | Path) else list(folder)
        files, shadowed = list_folders(folders)
        settings = snapshot.folder_settings(semantic, max_source_bytes)
        # Read, update and write the saved index as one step against the background encoder,
        # which saves its vectors into the same file (a forked saver takes the lock itself);
        # then the segment, against the other processes' changes.
        exclusive = snapshot.writing(index_path) if index_path and not background_save else \
            contextlib.nullcontext()
        with exclusive, _segment_lock(index_path):
            main, segment, seen = _saved_state(index_path, settings, base, base_segment, None)
            language_data.join()  # before anything forks: a thread inside an import would hang a child
            listing = {f.name: (f.size, f.mtime_ns) for f in files}
            stats = None if main is None else _differences(segment.listing(main) if segment else main.files,
                                                            listing)
            words, rebuilt = None, stats is None or len(stats) > UPDATE_MAX_SHARE * len(files)
            if rebuilt:
                # (the words are counted for the encoder's vocabulary when it is made now)
                count = semantic and not (background_vectors and index_path)
                documents, skipped, built = ingest.build_folder(files, Analyzer("nl"), max_source_bytes,
                                                                ingest_workers, count_words=count)
                prepared = snapshot.Prepared(built.sentences, built.index, built.casing, None, None)
                words = built.words if count else None
                main = snapshot.Saved(documents, skipped, prepared, snapshot.folder_fingerprint(
                    files, semantic, max_source_bytes), listing, settings)
                segment = None
            else:
                log.info("loaded the saved index %s", index_path or "(unchanged)")
                if stats:
                    fresh = [f for f in files if f.name in stats]
                    segment = _read_into(segment or Segment.empty(main), main, stats, fresh, max_source_bytes,
                                         ingest_workers, _encoder() if semantic else None, index_path)
                    seen = _save_segment(index_path, segment)
            vectors_later = background_vectors and index_path is not None and \
                len(main.prepared.sentences) >= BACKGROUND_MIN_SENTENCES
            if segment is not None and (index_backend is not None
                                        or not index_path and len(segment) >= segment_max
                                        or semantic and main.prepared.vectors is None and not vectors_later):
                # merged now: a search cluster is written from one in-process index; without a saved
                # index there is no process to merge it in; vectors to make now are the whole index's
                main, segment, rebuilt = segments.merge(main, segment), None, True
            engine = cls._of(main, segment, shadowed, dict_dir, semantic, models, _cache_dir(index_path),
                             index_backend, static_above, index_path)
            # what the folders hold (as listed now): a watcher compares a new listing with it
            engine.folder_digest = snapshot.folder_fingerprint(files, semantic, max_source_bytes)
            engine.max_source_bytes, engine.segment_max = max_source_bytes, segment_max
            engine._segment_seen = seen
            if not engine.documents:
                log.warning("no readable .txt sources in %s: every question will be answered with null",
                            ", ".join(map(str, folders)))
            for entry in shadowed:
                log.warning("skipped %s: %s", entry["file"], entry["reason"])
            changed = rebuilt or index_path is not None and snapshot.identity(index_path) is None
            if changed and index_path and segment is None:
                with contextlib.suppress(OSError):  # (it applies to the index replaced)
                    segments.path_of(index_path).unlink(missing_ok=True)
        engine._finish(words, changed, background_vectors, background_save)
        engine._merge_when_large()
        return engine

    @classmethod
    def _of(cls, main: snapshot.Saved, segment: Segment | None, shadowed: Sequence[dict],
            *made_with, warm_up: bool = True) -> Engine:
        """The engine of the main index and the segment of changes since (a view of both: nothing
        of the main is copied but what the changes take out); `made_with`: __init__'s dict_dir,
        semantic, models, cache_dir, index_backend, static_above and index_path."""
        dict_dir, semantic, models, cache_dir, index_backend, static_above, index_path = made_with
        if segment is not None and (segment.removed or len(segment.sentences)):
            documents, skipped, prepared = segments.view(main, segment)
            if main.prepared.vectors is not None and prepared.vectors is None and semantic:
                # (the segment was made while the main had none: its few sentences now)
                segment.vectors = _vectors(_encoder(), segment.sentences, main, index_path)
                prepared.vectors = segments.joined_vectors(main, segment)
        else:
            documents, prepared = main.documents, main.prepared
            skipped = segment.skipped if segment is not None else main.skipped
        engine = cls(documents, [*skipped, *shadowed], dict_dir, semantic, models=models, prepared=prepared,
                     cache_dir=cache_dir, index_backend=index_backend, static_above=static_above,
                     index_path=index_path, warm_up=warm_up)
        engine.origin, engine.segment, engine.shadowed = main, segment, list(shadowed)
        # what the folders hold: a watcher compares a new listing with it
        engine.folder_digest = segment.fingerprint if segment is not None else main.fingerprint
        return engine

    def _successor(self, main: snapshot.Saved, segment: Segment | None,
                   seen: tuple[int, int, int] | None) -> Engine:
        """The engine of `main` and `segment`, made as this one was."""
        engine = Engine._of(main, segment, self.shadowed, *self._made_with, warm_up=False)
        engine.max_source_bytes, engine.segment_max = self.max_source_bytes, self.segment_max
        engine.semantic_search_max, engine._segment_seen = self.semantic_search_max, seen
        engine.merger = self.merger
        if self._pending is not None and main.prepared.vectors is None:  # still waiting for the vectors
            engine._pending = (self._pending[0], main.fingerprint)
            engine._index_seen, engine._last_poll = self._index_seen, self._last_poll
        return engine

    def with_changes(self, paths: Sequence[str | Path]) -> Engine:
        """The engine of these sources with the files at `paths` as they are now (written,
        replaced or removed, as the Library does): only they are read, into the segment, which is
        saved beside the index for the other processes (the folders are not listed). A segment
        grown to `segment_max` sentences is merged into the index in the background."""
        with _segment_lock(self.index_path):
            main, segment, seen = self._synced()
            stats = {}
            for path in map(Path, paths):
                try:
                    stat = os.stat(path)
                    stats[path.name] = (stat.st_size, stat.st_mtime_ns)
                except FileNotFoundError:
                    stats[path.name] = None
            fresh = [SourceFile(Path(path).parent, Path(path).name, *stats[Path(path).name]) for path in paths
                     if stats[Path(path).name] is not None]
            segment = _read_into(segment or Segment.empty(main), main, stats, fresh, self.max_source_bytes, 1,
                                 self.encoder, self.index_path)
            if self.index_path is None and len(segment) >= self.segment_max:
                main, segment = segments.merge(main, segment), None  # (no saved index: nowhere to merge it)
            seen = _save_segment(self.index_path, segment)
        engine = self._successor(main, segment, seen)
        engine._merge_when_large()
        return engine

    def followed(self) -> Engine:
        """The engine of what another process saved since (a change announced: its segment, or
        the index merged); this one when nothing changed. The folders are not listed."""
        main, segment, seen = self._synced()
        if main is self.origin and segment is self.segment:
            self._segment_seen = seen
            return self
        return self._successor(main, segment, seen)

    def holding(self, key: bytes) -> list[str]:
        """The sources whose content key (documents.content_key) is `key`: looked up in the
        saved index's keys (made by the process that saved it) and the segment's."""
        main, segment = self.origin, self.segment
        if main is None:  # (an engine made of documents: few)
            return [d.id for d in self.documents.values() if content_key(d) == key]
        if main.keys is None and self.index_path is not None:
            main.keys = snapshot.saved_keys(self.index_path, main.fingerprint)
        found = [main.documents[n].id for n in main.holding(key)]
        if segment is not None:
            gone = set(segment.removed)
            found = [doc_id for doc_id in found if doc_id not in gone] + \
                [d.id for d, k in zip(segment.documents, segment.keys, strict=True) if k == key]
        return found

    def outdated(self) -> bool:
        """Whether the saved segment is not the one this engine follows (another process changed
        the sources or merged the segment into the index): a stat."""
        return self.index_path is not None and \
            snapshot.identity(segments.path_of(self.index_path)) != self._segment_seen

    def _synced(self) -> tuple[snapshot.Saved, Segment | None, tuple[int, int, int] | None]:
        return _saved_state(self.index_path, self.origin.settings, self.origin, self.segment,
                            self._segment_seen)

    def _merge_when_large(self) -> None:
        """A segment of `segment_max` sentences or more is merged into the saved index by a
        process of its own (`python -m qa merge`; one at a time), while this one serves it."""
        segment, path = self.segment, self.index_path
        if segment is None or path is None or len(segment) < self.segment_max:
            return
        if self.merger is not None and self.merger.poll() is None:
            return  # (merging already: what came since is kept, and merged next time)
        self.merger = segments.start_merge(path, self.segment_max)

    def _finish(self, words: Counter | None, changed: bool, background_vectors: bool,
                background_save: bool) -> None:
        """from_folder's last steps: the vectors made now or left to the
        background encoder, and the index saved when it changed."""
        index_path, main = self.index_path, self.origin
        prepared = main.prepared
        later = background_vectors and index_path is not None and prepared.vectors is None \
            and len(prepared.sentences) >= BACKGROUND_MIN_SENTENCES
        missing = prepared.vectors is None and not later or \
            prepared.vectors is not None and len(prepared.vectors) < len(prepared.sentences)
        if self.encoder is not None and missing:  # (with a segment, from_folder merged it: no view)
            self._complete_vectors(prepared, words)
            changed = True
        encode_later = self.encoder is not None and later

        def save() -> bool:
            return saving.save_logged(index_path, prepared, main.documents, main.fingerprint, main.skipped,
                                      main.listing, main.settings, main.keys)

        if index_path and changed and background_save:
            master = os.getpid()

            def save_exclusively() -> bool:
                with snapshot.writing(index_path):
                    return save()

            self.saver = saving.save_in_background(
                index_path, save_exclusively,
                then=(lambda: self._start_vectors(index_path, parent=master)) if encode_later else None)
            if self.saver is not None:
                if encode_later:
                    self._vectors_from(index_path, main.fingerprint, start=False)  # the saver starts it
                return
        saved_now = save() if index_path and changed else True
        if encode_later:
            if saved_now:
                self._vectors_from(index_path, main.fingerprint)
            else:  # the background process works on the saved index: without one, now
                self._complete_vectors(prepared, words)

    @functools.cached_property
    def timeline(self) -> Timeline:
        """The story's dated events (built at the first use; the service builds it before serving).
        Up to PASSAGE_WARM_MAX sentences, whose multilingual-e5 vectors are made at build, events
        worded differently by two outlets are compared by meaning too."""
        encoder, sentences = self.passage_encoder, self.sentences
        if encoder is None or len(sentences) > PASSAGE_WARM_MAX:
            return Timeline.build(self.corpus)

        def similarity(i: int, j: int) -> float:
            a, b = encoder.sentence_vectors([sentences[i].text, sentences[j].text])
            return float(a @ b)

        return Timeline.build(self.corpus, similarity)

    def ranker(self) -> Ranker:
        """Ranking as this engine stands now (its vectors arrive while it serves)."""
        return Ranker(self.corpus, self.models, self.translator, self.neighbours, self._question_encoder,
                      self.vectors, self.passage_encoder, self.semantic_search_max)

    def rank(self, question: str, history: Sequence[dict] = (), full: bool = False) -> Ranking:
        """The question's candidates, their features and order (ranking.Ranker.rank)."""
        return self.ranker().rank(question, history, full)

    def ask(self, question: str, history: Sequence[dict] = (), k: int = K_DEFAULT) -> Result:
        if not K_MIN <= k <= K_MAX:
            raise ValueError(f"k must be between {K_MIN} and {K_MAX}")
        self.poll_vectors()
        clock = _Stopwatch()
        ranking = self.ranker().rank(question, history, lap=clock.lap)
        reading = decision.read(self.corpus, ranking, k)
        clock.lap("rank")
        names = features.names()
        row = {int(c): n for n, c in enumerate(ranking.ids)}

        def cited(i: int, copies: list[int]):
            n = row[i]
            passage = passage_of(self.corpus, i, float(sigmoid(ranking.logits[n])), ranking.parts,
                                 float(ranking.lexical[n]),
                                 None if ranking.semantic is None else float(ranking.semantic[n]), copies)
            passage.debug["features"] = {name: round(float(v), 4)
                                         for name, v in zip(names, ranking.X[n], strict=True)}
            return passage

        passages = [cited(i, reading.copies[i]) for i in reading.best.tolist()]
        decided = decision.decide(self.corpus, ranking, reading, self.models)
        clock.lap("answer")
        # (where the service says the sources do not say, it claims no disagreement either)
        differ = None if decided.answer is None else disagreement.find(
            self.corpus, ranking.question, ranking.ids[ranking.order], sigmoid(ranking.logits[ranking.order]),
            len(reading.best), decision.answer_passage(reading, decided),
            self.__dict__.get("timeline"))  # where built (the service builds it at start): never waited for
        if differ is not None:
            decided = decision.with_disagreement(decided, reading, differ)
            passages += [cited(i, copies) for i, copies in differ.extra.items()]  # cited beyond the answer's
        clock.lap("disagreement")
        coverage = float(ranking.X[reading.rows[0], names.index("coverage")]) if reading.rows else 0.0
        return Result(decided.answer, passages, ranking.question, coverage, decided.confidence, clock.laps,
                      differ)
