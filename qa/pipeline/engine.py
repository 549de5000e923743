"""The question-answering engine, usable without Flask: sources in, cited
answers out. It wires the stages together in the order data flows:
sources -> sentences -> analysis -> index (a Corpus) -> question -> ranking
(ranking.py) -> passages, short answer and whether to answer (decision.py).
It owns what changes while serving: the sentence vectors made in the
background, and the saved index."""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ..index import ingest, saving, snapshot
from ..index.base import Index
from ..language import spans as answers
from ..language.analysis import Analyzer
from ..language.neighbours import Neighbours, Vocabulary
from ..language.translation import DEFAULT_DICT_DIR, Translator
from ..semantic import background, static, static_background
from ..semantic.encoders import PassageEncoder, SentenceEncoder
from ..semantic.vectors import SentenceVectors
from ..sources.documents import MAX_SOURCE_BYTES, Document, SourceFile, list_folders
from ..timeline.events import Timeline
from . import decision, disagreement, features
from .corpus import Corpus, document_ranges
from .model import Models, model_file, sigmoid
from .question import detect_language
from .ranking import Ranker, Ranking
from .result import Result, passage_of

# An index backend: (local index, sentences, documents, doc_ranges) -> the index the
# corpus is served from (index.cluster.connect_index: a search cluster's).
IndexBackend = Callable[..., Index]

log = logging.getLogger(__name__)

K_MIN, K_MAX, K_DEFAULT = 1, 20, 5
# A saved index is updated (the changed files read, the rest kept) when at
# most this share of the files changed, and rebuilt otherwise: past half, the
# kept postings are most of a rebuild's work.
UPDATE_MAX_SHARE = 0.5
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


