"""Stage 8 (docs/architecture.md), its features: the ranking signals, one named feature each, computed for a
question's candidate sentences into a feature matrix (rows: candidates,
columns: FEATURES in order). How much each counts is not set here: a fitted
model (model.py, `make train`) weighs them.

Stage 1 features are cheap and computed for every candidate; stage 2
features read the sentence for an answer of the asked kind (dates, names,
numbers, reasons) and are computed only for the candidates stage 1 put first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import answer_kinds
from ..language import lexicon
from .corpus import Corpus
from .question import Question

# Candidates with at most this many sentences between them and a sentence of
# the previous answer count as its context (follow-up questions).
PREVIOUS_WINDOW = 2
# A question's numbers count as written near a sentence this many sentences either side.
NUMBER_WINDOW = 2


@dataclass
class Candidates:
    """One question's candidate sentences and what their features are read from."""

    corpus: Corpus
    question: Question
    ids: np.ndarray  # sentence ids, ascending
    parts: list  # the query's TermScores
    lexical: np.ndarray  # BM25 of each candidate
    semantic: np.ndarray | None  # cosine similarity to the question, None without the encoder
    top: float  # BM25 of the best sentence of the whole index
    previous: frozenset[int] = frozenset()  # sentences cited for the previous question
    close: Callable[[np.ndarray], np.ndarray] | None = None  # sentence ids -> passage encoder's cosine
    _cache: dict = field(default_factory=dict)

    def once(self, key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """A per-question array that several features share."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


@dataclass(frozen=True)
class Feature:
    name: str
    measures: str  # what it measures, for the table in docs/architecture.md
    stage: int
    compute: Callable[[Candidates, np.ndarray], np.ndarray]  # (candidates, rows) -> one value per row


FEATURES: list[Feature] = []


def feature(name: str, measures: str, stage: int = 1):
    """Register a feature; the order of registration is the order of the columns."""
    if stage not in (1, 2):
        raise ValueError(f"stage must be 1 or 2, not {stage!r}")

    def register(compute):
        if any(f.name == name for f in FEATURES):
            raise ValueError(f"feature {name!r} is registered twice")
        FEATURES.append(Feature(name, measures, stage, compute))
        return compute

    return register


def names(stage: int | None = None) -> list[str]:
    """The feature names of one stage (stage 2: all features), in column order."""
    return [f.name for f in FEATURES if stage is None or stage == 2 or f.stage == 1]


def matrix(c: Candidates, rows: np.ndarray, stage: int) -> np.ndarray:
    """The features of `stage` (2: all) for the candidates at positions `rows`."""
    chosen = [f for f in FEATURES if stage == 2 or f.stage == 1]
    out = np.zeros((len(rows), len(chosen)))
    for j, f in enumerate(chosen):
        if len(rows):
            out[:, j] = f.compute(c, rows)
    return out


# ---- stage 1: how the sentence matches the question's words and meaning -----------------------------------


@feature("bm25", "BM25 (synonym sets, term weights) over the best sentence's")
def bm25(c: Candidates, rows: np.ndarray) -> np.ndarray:
    return c.lexical[rows] / c.top if c.top > 0 else c.lexical[rows]


@feature("bm25_log", "log(1 + BM25): how strong the match is, not only relative to the best")
def bm25_log(c: Candidates, rows: np.ndarray) -> np.ndarray:
    return np.log1p(c.lexical[rows])


@feature("semantic", "cosine similarity of the sentence encoder's vectors (USE v3) to the question")
def semantic(c: Candidates, rows: np.ndarray) -> np.ndarray:
    return np.zeros(len(rows)) if c.semantic is None else np.maximum(c.semantic[rows], 0)


@feature("semantic_gap", "cosine similarity minus the best candidate's")
def semantic_gap(c: Candidates, rows: np.ndarray) -> np.ndarray:
    if c.semantic is None or not len(c.semantic):
        return np.zeros(len(rows))
    return c.semantic[rows] - float(c.semantic.max())


def _term_idf(index, part) -> float:
    # A term the sources never use still counts, with the idf of a term seen once.
    return part.idf if part.occurs else index.idf_of(1)


def _coverable(index, parts) -> tuple[list, float]:
    """The query parts a passage's coverage counts, and their idf mass. An
    English word no dictionary translates counts when the sources write
    it too: "curator", "hotel" are Dutch words as well."""
    known = [p for p in parts if p.term.known or p.occurs]
    return known, sum(p.term.weight * _term_idf(index, p) for p in known)


def coverages(corpus: Corpus, parts, candidates: np.ndarray) -> np.ndarray:
    """For each candidate sentence, the share of the query's weighted idf
    mass it matches (Lucene's old coordination factor, by idf): a sentence
    that matches more of the question's words beats one that repeats one
    rare word."""
    known, total = _coverable(corpus.index, parts)
    out = np.zeros(len(candidates))
    if total <= 0:
        return out
    for p in known:
        if len(p.sentences):
            at = np.minimum(np.searchsorted(p.sentences, candidates), len(p.sentences) - 1)
            out[p.sentences[at] == candidates] += p.term.weight * _term_idf(corpus.index, p) / total
    return out


def antecedents(corpus: Corpus, q: Question, parts, candidates: np.ndarray) -> np.ndarray:
    """For each candidate that speaks of someone by a pronoun ("mailde
    Ivens haar"), the idf share of the question's names written in the
    sentence before it and not in it ("een vrouw, Amber, haar verhaal")."""
    out = np.zeros(len(candidates))
    named = [p for p in parts if p.term.label in q.intent.names and p.occurs]
    _, total = _coverable(corpus.index, parts)
    if not named or not len(candidates) or total <= 0:
        return out
    previous = candidates - 1
    has_previous = corpus.same_document(candidates, previous)
    pronoun = corpus.matching(lexicon.PRONOUN, candidates)
    for part in named:
        here = corpus.index.scores_of([part], candidates) > 0
        before = corpus.index.scores_of([part], np.where(has_previous, previous, candidates))
        credit = ~here & has_previous & pronoun & (before > 0)
        out[credit] += part.term.weight * _term_idf(corpus.index, part) / total
    return out


def _coverages(c: Candidates) -> np.ndarray:
    return coverages(c.corpus, c.parts, c.ids)


@feature("coverage", "share of the question's idf mass the sentence matches")
def coverage(c: Candidates, rows: np.ndarray) -> np.ndarray:
    return c.once("coverage", lambda: _coverages(c))[rows]


@feature("own_coverage", "share of the idf mass of the question's own words (not those carried over from "
                         "earlier turns) the sentence matches")
def own_coverage(c: Candidates, rows: np.ndarray) -> np.ndarray:
    if not c.question.context_terms:
        return coverage(c, rows)
    own = c.parts[: len(c.question.terms)]  # index.parts keeps the query's order: own terms first
    return c.once("own_coverage", lambda: coverages(c.corpus, own, c.ids))[rows]


@feature(
    "antecedent",
    "idf share of the question's names matched through a pronoun for a name "
    "in the sentence before ('Amber ...' / '... mailde Ivens haar')",
)
def antecedent(c: Candidates, rows: np.ndarray) -> np.ndarray:
    return c.once("antecedent", lambda: antecedents(c.corpus, c.question, c.parts, c.ids))[rows]


@feature("heading", "the sentence is a headline")
def heading(c: Candidates, rows: np.ndarray) -> np.ndarray:
    return c.corpus.is_heading(c.ids[rows]).astype(float)


@feature("length", "log of the sentence's number of index terms")
def length(c: Candidates, rows: np.ndarray) -> np.ndarray:
    return np.log1p(c.corpus.index.doc_len[c.ids[rows]])


@feature("opening", "the sentence is one of its article's first three")
def opening(c: Candidates, rows: np.ndarray) -> np.ndarray:
    return (c.corpus.position(c.ids[rows]) < 3).astype(float)


@feature("context", "the best BM25 (over the best sentence's) of the sentence before or after it")
def context(c: Candidates, rows: np.ndarray) -> np.ndarray:
    ids = c.ids[rows]
    out = np.zeros(len(ids))
    for step in (-1, 1):
        near = ids + step
        same = c.corpus.same_document(ids, near)
        scores = c.corpus.index.scores_of(c.parts, np.where(same, near, ids))
        out = np.maximum(out, np.where(same, scores, 0.0))
    return out / c.top if c.top > 0 else out


@feature("denial", "the question denies something ('not', 'geen') and the sentence denies too")
def denial(c: Candidates, rows: np.ndarray) -> np.ndarray:
    if not c.question.intent.negated:
        return np.zeros(len(rows))
    return c.corpus.matching(lexicon.NEGATION, c.ids[rows]).astype(float)


@feature(
    "reason_follows",
    "a why-question, the sentence gives a reason, times the BM25 (over the best's) "
    "of the sentence before it ('... is afgetreden. Aanleiding is ...')",
)
def reason_follows(c: Candidates, rows: np.ndarray) -> np.ndarray:
    if c.question.answer_type != "why":
        return np.zeros(len(rows))
    ids = c.ids[rows]
    before = ids - 1
    same = c.corpus.same_document(ids, before)
    reason = c.corpus.matching(lexicon.REASON, ids)
    scores = c.corpus.index.scores_of(c.parts, np.where(same, before, ids))
    gives = same & reason & ~c.corpus.matching(lexicon.REASON, np.where(same, before, ids))
    return np.where(gives, scores / c.top if c.top > 0 else scores, 0.0)


@feature(
    "previous",
    "a follow-up question, and the sentence is one cited for the previous question "
    "or at most two sentences from one",
)
def previous(c: Candidates, rows: np.ndarray) -> np.ndarray:
    if not c.previous:
        return np.zeros(len(rows))
    ids = c.ids[rows]
    near = np.zeros(len(ids), dtype=bool)
    for i in c.previous:
        near |= (np.abs(ids - i) <= PREVIOUS_WINDOW) & c.corpus.same_document(ids, np.full(len(ids), i))
    return near.astype(float)


# ---- stage 2: whether the sentence holds an answer of the kind asked for -------------------------------


def _fit(answer_type: answer_kinds.AnswerType) -> Callable[[Candidates, np.ndarray], np.ndarray]:
    """How well each sentence holds an answer of `answer_type`, for the questions that ask for one."""

    def compute(c: Candidates, rows: np.ndarray) -> np.ndarray:
        if not answer_type.asks(c.question):
            return np.zeros(len(rows))
        return np.array([answer_type.fit(c.corpus, c.question, int(i)) for i in c.ids[rows]])

    return compute


# One feature per answer type (answer_kinds/), named and described by it.
for _type in answer_kinds.TYPES:
    feature(_type.feature, _type.measures, stage=2)(_fit(_type))


def _passage_cosines(c: Candidates, rows: np.ndarray) -> np.ndarray:
    """The passage encoder's cosines of the rows, read once for both features."""
    return c.once(f"passage_similarity {rows.tobytes().hex()}", lambda: c.close(c.ids[rows]))


@feature("passage_similarity", "cosine similarity of multilingual-e5's vectors to the question's", stage=2)
def passage_similarity(c: Candidates, rows: np.ndarray) -> np.ndarray:
    return np.zeros(len(rows)) if c.close is None else _passage_cosines(c, rows)


@feature("passage_similarity_gap", "that cosine minus the best of the candidates read", stage=2)
def passage_similarity_gap(c: Candidates, rows: np.ndarray) -> np.ndarray:
    if c.close is None or not len(rows):
        return np.zeros(len(rows))
    values = _passage_cosines(c, rows)
    return values - float(values.max())


@feature(
    "numbers_missing",
    "a number or year the question names is written neither in the sentence nor "
    "in the two sentences either side",
    stage=2,
)
def numbers_missing(c: Candidates, rows: np.ndarray) -> np.ndarray:
    numbers = c.question.intent.numbers
    if not numbers:
        return np.zeros(len(rows))
    corpus = c.corpus
    return np.array([bool(numbers - {n for j in corpus.window(int(i), NUMBER_WINDOW)
                                     for n in lexicon.NUMBER.findall(corpus.sentences[j].text)})
                     for i in c.ids[rows]], dtype=float)


@feature(
    "names_missing",
    "a name the question uses is written neither near the sentence nor in its article's headline",
    stage=2,
)
def names_missing(c: Candidates, rows: np.ndarray) -> np.ndarray:
    named = c.corpus.named_terms(c.question)
    if not named:
        return np.zeros(len(rows))
    return np.array([not c.corpus.names_near(int(i), named) for i in c.ids[rows]], dtype=float)
