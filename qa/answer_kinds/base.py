"""What every answer type is, the registry they join, and what they share."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..language import spans as answers
from ..language.analysis import normalize
from ..language.sentences import Sentence
from ..pipeline.corpus import Corpus
from ..pipeline.question import Question

# Feature values of a fit (the ranking models weigh them): an answer with its
# number or date fits 1; an amount without its number ("tientallen schepen")
# fits less, as does a date not after the bound asked about ("until when").
FIT = 1.0
VAGUE_FIT = 0.5
# Words either side of a candidate answer in which the question's words count
# towards choosing it.
SPAN_WINDOW = 4

# (corpus, question, sentence id) -> how well the sentence fits
Fit = Callable[[Corpus, Question, int], float]
# (corpus, question, sentence, the (asks, written) bound of "until when" or None) -> the answer span or None
Find = Callable[[Corpus, Question, Sentence, tuple | None], "answers.Span | None"]


@dataclass(frozen=True)
class AnswerType:
    """One kind of answer: which questions ask for it, how well a sentence
    fits it (a ranking feature of that name), and, for a short answer, the
    span that answers it. `corpus` is the Engine: its sentences, documents,
    analyzer and name casing."""

    feature: str  # the name of its ranking feature
    measures: str  # what the feature measures, for docs/architecture.md
    asks: Callable[[Question], bool]
    fit: Fit
    find: Find | None = None  # None: the best sentence itself is the answer


TYPES: list[AnswerType] = []


def register(answer_type: AnswerType) -> AnswerType:
    if any(t.feature == answer_type.feature for t in TYPES):
        raise ValueError(f"answer type {answer_type.feature!r} is registered twice")
    TYPES.append(answer_type)
    return answer_type


def asked_type(q: Question) -> AnswerType | None:
    """The answer type with a short answer that `q` asks for, if any."""
    return next((t for t in TYPES if t.find is not None and t.asks(q)), None)


def of_kind(*kinds: str) -> Callable[[Question], bool]:
    """Questions whose answer_type (question.py) is one of `kinds`."""
    return lambda q: q.answer_type in kinds


def bound_asked(q: Question):
    """The (asks, written) pair of BOUNDS an "until when" question asks about; None otherwise."""
    return q.intent.bound if q.answer_type == "when" else None


def support(corpus: Corpus, q: Question, p: Sentence) -> Callable[[answers.Span], int]:
    """How many of the question's terms are written within SPAN_WINDOW words of a span of `p`."""
    words = list(answers.WORD.finditer(p.text))
    term_of = [corpus.analyzer.term(normalize(w.group(0))) for w in words]

    def count(span) -> int:
        at = next((n for n, w in enumerate(words) if w.end() > span.start), len(words))
        near = set(term_of[max(0, at - SPAN_WINDOW):at + SPAN_WINDOW])  # at: the word after it
        return sum(1 for t in q.terms if near & set(t.members))

    return count


def closest_to_question(corpus: Corpus, q: Question, p: Sentence, spans: list):
    """Of several candidate answers in a sentence, the one with the most
    of the question's own words around it ("dit jaar 6 procent ... en
    volgend jaar nog eens 3 procent": 'next year' asks for the 3); the
    first on a tie."""
    if len(spans) < 2:
        return answers.first_or_none(spans)
    return max(spans, key=support(corpus, q, p))


def fit_of_span(find: Find, vague_fit: float = VAGUE_FIT) -> Fit:
    """The fit of a type whose fit is whether the sentence holds its span: 1
    for one with its number or date, `vague_fit` for a vague one; for "until
    when", a span after the bound first, any other at half that."""

    def fit(corpus: Corpus, q: Question, i: int) -> float:
        p = corpus.sentences[i]
        bound = bound_asked(q)
        span = bound and find(corpus, q, p, bound)
        if bound and span:
            return vague_fit if span.vague else FIT
        span = find(corpus, q, p, None)
        if span is None:
            return 0.0
        value = vague_fit if span.vague else FIT
        return value * VAGUE_FIT if bound else value

    return fit