def _load_language_data() -> None:
    """Load what the language identifier, the lemma list and dateparser read
    on first use (module-level caches: once per process)."""
    detect_language("warm up")
    Analyzer("nl").index_terms("Zij trad af.")  # the Dutch lemma list, shared by every Analyzer
    answers.find_dates("begin dit jaar, 1 januari 2021", "2021-01", "en")


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
                 static_above: int | None = None, index_path: str | Path | None = None):
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
        which a static model is kept."""
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
        self.origin: snapshot.Saved | None = None  # from_folder's: what it was built from (the next base)
        self.semantic_search_max = SEMANTIC_SEARCH_MAX  # QA_SEMANTIC_SEARCH_MAX in the service
        self.static_above = STATIC_VECTORS_ABOVE if static_above is None else static_above
        self.index_path = None if index_path is None else Path(index_path)
        self.static_model: static.StaticModel | None = None  # the one that made the vectors, if static
        if prepared is None:
            prepared = snapshot.prepare(documents, self.analyzer, self.encoder)
        local = prepared.index
        ranges = document_ranges(prepared.sentences)
        index = local if index_backend is None else \
            index_backend(local, prepared.sentences, self.documents, ranges)
        self.corpus = Corpus(prepared.sentences, self.documents, index, prepared.casing, self.analyzer,
                             ranges)
        self._use_vectors(prepared)
        self._warm_up()
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
        if len(vectors) != len(self.sentences):
            return
        self._use_vectors(replace(self._prepared, vectors=vectors, vocabulary=vocabulary))
        if self.origin is not None:
            self.origin.prepared = self._prepared
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

    def _warm_up(self) -> None:
        """The language identifier, the lemma list, the encoder and dateparser
        load their data on first use (about 1 s together): pay that at start,
        before gunicorn forks, not on a user's first question."""
        _load_language_data()
        self.analyzer.index_terms("Zij trad af.")
        if self.encoder:
            self.encoder.encode(["warm up"])

    @classmethod
    def from_folder(cls, folder: str | Path | Sequence[str | Path],
                    dict_dir: str | Path | None = DEFAULT_DICT_DIR, semantic: bool = True,
                    index_path: str | Path | None = None, max_source_bytes: int = MAX_SOURCE_BYTES,
                    models: Models | None = None,
                    background_vectors: bool = False, background_save: bool = False,
                    base: snapshot.Saved | None = None, ingest_workers: int | None = None,
                    index_backend: IndexBackend | None = None, static_above: int | None = None) -> Engine:
        """The engine of a folder of sources. With `index_path`, a restart with
        unchanged files (names, sizes, modification times) loads the saved
        index and the documents in it without reading a source; a restart after
        a few changes reads only the changed files; otherwise the files are
        read, split and analysed on every core and the index saved.
        `base`: what the engine served until now was built from (its `origin`);
        without a saved index, a few changed files update a copy of it instead
        of a rebuild. `ingest_workers`: processes that read and analyse (default:
        every core; 1 in a serving process, whose worker must not wait on a pool).
        `background_vectors` (with `index_path`): the sentences' vectors, when
        there are none yet, are made by a separate process (background.py)
        while this engine answers without them. `background_save`: a new or
        updated index is written by a forked copy of this process, so that the
        engine is ready as soon as the index is built (2.6-4 s at 1M sentences).
        `index_backend`, `static_above`: see __init__."""
        # the language data loads while a saved index does (numpy's copies and the
        # model's decompression let the other thread run): restart at 1M 4.2 -> 2.9 s
        language_data = threading.Thread(target=_load_language_data, daemon=True)
        language_data.start()
        folders = [folder] if isinstance(folder, str | Path) else list(folder)
        files, shadowed = list_folders(folders)
        digest = snapshot.folder_fingerprint(files, semantic, max_source_bytes)
        settings = snapshot.folder_settings(semantic, max_source_bytes)
        cache_dir = _cache_dir(index_path)
        # Read, update and write the saved index as one step against the background encoder,
        # which saves its vectors into the same file (a forked saver takes the lock itself).
        exclusive = snapshot.writing(index_path) if index_path and not background_save else \
            contextlib.nullcontext()
        with exclusive:
            saved = snapshot.load_folder(index_path, settings) if index_path else None
            if saved is None and base is not None and base.settings == settings:
                saved = base
            language_data.join()  # before anything forks: a thread inside an import would hang a child
            words, changed = None, saved is None or saved.fingerprint != digest
            if not changed:
                log.info("loaded the saved index %s", index_path or "(unchanged)")
                documents, skipped, prepared = saved.documents, saved.skipped, saved.prepared
            elif saved is not None and sum(saved.files.get(f.name) != (f.size, f.mtime_ns) for f in files) \
                    <= UPDATE_MAX_SHARE * len(files):
                documents, skipped, prepared, _ = snapshot.update(
                    saved, files, Analyzer("nl"), max_source_bytes, ingest_workers)
            else:
                # (the words are counted for the encoder's vocabulary when it is made now)
                count = semantic and not (background_vectors and index_path)
                documents, skipped, built = ingest.build_folder(files, Analyzer("nl"), max_source_bytes,
                                                                ingest_workers, count_words=count)
                prepared = snapshot.Prepared(built.sentences, built.index, built.casing, None, None)
                words = built.words if count else None
            engine = cls(documents, [*skipped, *shadowed], dict_dir, semantic, models=models,
                         prepared=prepared, cache_dir=cache_dir, index_backend=index_backend,
                         static_above=static_above, index_path=index_path)
            engine.folder_digest = digest  # what the folders held: a watcher compares a new listing with it
            listing = {f.name: (f.size, f.mtime_ns) for f in files}
            engine.origin = snapshot.Saved(documents, skipped, prepared, digest, listing, settings)
            if not documents:
                log.warning("no readable .txt sources in %s: every question will be answered with null",
                            ", ".join(map(str, folders)))
            for entry in shadowed:
                log.warning("skipped %s: %s", entry["file"], entry["reason"])
            changed = changed or index_path is not None and snapshot.identity(index_path) is None
            return engine._finish(prepared, words, changed, index_path, background_vectors, background_save,
                                  files, settings)

    def _finish(self, prepared: snapshot.Prepared, words: Counter | None, changed: bool,
                index_path: str | Path | None, background_vectors: bool, background_save: bool,
                files: Sequence[SourceFile], settings: str) -> Engine:
        """from_folder's last steps: the vectors made now or left to the
        background encoder, and the index saved when it changed."""
        origin, digest = self.origin, self.folder_digest
        later = background_vectors and index_path is not None and prepared.vectors is None \
            and len(prepared.sentences) >= BACKGROUND_MIN_SENTENCES
        missing = prepared.vectors is None and not later or \
            prepared.vectors is not None and len(prepared.vectors) < len(prepared.sentences)
        if self.encoder is not None and missing:
            self._complete_vectors(prepared, words)
            changed = True
        encode_later = self.encoder is not None and later

        def save() -> bool:
            return saving.save_logged(index_path, prepared, origin.documents, digest, origin.skipped, files,
                                      settings)

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
                    self._vectors_from(index_path, digest, start=False)  # the saver starts it
                return self
        saved_now = save() if index_path and changed else True
        if encode_later:
            if saved_now:
                self._vectors_from(index_path, digest)
            else:  # the background process works on the saved index: without one, now
                self._complete_vectors(prepared, words)
        return self

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
