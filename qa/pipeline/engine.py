"""The question-answering engine, usable without Flask: sources in, cited
answers out. It wires the stages together in the order data flows:
sources -> sentences -> analysis -> index -> question -> features and
ranking (features.py, model.py) -> whether to answer (abstain.py) -> answer."""
from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import answer_kinds
from ..answer_kinds import ANSWER_DEPTH
from ..answer_kinds.name import holder_of
from ..index import ingest, snapshot
from ..index.bm25 import top_k
from ..language import spans as answers
from ..language.analysis import Analyzer, normalize
from ..language.lexicon import NUMBER, PRONOUN
from ..language.neighbours import Neighbours, Vocabulary
from ..language.sentences import KINDS, Sentence
from ..language.translation import DEFAULT_DICT_DIR, Translator
from ..semantic import background
from ..semantic.encoders import PassageEncoder, SentenceEncoder
from ..semantic.vectors import SentenceVectors
from ..sources.documents import MAX_SOURCE_BYTES, Document, SourceFile, list_folders
from . import abstain, features
from .model import RERANK_DEPTH, Models, model_file, sigmoid, two_stage
from .question import HISTORY_WEIGHT, Question, detect_language, read_question

log = logging.getLogger(__name__)

K_MIN, K_MAX, K_DEFAULT = 1, 20, 5
# A question's numbers count as written near a sentence this many sentences either side.
NUMBER_WINDOW = 2
# A typed answer is taken from a sentence with the question's names this
# close (or in its document's headline).
NAME_WINDOW = 2
# Content words (not stopwords) a sentence needs to be cited.
MIN_PASSAGE_WORDS = 2
# How many of BM25's and of the encoder's best sentences are ranked (the rest
# of a large corpus is never looked at).
CANDIDATES = 100
# Share of the shorter sentence's index terms found in the other above which
# two sentences are one fact (one quote, reported twice).
NEAR_DUPLICATE = 0.8
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


# Candidate sentences whose index terms are kept (the lru_cache's size before).
TERM_SETS_MAX = 65536


