"""The short answer: the span of the asked type from the best passages, and
the signals by which the fitted `span` model (pipeline/model.py) judges
whether it is right; below its threshold the best sentence is the answer
(a wrong name or number costs more trust than a sentence)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..pipeline.corpus import Corpus
from ..pipeline.question import Question
from .base import TYPES, asked_type, bound_asked, support
from .name import NAME, full_name

# How many of the best passages a short answer may come from.
ANSWER_DEPTH = 3


@dataclass(frozen=True)
class Short:
    """A short answer and where it was found."""

    text: str
    kind: str  # its answer type's feature name
    passage: int  # which of the best passages it comes from (0: the best)
    support: float  # share of the question's terms written near it
    vague: bool  # an amount or time without its number ("tientallen", "na enkele weken")
    dated: bool  # its article's date is known (relative dates and years can be placed)


def short_answer(corpus: Corpus, q: Question, best) -> Short | None:
    """The span of the asked type from the best ANSWER_DEPTH passages that
    have the question's names written near them (see corpus.names_near);
    for "until when" first a date written after "tot"/"until". None when no
    passage holds one, or the question asks for no short answer."""
    answer_type = asked_type(q)
    if answer_type is None:
        return None
    bounded = bound_asked(q)
    named = corpus.named_terms(q)
    for bound in (bounded, None) if bounded else (None,):
        for n, i in enumerate(best[:ANSWER_DEPTH]):
            if named and not corpus.names_near(int(i), named):
                continue
            p = corpus.sentences[i]
            span = answer_type.find(corpus, q, p, bound)
            if span is None:
                continue
            text = span.text
            if answer_type is NAME and q.answer_type == "who":
                text = full_name(corpus, span.text, best[:ANSWER_DEPTH])
            share = support(corpus, q, p)(span) / len(q.terms) if q.terms else 0.0
            dated = corpus.documents[p.doc_id].date is not None
            return Short(text, answer_type.feature, n, share, span.vague, dated)
    return None


@dataclass(frozen=True)
class SpanSignal:
    name: str
    measures: str
    compute: Callable[
        [Short, Question, np.ndarray, float], float
    ]  # (short, question, passage probs, confidence)


SPAN_SIGNALS = [
    *(
        SpanSignal(
            f"kind_{t.feature}",
            f"the answer is of the kind of {t.feature}",
            lambda s, q, probs, c, kind=t.feature: float(s.kind == kind),
        )
        for t in TYPES
        if t.find is not None
    ),
    SpanSignal(
        "passage", "which of the best passages it comes from (0: the best)", lambda s, q, probs, c: s.passage
    ),
    SpanSignal(
        "passage_probability",
        "the ranking model's probability of that passage",
        lambda s, q, probs, c: float(probs[s.passage]),
    ),
    SpanSignal("support", "share of the question's terms written near it", lambda s, q, probs, c: s.support),
    SpanSignal("vague", "an amount or time without its number", lambda s, q, probs, c: float(s.vague)),
    SpanSignal("words", "its number of words", lambda s, q, probs, c: float(len(s.text.split()))),
    SpanSignal("dated", "its article's date is known", lambda s, q, probs, c: float(s.dated)),
    SpanSignal(
        "english", "an English question over Dutch sources", lambda s, q, probs, c: float(q.language == "en")
    ),
    SpanSignal(
        "confidence",
        "the abstention model's probability that the sources answer the question",
        lambda s, q, probs, c: c,
    ),
]


def span_names() -> list[str]:
    return [s.name for s in SPAN_SIGNALS]


def span_signals(short: Short, q: Question, probabilities: np.ndarray, confidence: float) -> np.ndarray:
    """The span model's inputs; `probabilities`: the ranking model's, of the best passages in order."""
    return np.array([s.compute(short, q, probabilities, confidence) for s in SPAN_SIGNALS])
