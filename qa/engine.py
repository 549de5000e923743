"""The question-answering engine, usable without Flask: sources in, cited
answers out. It wires the stages together in the order data flows:
sources -> sentences -> analysis -> index -> question -> features and
ranking (ranking/) -> whether to answer (abstain.py) -> answer."""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import abstain, snapshot
from . import answer as answers
from .analysis import Analyzer, normalize, stopwords
from .index import top_k
from .lexicon import (
    AGE,
    BOUNDS,
    CAUSE_FOLLOWS,
    COPULA_FOCUS,
    COUNT,
    EARLIER,
    FOCUS,
    FUTURE,
    GENERIC_COUNTS,
    KIND_FOCUS,
    LOCATIVE,
    MEASURES,
    NEW_ROLE,
    NUMBER,
    PLACE_BEFORE,
    PLACE_ROLES,
    PRONOUN,
    PUBLICATION,
    REASON,
    SHARE,
    TIME_OF_DAY,
    TIME_UNIT,
    WHO_IS,
    WHO_IS_ROLE,
)
from .neighbours import Neighbours
from .question import (
    CHANGE,
    HISTORY_WEIGHT,
    MONEY,
    Question,
    detect_language,
    names_in,
    read_question,
)
from .ranking import features
from .ranking.model import LEXICAL_MODEL_FILE, MODEL_FILE, RERANK_DEPTH, Models, sigmoid, two_stage
from .semantic import SentenceEncoder
from .sentences import Sentence
from .sources import MAX_SOURCE_BYTES, Document, load_sources
from .translation import DEFAULT_DICT_DIR, Translator

log = logging.getLogger(__name__)

K_MIN, K_MAX, K_DEFAULT = 1, 20, 5
# How many of the best passages a short answer may come from.
ANSWER_DEPTH = 3
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
# The values of the type-fit features (the models weigh them): the person
# holding the role asked about named in full ("burgemeester Femke Halsema"
# introduces her; later mentions say "Halsema") fits more than a name, an amount
# without its number ("tientallen schepen") less than one with it, a time told
# only from an event ("na twee dagen") not at all as a sign of a passage about when.
FULL_NAME_FIT = 1.5
VAGUE_FIT = 0.5
RELATIVE_TIME_FIT = 0.0
# Share of the shorter sentence's index terms found in the other above which
# two sentences are one fact (one quote, reported twice).
NEAR_DUPLICATE = 0.8
TYPED_ANSWERS = ("when", "how_many", "who", "where")
# Words either side of a candidate answer in which the question's words count
# towards choosing it.
SPAN_WINDOW = 4
# A Dutch count's noun is looked for among this many words after the number.
COUNTED_WITHIN = 3


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
    asked: set[str]
    parts: list
    ids: np.ndarray  # candidate sentence ids, ascending
    lexical: np.ndarray  # BM25 of each
    semantic: np.ndarray | None  # cosine similarity of each
    X: np.ndarray  # features (features.names()), one row per candidate
    logits: np.ndarray  # stage 2's for the ones it read, stage 1's below them for the rest
    order: np.ndarray  # positions in ids, best first


def _bound_asked(q: Question):
    """The (asks, written) pair of BOUNDS an "until when" question asks about; None otherwise."""
    return next((b for b in BOUNDS if b[0].search(q.text)), None) if q.answer_type == "when" else None


