"""The short answer: the span of the asked type from the best passages."""
from __future__ import annotations

from ..question import Question
from .base import asked_type, bound_asked
from .name import NAME, full_name

# How many of the best passages a short answer may come from.
ANSWER_DEPTH = 3


def short_answer(corpus, q: Question, asked: set, best) -> str | None:
    """The span of the asked type from the best ANSWER_DEPTH passages that
    have the question's names written near them (see corpus.names_near);
    for "until when" first a date written after "tot"/"until". None when no
    passage holds one, or the question asks for no short answer."""
    answer_type = asked_type(q)
    if answer_type is None:
        return None
    bounded = bound_asked(q)
    named = corpus.named_terms(q)
    for bound in ((bounded, None) if bounded else (None,)):
        for i in best[:ANSWER_DEPTH]:
            if named and not corpus.names_near(int(i), named):
                continue
            span = answer_type.find(corpus, q, corpus.sentences[i], asked, bound)
            if span and answer_type is NAME and q.answer_type == "who":
                return full_name(corpus, span.text, best[:ANSWER_DEPTH])
            if span:
                return span.text
    return None
