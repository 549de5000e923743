"""Stage 10 (docs/architecture.md): whether the sources answer the question at all. The signals of
one question's ranking, one named signal each, that the fitted `abstain`
model (model.py) turns into the probability that the best passage
answers it; below the threshold chosen on cross-validation the service says
the sources do not say."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import features
from .question import Question

# How many of the best passages the signals look at (a short answer may come from these).
DEPTH = 3
TYPED = ("when", "how_many", "who", "where")


@dataclass(frozen=True)
class Ranked:
    """The best candidates of one question, best first."""

    question: Question
    X: np.ndarray  # all features (features.names()), one row per candidate
    logits: np.ndarray  # the rerank model's scores, same order
    unknown_name: bool  # the question names someone or something the sources never mention
    answer_missing: (
        bool  # a date, number, name or place is asked and no best passage holds one near its names
    )


@dataclass(frozen=True)
class Signal:
    name: str
    measures: str
    compute: Callable[[Ranked], float]


def _column(r: Ranked, name: str) -> np.ndarray:
    return r.X[:DEPTH, features.names().index(name)]


def _best(r: Ranked, name: str) -> float:
    column = _column(r, name)
    return float(column.max()) if len(column) else 0.0


def _typed_found(r: Ranked) -> float:
    fits = [_best(r, name) for name in ("fit_when", "fit_number", "fit_name", "reason")]
    return float(max(fits) > 0)


SIGNALS = [
    Signal("top_logit", "the rerank model's score of the best passage", lambda r: float(r.logits[0])),
    Signal(
        "margin",
        "its score minus the second's",
        lambda r: float(r.logits[0] - r.logits[1]) if len(r.logits) > 1 else 0.0,
    ),
    Signal(
        "coverage",
        "the best passages' largest share of the question's idf mass",
        lambda r: _best(r, "coverage"),
    ),
    Signal(
        "own_coverage",
        "their largest share of the idf mass of the question's own words (a follow-up's "
        "words carried over from earlier turns aside)",
        lambda r: _best(r, "own_coverage"),
    ),
    Signal("semantic", "their largest cosine similarity to the question", lambda r: _best(r, "semantic")),
    Signal("passage_similarity", "their largest cosine similarity to the question by multilingual-e5",
           lambda r: _best(r, "passage_similarity")),
    Signal("bm25_log", "their largest log(1 + BM25)", lambda r: _best(r, "bm25_log")),
    Signal(
        "typed",
        "the question asks for a date, number, name, place or reason",
        lambda r: float(r.question.answer_type in (*TYPED, "why")),
    ),
    Signal("typed_found", "one of the best passages holds an answer of that kind", _typed_found),
    Signal(
        "answer_missing",
        "a date, number, name or place is asked for and none of the best passages holds "
        "one with the question's names written near it",
        lambda r: float(r.answer_missing),
    ),
    Signal(
        "numbers_missing",
        "none of the best passages has the question's numbers written near it",
        lambda r: float(len(r.logits) > 0 and _column(r, "numbers_missing").min() > 0),
    ),
    Signal(
        "names_missing",
        "none of the best passages has the question's names written near it",
        lambda r: float(len(r.logits) > 0 and _column(r, "names_missing").min() > 0),
    ),
    Signal(
        "unknown_name",
        "the question names someone or something the sources never mention",
        lambda r: float(r.unknown_name),
    ),
    Signal(
        "unknown_words",
        "share of the question's words that no dictionary translates and the sources do not write",
        lambda r: _unknown_share(r.question),
    ),
    Signal("follow_up", "the question leans on an earlier turn", lambda r: float(r.question.follow_up)),
]


def _unknown_share(q: Question) -> float:
    return sum(not t.known for t in q.terms) / len(q.terms) if q.terms else 1.0


def names() -> list[str]:
    return [s.name for s in SIGNALS]


def signals(r: Ranked) -> np.ndarray:
    """The signals of one ranking, in the order of `names()`."""
    if not len(r.logits):
        return np.zeros(len(SIGNALS))
    return np.array([s.compute(r) for s in SIGNALS])


def unknown_name(q: Question, vocabulary) -> bool:
    """The question names someone or something the sources never mention
    (nor any translation of it): 'the mayor of Rotterdam' over sources
    that never name Rotterdam cannot be answered from them. The same for
    the kind of thing a which/what question asks for: 'What salary did
    she earn?' over sources that never mention a salary."""
    asked_for = q.intent.names | ({q.intent.kind} if q.intent.kind else set())
    return any(t.label in asked_for and not any(m in vocabulary for m in t.members) for t in q.terms)