def _save_in_background(index_path: str | Path, save, then=None) -> int | None:
    """Fork a copy of this process that calls `save()` (and `then()` when it
    saved), and return its pid; None, when the caller should save itself: the
    folder cannot be written, or another thread runs (a fork copies no
    thread, so one holding a lock would leave the copy stuck)."""
    folder = Path(index_path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return None
    if threading.active_count() > 1:
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid:
        return pid
    status = 1
    try:
        if save():
            if then is not None:
                then()
            status = 0
    finally:
        os._exit(status)  # no cleanup of the parent's (copied) state


def _save(index_path: str | Path, prepared: snapshot.Prepared, documents: Sequence[Document], digest: str,
          skipped: Sequence[dict], files: Sequence[SourceFile] = (), settings: str = "") -> bool:
    try:
        snapshot.save(index_path, prepared, documents, digest, skipped, files, settings)
        log.info("saved the index to %s", index_path)
        return True
    except OSError as exc:
        log.warning("could not save the index to %s: %s", index_path, exc)
        return False


class _Stopwatch:
    """Milliseconds spent in each stage of a question, for debug output and the benchmark."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = (now - self._last) * 1000
        self._last = now


@dataclass
class Passage:
    source: str
    title: str
    date: str | None
    sentence: int
    text: str
    start: int
    end: int
    score: float
    sources: list[dict] = field(default_factory=list)  # every outlet with this sentence
    debug: dict | None = None

    def to_json(self, debug: bool = False) -> dict:
        # By hand: dataclasses.asdict deep-copies, which cost a tenth of a request.
        out = {"source": self.source, "title": self.title, "date": self.date, "sentence": self.sentence,
               "text": self.text, "start": self.start, "end": self.end, "score": self.score,
               "sources": [dict(s) for s in self.sources]}
        if debug:
            out["debug"] = self.debug
        return out


@dataclass
class Result:
    answer: str | None
    passages: list[Passage]
    question: Question
    coverage: float = 0.0
    confidence: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)  # per stage of ask()

    def to_json(self, debug: bool = False) -> dict:
        out = {"answer": self.answer, "confidence": round(self.confidence, 4),
               "passages": [p.to_json(debug) for p in self.passages]}
        if debug:
            q = self.question
            out["debug"] = {
                "language": q.language, "answer_type": q.answer_type, "follow_up": q.follow_up,
                "coverage": round(self.coverage, 4), "confidence": round(self.confidence, 4),
                "query": [{"label": t.label, "terms": list(t.members), "weight": t.weight}
                          for t in q.query],
                "timings_ms": {stage: round(ms, 3) for stage, ms in self.timings_ms.items()},
            }
        return out


@dataclass
class Ranking:
    """One question's candidate sentences, their features and scores."""

    question: Question
    parts: list
    ids: np.ndarray  # candidate sentence ids, ascending
    lexical: np.ndarray  # BM25 of each
    semantic: np.ndarray | None  # cosine similarity of each
    X: np.ndarray  # features (features.names()), one row per candidate
    logits: np.ndarray  # stage 2's for the ones it read, stage 1's below them for the rest
    order: np.ndarray  # positions in ids, best first


class Engine:
    def __init__(self, documents: Sequence[Document], skipped: Sequence[dict] = (),
                 dict_dir: str | Path | None = DEFAULT_DICT_DIR, semantic: bool = True,
                 index_path: str | Path | None = None, models: Models | None = None,
                 prepared: snapshot.Prepared | None = None, cache_dir: str | Path | None = None):
        """Index `documents`. With `index_path`, the index saved there is used
        when it was built from these documents, and (re)written otherwise.
        `models`: the fitted ranking and abstention models (default: the
        package's, written by `make train`, fitted for an engine with or without
        the encoder and the dictionaries, as this one is). `prepared`: the
        index of `documents`, already built or loaded (see from_folder).
        `cache_dir`: where to keep what the language resources derive at start
        (default: a "cache" folder beside the saved index, if there is one)."""
        self.documents = {d.id: d for d in documents}
        self.skipped = list(skipped)
        self.analyzer = Analyzer("nl")
        cache_dir = cache_dir or _cache_dir(index_path)
        self.translator = _translator(str(dict_dir), cache_dir) if dict_dir else None
        self._models_given = models is not None
        self.models = models  # the package's are chosen in _use_vectors: with or without the encoder's
        self.encoder = _encoder() if semantic else None
        self.passage_encoder = _passage_encoder() if semantic else None
        self._pending: tuple[Path, str] | None = None  # (saved index, fingerprint) whose vectors are awaited
        self._saver: int | None = None  # the process writing the index (from_folder's background_save)
        self.folder_digest: str | None = None  # from_folder's: the fingerprint of the files it read
        self.origin: snapshot.Saved | None = None  # from_folder's: what it was built from (the next base)
        self.semantic_search_max = SEMANTIC_SEARCH_MAX  # QA_SEMANTIC_SEARCH_MAX in the service
        if prepared is None:
            source_digest = snapshot.fingerprint(documents, self.analyzer, self.encoder is not None)
            prepared = snapshot.load(index_path, documents, source_digest) if index_path else None
            if prepared is None:
                prepared = snapshot.prepare(documents, self.analyzer, self.encoder)
                if index_path:
                    _save(index_path, prepared, documents, source_digest, skipped)
            else:
                log.info("loaded the saved index %s", index_path)
        self.sentences = prepared.sentences
        self.index = prepared.index
        self.casing = prepared.casing
        self._use_vectors(prepared)
        # Index terms of the sentences that come up as candidates, for _distinct.
        self._term_sets: dict[int, frozenset[str]] = {}
        self._warm_up()
        table = self.sentences
        self._heading = table.kind == KINDS.index("heading")
        # Whether each sentence matches a pattern (a pronoun, a denial, ...): found when first
        # asked, then kept, -1 until then; the sentences come back question after question.
        self._matches: dict[re.Pattern, np.ndarray] = {}
        # Each document's sentences are consecutive: [first, end) per document id.
        firsts = np.flatnonzero(np.r_[True, table.doc[1:] != table.doc[:-1]]) if len(table) else \
            np.empty(0, dtype=np.int64)
        ends = np.r_[firsts[1:], len(table)].astype(np.int64) if len(table) else firsts
        self._doc_range = {table.documents[int(table.doc[f])].id: (int(f), int(e))
                           for f, e in zip(firsts.tolist(), ends.tolist(), strict=True)}
        self._position = table.index.astype(np.int64)
        self._document = np.repeat(np.arange(len(firsts), dtype=np.int64), ends - firsts)
        log.info("indexed %d sentences from %d sources (%d skipped)",
                 len(self.sentences), len(self.documents), len(self.skipped))

    def _term_set(self, i: int) -> frozenset[str]:
        """Index terms of a sentence that came up as a candidate (for _distinct),
        kept for the next questions. A method and a dict, not a closure over self:
        without a reference cycle an engine replaced by a newer one is freed at once."""
        found = self._term_sets.get(i)
        if found is None:
            if len(self._term_sets) >= TERM_SETS_MAX:
                self._term_sets.clear()
            found = self._term_sets[i] = frozenset(self.analyzer.terms(self.sentences[i].text))
        return found

    def _complete_vectors(self, prepared: snapshot.Prepared, words: Counter | None) -> None:
        """The encoder's vectors of the sentences that have none yet (those
        after len(prepared.vectors)), and of the vocabulary's words (from the
        `words` counted, or the sentences) if there is no vocabulary yet."""
        table = prepared.sentences
        have = 0 if prepared.vectors is None else len(prepared.vectors)
        new = SentenceVectors.quantize(self.encoder.encode([table[i].text for i in range(have, len(table))]))
        prepared.vectors = new if prepared.vectors is None else prepared.vectors.append(new)
        if prepared.vocabulary is None:
            prepared.vocabulary = Vocabulary.from_counts(words, self.encoder) if words is not None else \
                Vocabulary.build((s.text for s in table), self.analyzer, self.encoder)
        self._use_vectors(prepared)

    def _use_vectors(self, prepared: snapshot.Prepared) -> None:
        self._prepared = prepared  # its index stays the in-process one when a cluster serves
        self.vectors = prepared.vectors
        self.neighbours = None
        if self.encoder is not None and prepared.vocabulary is not None:
            self.neighbours = Neighbours(prepared.vocabulary, self.encoder, self.analyzer,
                                         self.index.vocabulary.__contains__)
        if not self._models_given:  # the encoder's models only once there are vectors to use them on
            # the encoders' models need both: USE's vectors and multilingual-e5
            semantic = self.vectors is not None and self.passage_encoder is not None
            self.models = Models.load(model_file(semantic, self.translator is not None))
        if self.vectors is not None and self.passage_encoder is not None and \
                len(prepared.sentences) <= PASSAGE_WARM_MAX:
            self.passage_encoder.sentence_vectors([s.text for s in prepared.sentences])

    def _vectors_from(self, index_path: str | Path, fingerprint: str, start: bool = True) -> None:
        """Start the background encoding of the index saved at `index_path`
        (unless `start` is False: someone else does) and look for its vectors
        from now on (poll_vectors)."""
        self._pending = (Path(index_path), fingerprint)
        self._index_seen = snapshot.identity(index_path)
        self._last_poll = time.monotonic()
        if start:
            background.start(index_path)

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
                    base: snapshot.Saved | None = None, ingest_workers: int | None = None) -> Engine:
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
        engine is ready as soon as the index is built (2.6-4 s at 1M sentences)."""
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
                         prepared=prepared, cache_dir=cache_dir)
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
            return _save(index_path, prepared, origin.documents, digest, origin.skipped, files, settings)

        if index_path and changed and background_save:
            master = os.getpid()

            def save_exclusively() -> bool:
                with snapshot.writing(index_path):
                    return save()

            self._saver = _save_in_background(
                index_path, save_exclusively,
                then=(lambda: background.start(index_path, parent=master)) if encode_later else None)
            if self._saver is not None:
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

    @property
    def doc_ranges(self) -> dict[str, tuple[int, int]]:
        """Each document's sentences: [first, end) by document id, in sentence order."""
        return self._doc_range

    def sentences_of(self, doc_id: str) -> list[Sentence]:
        first, end = self._doc_range.get(doc_id, (0, 0))
        return self.sentences[first:end]

    def ask(self, question: str, history: Sequence[dict] = (), k: int = K_DEFAULT) -> Result:
        if not K_MIN <= k <= K_MAX:
            raise ValueError(f"k must be between {K_MIN} and {K_MAX}")
        self.poll_vectors()
        clock = _Stopwatch()
        ranking = self.rank(question, history, clock=clock)
        q = ranking.question
        best, copies = self._distinct(ranking.ids[ranking.order], k)
        clock.lap("rank")
        at = {int(c): n for n, c in enumerate(ranking.ids)}
        probability = sigmoid(ranking.logits)
        passages = [self._passage(int(i), float(probability[at[int(i)]]), ranking.parts,
                                  float(ranking.lexical[at[int(i)]]),
                                  None if ranking.semantic is None else float(ranking.semantic[at[int(i)]]),
                                  copies[int(i)])
                    for i in best]
        chosen = [at[int(i)] for i in best]
        for passage, n in zip(passages, chosen, strict=True):
            passage.debug["features"] = {name: round(float(v), 4)
                                         for name, v in zip(features.names(), ranking.X[n], strict=True)}
        short = answer_kinds.short_answer(self, q, best) if passages else None
        confidence = 0.0
        if passages:
            missing = answer_kinds.asked_type(q) is not None and short is None
            signals = self.abstention_signals(q, ranking.ids, ranking.X, ranking.logits, best, missing)
            answerable = float(self.models.abstain.probability(signals))
            confidence = float(self.models.confidence.calibrated(self.models.confidence.probability(signals)))
        answer = None
        if passages and answerable >= self.models.abstain.threshold:
            sure = short is not None and self.span_probability(short, q, probability[chosen], answerable) >= \
                self.models.span.threshold
            answer = short.text if sure else self.sentences[self.answer_sentence(best)].text
        clock.lap("answer")
        coverage = float(ranking.X[chosen[0], features.names().index("coverage")]) if chosen else 0.0
        return Result(answer, passages, q, coverage, confidence, clock.laps)

    def abstention_signals(self, q: Question, ids: np.ndarray, X: np.ndarray, logits: np.ndarray,
                           best: np.ndarray, answer_missing: bool) -> np.ndarray:
        """What the abstention model reads (abstain.names()) of the passages
        `best` (sentence ids, best first) of the candidates `ids` with features
        `X` and scores `logits`; `answer_missing`: no short answer of the asked
        type was found in them (see answer_missing)."""
        at = {int(c): n for n, c in enumerate(ids)}
        chosen = [at[int(i)] for i in best[:abstain.DEPTH]]
        ranked = abstain.Ranked(q, X[chosen], logits[chosen], self._unknown_name(q), answer_missing)
        return abstain.signals(ranked)

    def span_probability(self, short: answer_kinds.Short, q: Question, probabilities: np.ndarray,
                         confidence: float) -> float:
        """The span model's probability that `short` is right (`probabilities`:
        the ranking model's, of the best passages in order)."""
        signals = answer_kinds.span_signals(short, q, probabilities, confidence)
        return float(self.models.span.probability(signals))

    def answer_missing(self, q: Question, best: np.ndarray) -> bool:
        """A short answer is asked for and none of the passages `best` holds one."""
        return answer_kinds.asked_type(q) is not None and \
            (not len(best) or answer_kinds.short_answer(self, q, best) is None)

    def rank(self, question: str, history: Sequence[dict] = (), full: bool = False,
             clock: _Stopwatch | None = None, previous: bool = True) -> Ranking:
        """The question's candidate sentences with their features, ordered by
        the fitted models: stage 1 (`retrieve`) over every candidate, stage 2
        (`rerank`) over its best RERANK_DEPTH. With `full`, the stage 2
        features are computed for every candidate (for training)."""
        clock = clock or _Stopwatch()
        q = read_question(question, history, self.analyzer, self.translator, self.neighbours)
        clock.lap("question")
        # Candidates: BM25's best and the encoder's best; only they are ranked.
        parts = self.index.parts(q.query)
        lexical_ids, lexical_best = self.index.top(parts, CANDIDATES)
        clock.lap("bm25")
        vector = self._question_vector(q, history)
        # Over all sentences the encoder finds candidates BM25 misses; past
        # semantic_search_max sentences that costs more than a question may,
        # and it only scores BM25's candidates.
        semantic_all = None if vector is None or len(self.vectors) > self.semantic_search_max else \
            self.vectors.similarities(vector)
        candidates = lexical_ids if semantic_all is None else \
            np.union1d(lexical_ids, top_k(semantic_all, CANDIDATES))
        candidates = np.sort(candidates).astype(np.int64)
        if q.answer_type == "what" and self._asks_for_a_name(q, lexical_ids[:RERANK_DEPTH]):
            q = replace(q, answer_type="who")
        if q.answer_type == "why":  # the reason may be told in the sentence after the event
            candidates = np.union1d(candidates, self._following(candidates))
        # A section label ("Coach") or a stray fragment ("Hij zegt:") states nothing to cite.
        candidates = candidates[self.index.doc_len[candidates] >= MIN_PASSAGE_WORDS]
        # the features read the scores of the candidates and of the sentences either side
        parts = self.index.covering(parts, np.r_[candidates - 1, candidates, candidates + 1])
        clock.lap("encoder")
        cited = self._previously_cited(history) if previous and q.follow_up else frozenset()
        found = features.Candidates(
            self, q, candidates, parts, self.index.scores_of(parts, candidates),
            None if vector is None else semantic_all[candidates] if semantic_all is not None else
            self.vectors.rows(candidates).similarities(vector),
            float(lexical_best[0]) if len(lexical_best) else 0.0, cited,
            close=None if self.passage_encoder is None or vector is None else self._closeness(q.text))
        everyone = np.arange(len(candidates))
        n1 = len(features.names(stage=1))
        if full:
            X = features.matrix(found, everyone, stage=2)
        else:
            X = np.zeros((len(candidates), len(features.names())))
            X[:, :n1] = features.matrix(found, everyone, stage=1)

        def stage2(rows: np.ndarray) -> np.ndarray:
            if not full:
                X[rows] = features.matrix(found, rows, stage=2)
            return X[rows]

        logits, order = two_stage(self.models.retrieve, self.models.rerank, X[:, :n1], stage2)
        return Ranking(q, parts, candidates, found.lexical, found.semantic, X, logits, order)

    def _closeness(self, question: str) -> Callable[[np.ndarray], np.ndarray]:
        """The passage encoder's cosine of the question to sentences (by id);
        the question is encoded when first asked for."""
        asked: list[np.ndarray] = []

        def close(ids: np.ndarray) -> np.ndarray:
            if not asked:
                asked.append(self.passage_encoder.encode([question])[0])
            texts = [self.sentences[int(i)].text for i in ids]
            return self.passage_encoder.sentence_vectors(texts) @ asked[0] if texts else np.zeros(0)

        return close

    def _previously_cited(self, history: Sequence[dict]) -> frozenset[int]:
        """The sentences the service cited for the last question of `history`
        (asked again: the server keeps no state)."""
        turns = [n for n, t in enumerate(history) if t.get("role") == "user" and t.get("content", "").strip()]
        if not turns:
            return frozenset()
        last = turns[-1]
        earlier = self.rank(history[last]["content"], history[:last], previous=False)
        best, _ = self._distinct(earlier.ids[earlier.order], ANSWER_DEPTH)
        return frozenset(int(i) for i in best)

    def _unknown_name(self, q: Question) -> bool:
        """The question names someone or something the sources never mention
        (nor any translation of it): 'the mayor of Rotterdam' over sources
        that never name Rotterdam cannot be answered from them. The same for
        the kind of thing a which/what question asks for: 'What salary did
        she earn?' over sources that never mention a salary."""
        asked_for = q.intent.names | ({q.intent.kind} if q.intent.kind else set())
        return any(t.label in asked_for and not any(m in self.index.vocabulary for m in t.members)
                   for t in q.terms)

    def numbers_missing(self, q: Question, ids: np.ndarray) -> np.ndarray:
        """For each sentence, whether a number or year the question names is
        written neither in it nor in the NUMBER_WINDOW sentences around it
        ('Who won the 2022 elections?' over sources that never mention 2022)."""
        numbers = q.intent.numbers
        if not numbers:
            return np.zeros(len(ids), dtype=bool)
        return np.array([bool(numbers - {n for j in self._window(int(i), NUMBER_WINDOW)
                                         for n in NUMBER.findall(self.sentences[j].text)}) for i in ids])

    def names_missing(self, q: Question, ids: np.ndarray) -> np.ndarray:
        """For each sentence, whether a name of the question is written neither
        near it (NAME_WINDOW sentences either side) nor in its headline."""
        named = self.named_terms(q)
        if not named:
            return np.zeros(len(ids), dtype=bool)
        return np.array([not self.names_near(int(i), named) for i in ids])

    def _asks_for_a_name(self, q: Question, ids: np.ndarray) -> bool:
        """'Which board runs the school?' asks for a name when the sources
        write that kind of thing before a name ("het schoolbestuur Stichting
        Leerrijk"), as for the kinds question.py knows ("which party")."""
        if not q.intent.focus:
            return False
        kind = normalize(q.intent.focus)
        return any(holder_of(self, q, kind, self.sentences[int(i)]) for i in ids)

    def _following(self, ids: np.ndarray) -> np.ndarray:
        """The sentence after each of `ids` in the same document."""
        return np.array([i + 1 for i in map(int, ids) if i + 1 < len(self.sentences)
                         and self.sentences[i + 1].doc_id == self.sentences[i].doc_id], dtype=np.int64)

    def _window(self, i: int, width: int) -> range:
        """Sentence i and up to `width` sentences either side, within its document."""
        first, end = self._doc_range[self.sentences[i].doc_id]
        return range(max(first, i - width), min(end, i + width + 1))

    def _question_vector(self, q: Question, history: Sequence[dict]) -> np.ndarray | None:
        """The encoder's vector of the question (with the turn before, for a
        follow-up); None without the encoder or the sentences' vectors."""
        if self.encoder is None or self.vectors is None:
            return None
        vector = self.encoder.encode([q.text])[0]
        if q.follow_up:
            earlier = " ".join(t.get("content", "") for t in history[-2:])
            if earlier.strip():
                vector = vector + HISTORY_WEIGHT * self.encoder.encode([earlier])[0]
                vector /= np.linalg.norm(vector)
        return vector

    def _distinct(self, ranked: np.ndarray, k: int) -> tuple[np.ndarray, dict[int, list[int]]]:
        """The first k ranked sentences that say different things. A sentence
        that nearly repeats a better one (the same quote in another outlet)
        is folded into it as a corroborating source."""
        kept: list[int] = []
        copies: dict[int, list[int]] = {}
        term_sets: list[set[str]] = []
        for i in map(int, ranked):
            terms = self._term_set(i)
            # A headline and the sentence that tells it in full are not one
            # quote twice: the sentence has the details, the headline the gist.
            heading = self.sentences[i].kind == "heading"
            twin = next((kept[j] for j, seen in enumerate(term_sets)
                         if min(len(terms), len(seen)) >= 3
                         and (self.sentences[kept[j]].kind == "heading") == heading
                         and len(terms & seen) / min(len(terms), len(seen)) >= NEAR_DUPLICATE), None)
            if twin is not None:
                copies[twin].append(i)
            elif len(kept) < k:
                kept.append(i)
                copies[i] = [i]
                term_sets.append(terms)
        return np.array(kept, dtype=np.int64), copies

    def _passage(self, i: int, score: float, parts, lexical: float, semantic: float | None,
                 copies: list[int]) -> Passage:
        s = self.sentences[i]
        doc = self.documents[s.doc_id]
        matched = {}
        for part in parts:
            at = np.searchsorted(part.sentences, i)
            if at < len(part.sentences) and part.sentences[at] == i:
                matched[part.term.label] = round(float(part.scores[at]), 6)
        return Passage(s.doc_id, doc.title, doc.date, s.index, s.text, s.start, s.end, score,
                       sources=[{"source": self.sentences[c].doc_id, "sentence": self.sentences[c].index,
                                 "start": self.sentences[c].start, "end": self.sentences[c].end}
                                for c in copies],
                       debug={"bm25": round(lexical, 6), "terms": matched,
                              "semantic": None if semantic is None else round(semantic, 6)})

    # ---- what the features read (features.py) ----

    def answer_sentence(self, best: np.ndarray) -> int:
        """The sentence given as the answer when there is no short one: the best
        passage that is not a headline (a headline sums up, it does not answer;
        the headline is still cited among the passages), else the best."""
        body = best[~self._heading[best]] if len(best) else best
        return int(body[0]) if len(body) else int(best[0])

    def is_heading(self, ids: np.ndarray) -> np.ndarray:
        return self._heading[ids]

    def position(self, ids: np.ndarray) -> np.ndarray:
        """Each sentence's number within its article."""
        return self._position[ids]

    def same_document(self, ids: np.ndarray, others: np.ndarray) -> np.ndarray:
        """Whether each of `others` is a sentence of the same article as the one in `ids`."""
        valid = (others >= 0) & (others < len(self.sentences))
        safe = np.where(valid, others, ids)
        return valid & (self._document[safe] == self._document[ids])

    def coverages(self, parts, candidates: np.ndarray) -> np.ndarray:
        """For each candidate sentence, the share of the query's weighted idf
        mass it matches (Lucene's old coordination factor, by idf): a sentence
        that matches more of the question's words beats one that repeats one
        rare word."""
        known, total = self._coverable(parts)
        out = np.zeros(len(candidates))
        if total <= 0:
            return out
        for p in known:
            if len(p.sentences):
                at = np.minimum(np.searchsorted(p.sentences, candidates), len(p.sentences) - 1)
                out[p.sentences[at] == candidates] += p.term.weight * self._term_idf(p) / total
        return out

    def matching(self, pattern: re.Pattern, ids: np.ndarray) -> np.ndarray:
        """Whether each sentence of `ids` matches `pattern` (cached per sentence)."""
        known = self._matches.setdefault(pattern, np.full(len(self.sentences), -1, dtype=np.int8))
        for i in ids[known[ids] < 0]:
            known[i] = bool(pattern.search(self.sentences[int(i)].text))
        return known[ids] == 1

    def _coverable(self, parts) -> tuple[list, float]:
        """The query parts a passage's coverage counts, and their idf mass. An
        English word no dictionary translates counts when the sources write
        it too: "curator", "hotel" are Dutch words as well."""
        known = [p for p in parts if p.term.known or p.occurs]
        return known, sum(p.term.weight * self._term_idf(p) for p in known)

    def antecedents(self, q: Question, parts, candidates: np.ndarray) -> np.ndarray:
        """For each candidate that speaks of someone by a pronoun ("mailde
        Ivens haar"), the idf share of the question's names written in the
        sentence before it and not in it ("een vrouw, Amber, haar verhaal")."""
        out = np.zeros(len(candidates))
        named = [p for p in parts if p.term.label in q.intent.names and p.occurs]
        _, total = self._coverable(parts)
        if not named or not len(candidates) or total <= 0:
            return out
        previous = candidates - 1
        has_previous = self.same_document(candidates, previous)
        pronoun = self.matching(PRONOUN, candidates)
        for part in named:
            here = self.index.scores_of([part], candidates) > 0
            before = self.index.scores_of([part], np.where(has_previous, previous, candidates))
            credit = ~here & has_previous & pronoun & (before > 0)
            out[credit] += part.term.weight * self._term_idf(part) / total
        return out

    def _term_idf(self, part) -> float:
        # A term the sources never use still counts, with the idf of a term seen once.
        return part.idf if part.occurs else self.index.idf_of(1)

    def named_terms(self, q: Question) -> list[frozenset[str]]:
        """The terms of the names the question uses that the sources know."""
        names = q.intent.names
        return [frozenset(m for m in t.members if m in self.index.vocabulary) for t in q.terms
                if t.label in names and any(m in self.index.vocabulary for m in t.members)]

    def names_near(self, i: int, named: list[frozenset[str]]) -> bool:
        """Every name of the question is written near sentence i (NAME_WINDOW
        sentences either side) or in its document's headline: an amount
        beside "Hof van Twente" in another article is not what Hof van Twente paid."""
        first, _ = self._doc_range[self.sentences[i].doc_id]
        near = set().union(*(self._term_set(j) for j in {*self._window(i, NAME_WINDOW), first}))
        return all(terms & near for terms in named)