class Engine:
    def __init__(self, documents: Sequence[Document], skipped: Sequence[dict] = (),
                 dict_dir: str | Path | None = DEFAULT_DICT_DIR, semantic: bool = True,
                 index_path: str | Path | None = None, models: Models | None = None):
        """Index `documents`. With `index_path`, the index saved there is used
        when it was built from these documents, and (re)written otherwise.
        `models`: the fitted ranking and abstention models (default: the
        package's, written by `make train`, fitted with or without the encoder)."""
        self.models = models or Models.load(MODEL_FILE if semantic else LEXICAL_MODEL_FILE)
        self.documents = {d.id: d for d in documents}
        self.skipped = list(skipped)
        self.analyzer = Analyzer("nl")
        self.translator = Translator.from_freedict(dict_dir, self.analyzer) if dict_dir else None
        self.encoder = SentenceEncoder.load() if semantic else None
        source_digest = snapshot.fingerprint(documents, self.analyzer, self.encoder is not None)
        prepared = snapshot.load(index_path, documents, source_digest) if index_path else None
        if prepared is None:
            prepared = snapshot.prepare(documents, self.analyzer, self.encoder)
            if index_path:
                try:
                    snapshot.save(index_path, prepared, documents, source_digest)
                    log.info("saved the index to %s", index_path)
                except OSError as exc:
                    log.warning("could not save the index to %s: %s", index_path, exc)
        else:
            log.info("loaded the saved index %s", index_path)
        self.sentences = prepared.sentences
        self.index = prepared.index
        self.casing = prepared.casing
        self.vectors = prepared.vectors
        self.neighbours = None
        if self.encoder is not None and prepared.vocabulary is not None:
            self.neighbours = Neighbours(prepared.vocabulary, self.encoder, self.analyzer,
                                         self.index.vocabulary.__contains__)
        # Index terms of the sentences that come up as candidates, for _distinct.
        self._term_set = lru_cache(maxsize=65536)(
            lambda i: frozenset(self.analyzer.terms(self.sentences[i].text)))
        self._warm_up()
        self._heading = np.array([s.kind == "heading" for s in self.sentences], dtype=bool)
        # Whether each sentence matches a pattern (a pronoun, a denial, ...): found when first
        # asked, then kept, -1 until then; the sentences come back question after question.
        self._matches: dict[re.Pattern, np.ndarray] = {}
        self._doc_range: dict[str, tuple[int, int]] = {}
        for i, s in enumerate(self.sentences):
            first, _ = self._doc_range.get(s.doc_id, (i, i))
            self._doc_range[s.doc_id] = (first, i + 1)
        self._position = np.array([i - self._doc_range[s.doc_id][0] for i, s in enumerate(self.sentences)],
                                  dtype=np.int64)
        documents_in_order = {doc_id: n for n, doc_id in enumerate(self._doc_range)}
        self._document = np.array([documents_in_order[s.doc_id] for s in self.sentences], dtype=np.int64)
        log.info("indexed %d sentences from %d sources (%d skipped)",
                 len(self.sentences), len(self.documents), len(self.skipped))

    def _warm_up(self) -> None:
        """The language identifier, the lemma list, the encoder and dateparser
        load their data on first use (about 3.5 s together): pay that at
        start, before gunicorn forks, not on a user's first question."""
        detect_language("warm up")
        self.analyzer.index_terms("Zij trad af.")  # loads the Dutch lemma list (about a second)
        if self.encoder:
            self.encoder.encode(["warm up"])
        answers.find_dates("begin dit jaar, 1 januari 2021", "2021-01", "en")

    @classmethod
    def from_folder(cls, folder: str | Path, dict_dir: str | Path | None = DEFAULT_DICT_DIR,
                    semantic: bool = True, index_path: str | Path | None = None,
                    max_source_bytes: int = MAX_SOURCE_BYTES, models: Models | None = None) -> Engine:
        documents, skipped = load_sources(folder, max_source_bytes)
        return cls(documents, skipped, dict_dir, semantic, index_path, models)

    def sentences_of(self, doc_id: str) -> list[Sentence]:
        first, end = self._doc_range.get(doc_id, (0, 0))
        return self.sentences[first:end]

    def ask(self, question: str, history: Sequence[dict] = (), k: int = K_DEFAULT) -> Result:
        if not K_MIN <= k <= K_MAX:
            raise ValueError(f"k must be between {K_MIN} and {K_MAX}")
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
        short = self._short_answer(q, ranking.asked, best) if passages else None
        confidence = 0.0
        if passages:
            signals = self.abstention_signals(q, ranking.ids, ranking.X, ranking.logits, best, short is None)
            confidence = float(self.models.abstain.probability(signals))
        answer = None
        if passages and confidence >= self.models.abstain.threshold:
            answer = short or self.sentences[best[0]].text
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

    def answer_missing(self, q: Question, asked: set[str], best: np.ndarray) -> bool:
        """No short answer of the asked type in the passages `best`."""
        return not len(best) or self._short_answer(q, asked, best) is None

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
        semantic_all = self._semantic(q, history)
        candidates = lexical_ids if semantic_all is None else \
            np.union1d(lexical_ids, top_k(semantic_all, CANDIDATES))
        candidates = np.sort(candidates).astype(np.int64)
        asked = self._asked(q, history)
        if q.answer_type == "what" and self._asks_for_a_name(q, lexical_ids[:RERANK_DEPTH], asked):
            q = replace(q, answer_type="who")
        if q.answer_type == "why":  # the reason may be told in the sentence after the event
            candidates = np.union1d(candidates, self._following(candidates))
        # A section label ("Coach") or a stray fragment ("Hij zegt:") states nothing to cite.
        candidates = candidates[self.index.doc_len[candidates] >= MIN_PASSAGE_WORDS]
        clock.lap("encoder")
        cited = self._previously_cited(history) if previous and q.follow_up else frozenset()
        found = features.Candidates(
            self, q, candidates, parts, self.index.scores_of(parts, candidates),
            None if semantic_all is None else semantic_all[candidates],
            float(lexical_best[0]) if len(lexical_best) else 0.0, asked, cited)
        everyone = np.arange(len(candidates))
        n1 = len(features.names(stage=1))
        X = np.zeros((len(candidates), len(features.names())))
        X[:, :n1] = features.matrix(found, everyone, stage=1)
        if full:
            X = features.matrix(found, everyone, stage=2)

        def stage2(rows: np.ndarray) -> np.ndarray:
            if not full:
                X[rows] = features.matrix(found, rows, stage=2)
            return X[rows]

        logits, order = two_stage(self.models.retrieve, self.models.rerank, X[:, :n1], stage2)
        return Ranking(q, asked, parts, candidates, found.lexical, found.semantic, X, logits, order)

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
        names = names_in(q.text)
        focus = KIND_FOCUS.search(q.text) or COPULA_FOCUS.search(q.text)
        asked_for = names | ({normalize(focus.group(2))} if focus else set())
        return any(t.label in asked_for and not any(m in self.index.vocabulary for m in t.members)
                   for t in q.terms)

    def numbers_missing(self, q: Question, ids: np.ndarray) -> np.ndarray:
        """For each sentence, whether a number or year the question names is
        written neither in it nor in the NUMBER_WINDOW sentences around it
        ('Who won the 2022 elections?' over sources that never mention 2022)."""
        numbers = set(NUMBER.findall(q.text))
        if not numbers:
            return np.zeros(len(ids), dtype=bool)
        return np.array([bool(numbers - {n for j in self._window(int(i), NUMBER_WINDOW)
                                         for n in NUMBER.findall(self.sentences[j].text)}) for i in ids])

    def names_missing(self, q: Question, ids: np.ndarray) -> np.ndarray:
        """For each sentence, whether a name of the question is written neither
        near it (NAME_WINDOW sentences either side) nor in its headline."""
        named = self._named_terms(q)
        if not named:
            return np.zeros(len(ids), dtype=bool)
        return np.array([not self._names_near(int(i), named) for i in ids])

    def _asks_for_a_name(self, q: Question, ids: np.ndarray, asked: set[str]) -> bool:
        """'Which board runs the school?' asks for a name when the sources
        write that kind of thing before a name ("het schoolbestuur Stichting
        Leerrijk"), as for the kinds question.py knows ("which party")."""
        focus = FOCUS.search(q.text)
        if not focus:
            return False
        kind = normalize(focus.group(2))
        return any(self._holder_of(q, kind, self.sentences[int(i)], asked) for i in ids)

    def _following(self, ids: np.ndarray) -> np.ndarray:
        """The sentence after each of `ids` in the same document."""
        return np.array([i + 1 for i in map(int, ids) if i + 1 < len(self.sentences)
                         and self.sentences[i + 1].doc_id == self.sentences[i].doc_id], dtype=np.int64)

    def _window(self, i: int, width: int) -> range:
        """Sentence i and up to `width` sentences either side, within its document."""
        first, end = self._doc_range[self.sentences[i].doc_id]
        return range(max(first, i - width), min(end, i + width + 1))

    def _semantic(self, q: Question, history: Sequence[dict]) -> np.ndarray | None:
        if self.encoder is None:
            return None
        vector = self.encoder.encode([q.text])[0]
        if q.follow_up:
            earlier = " ".join(t.get("content", "") for t in history[-2:])
            if earlier.strip():
                vector = vector + HISTORY_WEIGHT * self.encoder.encode([earlier])[0]
                vector /= np.linalg.norm(vector)
        return self.vectors @ vector

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

    # ---- what the features read (ranking/features.py) ----

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
        known = [p for p in parts if p.term.known or len(p.sentences)]
        return known, sum(p.term.weight * self._term_idf(p) for p in known)

    def antecedents(self, q: Question, parts, candidates: np.ndarray) -> np.ndarray:
        """For each candidate that speaks of someone by a pronoun ("mailde
        Ivens haar"), the idf share of the question's names written in the
        sentence before it and not in it ("een vrouw, Amber, haar verhaal")."""
        out = np.zeros(len(candidates))
        names = names_in(q.text)
        named = [p for p in parts if p.term.label in names and len(p.sentences)]
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
        return part.idf if len(part.sentences) else self.index.idf_of(1)

    def _asked(self, q: Question, history: Sequence[dict]) -> set[str]:
        """Words (and their stems) of the question and earlier questions: an
        answer tells something new."""
        turns = [q.text, *(t.get("content", "") for t in history if t.get("role") == "user")]
        words = {normalize(w) for turn in turns for w in answers.WORD.findall(turn)}
        return words | {self.analyzer.term(w) for w in words}

    def _mostly_asked(self, name: str, asked: set[str]) -> bool:
        """A name at least half made of the question's own words repeats it."""
        words = [w for w in answers.WORD.findall(name) if w.lower() not in answers.NAME_PARTICLES]
        repeated = sum(self.analyzer.term(normalize(w)) in asked for w in words)
        return bool(words) and repeated * 2 >= len(words)

    def _short_answer(self, q: Question, asked: set[str], best: np.ndarray) -> str | None:
        """The answer span of the asked type from the best passages; for other
        questions the best sentence. None when a date, number or name was
        asked for and no passage holds one: the passages do not answer it."""
        if q.answer_type not in TYPED_ANSWERS:
            return self.sentences[best[0]].text
        # "Until when ...?": first a date written after "tot"/"until" in any
        # of the passages, then any date.
        bounded = _bound_asked(q)
        named = self._named_terms(q)
        for bound in ((bounded, None) if bounded else (None,)):
            for i in best[:ANSWER_DEPTH]:
                if named and not self._names_near(int(i), named):
                    continue
                span = self._typed_span(q, self.sentences[i], asked, bound)
                if span and q.answer_type == "who":
                    return self._full_name(span.text, best[:ANSWER_DEPTH])
                if span:
                    return span.text
        return None

    def _named_terms(self, q: Question) -> list[frozenset[str]]:
        """The terms of the names the question uses that the sources know."""
        names = names_in(q.text)
        return [frozenset(m for m in t.members if m in self.index.vocabulary) for t in q.terms
                if t.label in names and any(m in self.index.vocabulary for m in t.members)]

    def _names_near(self, i: int, named: list[frozenset[str]]) -> bool:
        """Every name of the question is written near sentence i (NAME_WINDOW
        sentences either side) or in its document's headline: an amount
        beside "Hof van Twente" in another article is not what Hof van Twente paid."""
        first, _ = self._doc_range[self.sentences[i].doc_id]
        near = set().union(*(self._term_set(j) for j in {*self._window(i, NAME_WINDOW), first}))
        return all(terms & near for terms in named)

    def _full_name(self, name: str, best: np.ndarray) -> str:
        """The name as the best passages write it in full: "Halsema" is
        "Femke Halsema" when one of them says so."""
        longer = [n.text for i in best for n in answers.find_names(self.sentences[i].text, self.casing)
                  if n.text.endswith(" " + name)]
        return max(longer, key=len, default=name)

    def fits_type(self, q: Question, p: Sentence, asked: set[str]) -> float:
        """How well sentence `p` holds an answer of the kind asked for: 1 when
        it does, 0 when not, and 1.5 for the person holding the role asked
        about named in full ("burgemeester Femke Halsema" introduces her;
        later mentions say "Halsema")."""
        if q.answer_type == "why":
            return float(self._explains(q, p))
        bound = _bound_asked(q)
        span = bound and self._typed_span(q, p, asked, bound)
        if bound and span:
            return self._fit_of(q, span)
        span = self._typed_span(q, p, asked)
        if span is None:
            return 0.0
        if bound:  # "Until when ...?" is answered best by a date after "tot"
            return self._fit_of(q, span) * VAGUE_FIT
        if WHO_IS_ROLE.match(q.text) and len([w for w in answers.WORD.findall(span.text)
                                              if w.lower() not in answers.NAME_PARTICLES]) >= 2:
            return FULL_NAME_FIT
        return self._fit_of(q, span)

    @staticmethod
    def _fit_of(q: Question, span) -> float:
        """1 for a typed answer with its number or date, less without."""
        if span.vague:
            return RELATIVE_TIME_FIT if q.answer_type == "when" else VAGUE_FIT
        return 1.0

    def _explains(self, q: Question, p: Sentence) -> bool:
        """Whether `p` gives a reason for what the question asks about: a
        causal word, and not with the question's words only after it ("We
        doen geen onderzoek, omdat de wethouder is afgetreden" gives a reason
        for not investigating, not for resigning)."""
        reason = REASON.search(p.text)
        if not reason:
            return False
        if not CAUSE_FOLLOWS.fullmatch(reason.group(0)):  # "De reden is ...", "Daardoor ...": it states one
            return True
        names = names_in(q.text)  # the event's words, not who it is about
        members = {m for t in q.terms if t.label not in names for m in t.members}
        before = set(self.analyzer.terms(p.text[:reason.start()])) & members
        after = set(self.analyzer.terms(p.text[reason.end():])) & members
        return bool(before) or not after

    def _holder_of(self, q: Question, role: str, p: Sentence, asked: set[str]):
        """The first name in `p` written right after the role asked about
        (or a compound ending in it): 'burgemeester Femke Halsema'."""
        members = next((set(t.members) for t in q.terms if t.label == role), {self.analyzer.term(role)})
        # "Who will be the new coach?" is not answered by "trainer De Wit"
        # but by "de nieuwe trainer De Wit".
        new = NEW_ROLE.search(q.text)
        for name in answers.find_names(p.text, self.casing, exclude=asked):
            before = answers.role_before(p.text, name.text, self.casing)
            stem = before and self.analyzer.term(normalize(before.text))
            if stem and any(stem == m or (len(m) >= 5 and stem.endswith(m)) for m in members) and \
                    (not new or NEW_ROLE.search(p.text[max(0, before.start - 20):before.start])):
                return name
        return None

    @staticmethod
    def _with_time_unit(sentence: str, number, language: str):
        """The number with the unit of time written after it ("vier maanden": "4 months")."""
        unit = re.match(r"\s+(" + TIME_UNIT.pattern + r")", sentence[number.end:], re.I)
        if not unit:
            return number
        return answers.Span(f"{number.text} {answers.unit_in(unit.group(1), language)}", number.start,
                            number.end + unit.end())

    def _counts(self, q: Question, counted: str, sentence: str, number) -> bool:
        """Whether `number` counts what a Dutch question counts: "hoeveel
        toeschouwers" is not answered by "2000 supporters". The counted noun
        is one of the three words after the number ("10.000 middeldure
        huurwoningen": a compound ending in it counts); a number followed by
        no such word may count anything. English questions are not checked:
        their noun's translations may miss the sources' word."""
        if q.language != "nl" or normalize(counted) in GENERIC_COUNTS:
            return True
        term = self.analyzer.term(normalize(counted))
        after = answers.WORD.findall(sentence[number.end:])[:COUNTED_WITHIN]
        if not after or not after[0].islower() or self.analyzer.is_stopword(after[0]):
            return True
        return any((t := self.analyzer.term(normalize(w))) == term or (len(term) >= 4 and t.endswith(term))
                   for w in after)

    def _closest_to_question(self, q: Question, p: Sentence, spans: list):
        """Of several candidate answers in a sentence, the one with the most
        of the question's own words around it ("dit jaar 6 procent ... en
        volgend jaar nog eens 3 procent": 'next year' asks for the 3); the
        first on a tie."""
        if len(spans) < 2:
            return answers.first_or_none(spans)
        words = list(answers.WORD.finditer(p.text))
        term_of = [self.analyzer.term(normalize(w.group(0))) for w in words]

        def support(span) -> int:
            at = next((n for n, w in enumerate(words) if w.end() > span.start), len(words))
            near = set(term_of[max(0, at - SPAN_WINDOW):at + SPAN_WINDOW])  # at: the word after it
            return sum(1 for t in q.terms if near & set(t.members))

        return max(spans, key=support)

    def _typed_span(self, q: Question, p: Sentence, asked: set[str], bound=None):
        if q.answer_type == "when":
            dates = answers.find_dates(p.text, self.documents[p.doc_id].date, q.language)
            weekdays = answers.find_weekdays(p.text, q.language)
            times = answers.find_times(p.text, q.language)
            base = answers.article_base(self.documents[p.doc_id].date)
            if base and FUTURE.search(q.text):  # "When will it open?" is not answered by a month gone by
                dates = [d for d in dates if not answers.before_article(d, base)]
            relative = answers.find_relative_times(p.text, q.language)
            # a date, else the weekday, else the time of day (first when asked for), else a
            # time after something ("na drie weken")
            kinds = (times, dates, weekdays, relative) if TIME_OF_DAY.search(q.text) else \
                (dates, weekdays, times, relative)
            if bound:  # only those written after the bound asked about: "tot eind 2026", "tot 22.00 uur"
                kinds = tuple([s for s in kind if bound[1].search(p.text[:s.start])] for kind in kinds)
            spans = next((found for found in ([s for s in kind if normalize(s.text) not in asked]
                                              for kind in kinds) if found), [])
            return self._closest_to_question(q, p, spans)
        if q.answer_type == "how_many":
            numbers = answers.find_numbers(p.text, q.language)
            count = COUNT.search(q.text)
            if SHARE.search(q.text):  # "What share of the costs ...?": a percentage
                numbers = [n for n in numbers if answers.is_share(n)]
            elif MONEY.search(q.text):  # "How much did the repairs cost?" is not answered by a count
                numbers = [n for n in numbers if answers.is_money(n, share=bool(CHANGE.search(q.text)))]
                free = not numbers and answers.FREE.search(p.text)
                if free:  # "De vaccinatie is gratis"
                    word = "gratis" if q.language == "nl" else "free"
                    numbers = [answers.Span(word, free.start(), free.end())]
            elif count:  # nor "How many visitors ...?" by money or a percentage, nor by "twee jaar"
                counts_time = TIME_UNIT.match(count.group(0).split()[-1])
                numbers = [n for n in numbers if not answers.is_money(n) and not answers.is_share(n)
                           and (counts_time or not TIME_UNIT.match(p.text[n.end:].lstrip()))
                           and self._counts(q, count.group(0).split()[-1], p.text, n)]
            elif AGE.search(q.text):  # "How old ...?": a number written as an age, if there is one
                aged = [n for n in numbers if answers.is_age(p.text, n)]
                numbers = [self._with_time_unit(p.text, n, q.language) for n in aged] or numbers
            else:
                measure = next((units for asks, units in MEASURES if asks.search(q.text)), None)
                if measure:  # "How deep ...?": a number with a unit of length, shown with it
                    numbers = [answers.Span(f"{n.text} {answers.unit_in(unit.group(0).strip(), q.language)}",
                                            n.start, unit.end())
                               for n in numbers for unit in [measure.match(p.text, n.end)] if unit]
            # "van 250 miljoen naar 380 miljoen euro": the new amount, unless the old one is asked for
            roles = {id(n): answers.range_role(p.text, n) for n in numbers}
            wanted = "from" if EARLIER.search(q.text) else "to"
            if any(roles.values()):
                numbers = [n for n in numbers if roles[id(n)] in (None, wanted)]
            return self._closest_to_question(q, p, [n for n in numbers if normalize(n.text) not in asked])
        if q.answer_type in ("who", "where"):
            role = WHO_IS_ROLE.match(q.text)
            if role:
                return self._holder_of(q, normalize(role.group(3)), p, asked)
            if WHO_IS.match(q.text):  # "Who is X?": the role written before X
                for name in answers.find_names(q.text, self.casing):
                    role = answers.role_before(p.text, name.text, self.casing)
                    if role and normalize(role.text) not in stopwords("nl"):
                        return role
            # "Which law ...?": the answer's own kind (law) may be part of its name.
            focus = FOCUS.search(q.text)
            known = asked - ({normalize(focus.group(2)), self.analyzer.term(normalize(focus.group(2)))}
                             if focus else set())
            names = answers.find_names(p.text, self.casing, exclude=known)
            names = [n for n in names if not self._mostly_asked(n.text, known)]
            if not focus:  # "SP" of "SP-wethouder" answers "which party", not "who"
                names = [n for n in names if not n.prefix]
                if q.answer_type == "who":
                    names = [n for n in names if not PLACE_BEFORE.search(p.text[:n.start])] or names
            if q.answer_type == "where":  # a place: a name after "in", "bij", "at", ...
                names = [n for n in names if LOCATIVE.search(p.text[:n.start])]
            if not names and PUBLICATION.search(q.text):
                # "this newspaper" in an article stands for its own publisher
                publisher = self.documents[p.doc_id].publisher
                if publisher and answers.SELF_REFERENCE.search(p.text):
                    return answers.Span(publisher, 0, 0)
            if q.answer_type == "where":
                # Where something happened ("in", "bij"), not where someone came from or went
                # ("uit Rotterdam", "naar"), unless that is asked; then the place by the question's words.
                for asks, written in PLACE_ROLES:
                    if asks.search(q.text):
                        names = [n for n in names if written.search(p.text[:n.start])] or names
                        break
                return self._closest_to_question(q, p, names)
            return answers.first_or_none(names) if focus else self._closest_to_question(q, p, names)
        return None
